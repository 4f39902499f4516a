import { z } from "zod";
import { notificationSettingsSchema } from "@/server/notifications/schemas";
import { MULTI_LINE, ONE_LINE } from "@/shared/text";
import { isKnownCountry } from "./countries";
import { criteriaSchema, groupSettingsSchema, limitsSchema, locationPolicySchema, timeZoneSchema } from "./policy/schemas";
import { sessionSettingsSchema } from "@/shared/sessions/settings-schema";
import { pageInput } from "@/shared/paging";

/*
 * Router inputs of the access-group tabs. Every tab update carries the group's `version`: a form
 * opened before someone else saved cannot silently overwrite their change.
 */

export const groupIdInput = z.object({ id: z.uuid("Pick an access group") });

const nameSchema = z
  .string()
  .trim()
  .min(1, "Enter a name")
  .max(80, "At most 80 characters")
  .regex(ONE_LINE, "The name contains characters that are not allowed");
const descriptionSchema = z
  .string()
  .trim()
  .max(1000, "At most 1000 characters")
  .regex(MULTI_LINE, "The description contains characters that are not allowed")
  .default("");
const version = z.number().int().positive();

export const createGroupInput = z.object({
  name: nameSchema,
  description: descriptionSchema,
  timeZone: timeZoneSchema.default("UTC"),
});
export type CreateGroupInput = z.infer<typeof createGroupInput>;

export const settingsInput = z.object({
  id: z.uuid(),
  version,
  name: nameSchema,
  description: descriptionSchema,
  enabled: z.boolean(),
  timeZone: timeZoneSchema,
  settings: groupSettingsSchema,
});
export type SettingsInput = z.infer<typeof settingsInput>;

export const criteriaInput = z.object({ id: z.uuid(), version, criteria: criteriaSchema });
export type CriteriaInput = z.infer<typeof criteriaInput>;

export const criteriaPreviewInput = z.object({ criteria: criteriaSchema, sampleSize: z.number().int().min(1).max(50).default(10) });

export const limitsInput = z.object({ id: z.uuid(), version, limits: limitsSchema });
export type LimitsInput = z.infer<typeof limitsInput>;

export const limitsPreviewInput = z.object({
  limits: limitsSchema,
  timeZone: timeZoneSchema,
  /** Preview of a grant of this length requested now (or at `at`). */
  durationMinutes: z
    .number()
    .int()
    .min(1)
    .max(60 * 24 * 31)
    .default(60),
  at: z.coerce.date().optional(),
});

export const locationsInput = z.object({
  id: z.uuid(),
  version,
  locations: locationPolicySchema.superRefine((v, ctx) => {
    v.allowed.forEach((entry, i) => {
      if (!isKnownCountry(entry.country))
        ctx.addIssue({ code: "custom", path: ["allowed", i, "country"], message: `${entry.country} is not an ISO 3166-1 country code` });
    });
  }),
});
export type LocationsInput = z.infer<typeof locationsInput>;

export const sessionsInput = z.object({ id: z.uuid(), version, sessions: sessionSettingsSchema });
export type SessionsInput = z.infer<typeof sessionsInput>;

export const notificationsInput = z.object({ id: z.uuid(), version, notifications: notificationSettingsSchema });
export type NotificationsInput = z.infer<typeof notificationsInput>;

export const principalSearchInput = z.object({
  kind: z.enum(["user", "group"]),
  /** Mark the results already in this access group. */
  groupId: z.uuid().optional(),
  query: z.string().trim().max(64, "At most 64 characters").regex(MULTI_LINE, "Not allowed characters"),
});

const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "Not a directory object id");

export const addMemberInput = z.object({ id: z.uuid(), objectGuid: guid });
export const removeMemberInput = z.object({ id: z.uuid(), memberId: z.uuid() });
export const setActivationInput = z.object({ id: z.uuid(), userGuid: guid, state: z.enum(["active", "suspended"]) });

export const approversInput = z
  .object({
    id: z.uuid(),
    version,
    approvers: z
      .array(z.object({ userGuid: guid, level: z.number().int().min(1, "Levels start at 1").max(10, "At most 10 levels") }))
      .max(100, "At most 100 approvers"),
    levels: z
      .array(z.object({ level: z.number().int().min(1).max(10), requiredApprovals: z.number().int().min(1, "At least 1 approval").max(20, "At most 20") }))
      .max(10),
  })
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    v.approvers.forEach((a, i) => {
      const key = a.userGuid.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["approvers", i, "userGuid"], message: "This person is listed twice" });
      seen.add(key);
    });
    const used = [...new Set(v.approvers.map((a) => a.level))].sort((a, b) => a - b);
    used.forEach((level, i) => {
      if (level !== i + 1)
        ctx.addIssue({ code: "custom", path: ["approvers"], message: `Levels must follow each other from 1: level ${i + 1} has no approver` });
    });
    v.levels.forEach((l, i) => {
      const count = v.approvers.filter((a) => a.level === l.level).length;
      if (!used.includes(l.level)) ctx.addIssue({ code: "custom", path: ["levels", i, "level"], message: `Level ${l.level} has no approver` });
      else if (l.requiredApprovals > count) {
        ctx.addIssue({
          code: "custom",
          path: ["levels", i, "requiredApprovals"],
          message: `Level ${l.level} has ${count} approver${count === 1 ? "" : "s"}; it cannot need ${l.requiredApprovals}`,
        });
      }
    });
  });
export type ApproversInput = z.infer<typeof approversInput>;

export const ACCESS_GROUP_STATUS = ["enabled", "disabled"] as const;

/** The admin list of access groups: search (name, description), enabled or not, one page. */
export const accessGroupPageInput = pageInput.extend({ status: z.enum(ACCESS_GROUP_STATUS).optional() });
export type AccessGroupPageInput = z.input<typeof accessGroupPageInput>;

export const MEMBER_KINDS = ["user", "group"] as const;

/** One access group's members: search (name, display name, DN), people or AD groups, one page. */
export const memberPageInput = pageInput.extend({ id: z.uuid("Pick an access group"), kind: z.enum(MEMBER_KINDS).optional() });
export type MemberPageInput = z.input<typeof memberPageInput>;
