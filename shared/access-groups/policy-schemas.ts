import { IANAZone } from "luxon";
import { z } from "zod";
import { ONE_LINE } from "@/shared/text";

/*
 * The shapes of an access group's policy (senhasegura's settings, criteria, access limitation and
 * Domum's locations tabs). The engine functions take the parsed (output) types, so a router,
 * a form and a frozen-policy snapshot on a request all go through these same schemas.
 */

/** A criteria pattern: `*` stands for any run of characters, everything else is literal. */
export const patternSchema = z
  .string()
  .trim()
  .min(1, "Enter a pattern")
  .max(200, "At most 200 characters")
  .regex(ONE_LINE, "The pattern contains characters that are not allowed");

const patternList = z.array(patternSchema).max(100, "At most 100 patterns per field").default([]);

export const criteriaSchema = z.object({
  deviceNames: patternList,
  deviceModels: patternList,
  deviceTypes: patternList,
  deviceTags: patternList,
  websites: patternList,
  credentialUsernames: patternList,
  credentialTypes: patternList,
  credentialTags: patternList,
  privilegeNames: patternList,
  privilegeTags: patternList,
});
export type Criteria = z.output<typeof criteriaSchema>;
export type CriteriaField = keyof Criteria;

export const DEVICE_FIELDS = ["deviceNames", "deviceModels", "deviceTypes", "deviceTags", "websites"] as const satisfies readonly CriteriaField[];
export const CREDENTIAL_FIELDS = ["credentialUsernames", "credentialTypes", "credentialTags"] as const satisfies readonly CriteriaField[];
export const PRIVILEGE_FIELDS = ["privilegeNames", "privilegeTags"] as const satisfies readonly CriteriaField[];

export function isValidTimeZone(timeZone: string): boolean {
  return IANAZone.isValidZone(timeZone);
}

/** An IANA zone name, stored in its canonical spelling ("europe/paris" becomes "Europe/Paris"). */
export const timeZoneSchema = z
  .string()
  .trim()
  // abort: the canonicalising transform below would throw on an unknown zone.
  .refine(isValidTimeZone, { error: "Pick a time zone from the list (IANA name such as Europe/Paris)", abort: true })
  .transform((tz) => new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone);

export const timeOfDaySchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Use a time like 08:00 (00:00 to 23:59)");

/** end < start crosses midnight; end == start is a full 24 hours. Both belong to the day they start. */
export const timeWindowSchema = z.object({ start: timeOfDaySchema, end: timeOfDaySchema });
export type TimeWindow = z.output<typeof timeWindowSchema>;

const localDateSchema = z.iso.date({ error: "Use a date like 2025-06-30" });

export const limitsSchema = z
  .object({
    validFrom: localDateSchema.nullable().default(null),
    validTo: localDateSchema.nullable().default(null),
    /** ISO weekdays, 1 = Monday … 7 = Sunday; empty = every day. */
    daysOfWeek: z
      .array(z.number().int().min(1, "Days are numbered 1 (Monday) to 7 (Sunday)").max(7, "Days are numbered 1 (Monday) to 7 (Sunday)"))
      .max(7)
      .default([])
      .transform((days) => [...new Set(days)].sort((a, b) => a - b)),
    /** Empty = all day. */
    windows: z.array(timeWindowSchema).max(12, "At most 12 time windows").default([]),
  })
  .superRefine((v, ctx) => {
    // ISO dates compare correctly as strings.
    if (v.validFrom !== null && v.validTo !== null && v.validTo < v.validFrom) {
      ctx.addIssue({ code: "custom", path: ["validTo"], message: "The end date cannot be before the start date" });
    }
  });
export type Limits = z.output<typeof limitsSchema>;

const countryCodeSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z]{2}$/, "Use a two-letter ISO 3166-1 country code such as FR")
  .transform((c) => c.toUpperCase());

const regionCodeSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$/, "Use an ISO 3166-2 region code such as FR-IDF")
  .transform((r) => r.toUpperCase());

export const allowedLocationSchema = z.object({ country: countryCodeSchema, region: regionCodeSchema.nullish() }).superRefine((v, ctx) => {
  if (v.region && !v.region.startsWith(`${v.country}-`)) {
    ctx.addIssue({ code: "custom", path: ["region"], message: `The region must be in ${v.country} (a code starting with ${v.country}-)` });
  }
});
export type AllowedLocation = z.output<typeof allowedLocationSchema>;

export const locationPolicySchema = z
  .object({
    restrict: z.boolean().default(false),
    allowed: z.array(allowedLocationSchema).max(500, "At most 500 locations").default([]),
  })
  .superRefine((v, ctx) => {
    if (v.restrict && v.allowed.length === 0) {
      ctx.addIssue({ code: "custom", path: ["allowed"], message: "Add at least one location, or turn the restriction off" });
    }
  });
export type LocationPolicy = z.output<typeof locationPolicySchema>;

export const groupSettingsSchema = z
  .object({
    requiresJustification: z.boolean().default(false),
    requiresApproval: z.boolean().default(false),
    requiresChangeId: z.boolean().default(false),
    /** The company's ITSM ticket, asked for with the justification. */
    requiresGovernanceCode: z.boolean().default(false),
    /** Emergency requests skip approval (and raise a loud alert); limits and locations still apply. */
    allowsEmergencyAccess: z.boolean().default(false),
    approvalInLevels: z.boolean().default(false),
    /** Otherwise a user provisioned into the group waits for an admin to activate them. */
    autoGrantOnProvisioning: z.boolean().default(false),
    /**
     * Members may ask for a catalog account that belongs to someone else (its owner, from AD's
     * managedBy/manager or set by an admin). Off: only their own accounts and unowned ones.
     */
    allowOthersAccounts: z.boolean().default(false),
    /**
     * The group's usual working hours (in its time zone): a request made, or scheduled to start,
     * outside them is flagged "outside usual hours" to approvers and in notifications.
     */
    usualDays: z
      .array(z.number().int().min(1, "Days are numbered 1 (Monday) to 7 (Sunday)").max(7, "Days are numbered 1 (Monday) to 7 (Sunday)"))
      .max(7)
      .default([1, 2, 3, 4, 5])
      .transform((days) => [...new Set(days)].sort((a, b) => a - b)),
    usualHours: timeWindowSchema.default({ start: "08:00", end: "18:00" }),
  })
  .superRefine((v, ctx) => {
    if (v.approvalInLevels && !v.requiresApproval) {
      ctx.addIssue({ code: "custom", path: ["approvalInLevels"], message: "Approval in levels needs approval to be required" });
    }
  });
export type GroupSettings = z.output<typeof groupSettingsSchema>;

/** Everything the engine needs to know about one access group; also the snapshot frozen onto a request. */
export const accessGroupPolicySchema = z.object({
  id: z.string().min(1),
  name: z.string().trim().min(1, "Enter a name").max(80, "At most 80 characters"),
  enabled: z.boolean(),
  timeZone: timeZoneSchema,
  settings: groupSettingsSchema,
  criteria: criteriaSchema,
  limits: limitsSchema,
  locations: locationPolicySchema,
});
export type AccessGroupPolicy = z.output<typeof accessGroupPolicySchema>;
