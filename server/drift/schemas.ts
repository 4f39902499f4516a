import { z } from "zod";
import { pageInput } from "@/shared/paging";

export const DRIFT_ACTIONS = ["alert", "remove"] as const;

export const DRIFT_ACTION_LABEL: Record<(typeof DRIFT_ACTIONS)[number], string> = {
  alert: "Alert only",
  remove: "Remove automatically",
};

export const driftFindingInput = z.object({ findingId: z.uuid("Not a finding id.") });
export type DriftFindingInput = z.infer<typeof driftFindingInput>;

export const driftSettingsInput = z.object({
  privilegeId: z.uuid("Not a privilege id."),
  action: z.enum(DRIFT_ACTIONS, "Choose “Alert only” or “Remove automatically”."),
});
export type DriftSettingsInput = z.infer<typeof driftSettingsInput>;

export const driftResolvedInput = z.object({ limit: z.number().int().min(1).max(100).default(20) });

/** The per-privilege settings list: search (privilege, group DN), the action, only groups with open findings. */
export const driftSettingsPageInput = pageInput.extend({
  action: z.enum(DRIFT_ACTIONS).optional(),
  withFindings: z.boolean().optional(),
});
export type DriftSettingsPageInput = z.input<typeof driftSettingsPageInput>;

export const FINDING_STATES = ["open", "accepted"] as const;

/** Current findings: search (member, privilege, DNs), open or accepted. */
export const driftFindingsPageInput = pageInput.extend({ state: z.enum(FINDING_STATES).optional() });
export type DriftFindingsPageInput = z.input<typeof driftFindingsPageInput>;
