import { z } from "zod";
import { pageInput } from "@/shared/paging";

export const MAX_DURATION_MINUTES = 7 * 24 * 60;

const duration = z.coerce
  .number({ error: "Enter a number of minutes" })
  .int("Whole minutes only")
  .min(1, "At least 1 minute")
  .max(MAX_DURATION_MINUTES, `At most ${MAX_DURATION_MINUTES} minutes (7 days)`);

/** How a grant's membership is made (see server/directory/ttl.ts); stored per privilege, copied onto each grant. */
export const GRANT_MECHANISMS = ["direct", "ttl", "temporary-group"] as const;
export type GrantMechanism = (typeof GRANT_MECHANISMS)[number];

const privilegeFields = z.object({
  name: z.string().trim().min(2, "At least 2 characters").max(80, "At most 80 characters"),
  description: z.string().trim().max(500, "At most 500 characters").default(""),
  maxDurationMinutes: duration,
  defaultDurationMinutes: duration,
  allowExtension: z.boolean().default(false),
  /** With extensions, the longest a grant may run in total; empty = the maximum duration. */
  maxTotalMinutes: z
    .preprocess(
      (v) => (v === "" || v === undefined ? null : v),
      z.coerce
        .number({ error: "Enter a number of minutes" })
        .int("Whole minutes only")
        .min(1, "At least 1 minute")
        .max(MAX_DURATION_MINUTES * 4, `At most ${MAX_DURATION_MINUTES * 4} minutes (28 days)`)
        .nullable(),
    )
    .default(null),
  tags: z.array(z.string().trim().min(1).max(40)).max(20).default([]),
  mechanism: z.enum(GRANT_MECHANISMS, { error: "Choose a grant mechanism" }).default("direct"),
});

function defaultWithinMax<T extends { maxDurationMinutes: number; defaultDurationMinutes: number; maxTotalMinutes: number | null }>(
  v: T,
  ctx: z.RefinementCtx,
) {
  if (v.defaultDurationMinutes > v.maxDurationMinutes) {
    ctx.addIssue({ code: "custom", path: ["defaultDurationMinutes"], message: "The default cannot exceed the maximum" });
  }
  if (v.maxTotalMinutes !== null && v.maxTotalMinutes < v.maxDurationMinutes) {
    ctx.addIssue({ code: "custom", path: ["maxTotalMinutes"], message: "The total with extensions cannot be less than the maximum duration" });
  }
}

export const publishPrivilegeInput = privilegeFields.extend({ groupGuid: z.string().uuid("Pick a group from the directory") }).superRefine(defaultWithinMax);
export type PublishPrivilegeInput = z.infer<typeof publishPrivilegeInput>;

export const updatePrivilegeInput = privilegeFields
  // Absent = keep the privilege's mechanism (a caller that omits it must not turn TTL into direct).
  .extend({ id: z.string().uuid(), enabled: z.boolean(), mechanism: z.enum(GRANT_MECHANISMS, { error: "Choose a grant mechanism" }).optional() })
  .superRefine(defaultWithinMax);
export type UpdatePrivilegeInput = z.infer<typeof updatePrivilegeInput>;

export const searchGroupsInput = z.object({ query: z.string().trim().max(64).default("") });

export const PRIVILEGE_STATUS = ["enabled", "disabled"] as const;

/** The admin list: search (name, description, group DN, tags), status and mechanism filters, one page. */
export const privilegePageInput = pageInput.extend({
  status: z.enum(PRIVILEGE_STATUS).optional(),
  mechanism: z.enum(GRANT_MECHANISMS).optional(),
});
export type PrivilegePageInput = z.input<typeof privilegePageInput>;
