import { z } from "zod";

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
