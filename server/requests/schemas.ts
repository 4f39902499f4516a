import { z } from "zod";
import { ACCESS_PAGE_SIZE } from "@/shared/page-numbers";
import { MULTI_LINE, ONE_LINE } from "@/shared/text";

export const optionalCode = (what: string) =>
  z.string().trim().max(100, "At most 100 characters").regex(ONE_LINE, `The ${what} contains characters that are not allowed`).default("");

/** The reason a person gives (requests, extensions, sessions). */
export const justificationSchema = z
  .string()
  .trim()
  .max(1000, "At most 1000 characters")
  .regex(MULTI_LINE, "The justification contains characters that are not allowed")
  .default("");

export const durationMinutesSchema = z.coerce.number({ error: "Enter a number of minutes" }).int("Whole minutes only").min(1, "At least 1 minute");

/** What a request asks for: one privilege, or a privilege set (every privilege in it, all or none). */
const subject = {
  privilegeId: z.uuid("Pick a privilege").optional(),
  privilegeSetId: z.uuid("Pick a privilege set").optional(),
};

function oneSubject(v: { privilegeId?: string; privilegeSetId?: string }, ctx: z.RefinementCtx) {
  if ((v.privilegeId === undefined) === (v.privilegeSetId === undefined)) {
    ctx.addIssue({ code: "custom", path: ["privilegeId"], message: "Ask for either one privilege or one privilege set" });
  }
}

/**
 * A request. Unknown fields are refused (strict): the form sends exactly what the binding access
 * group asks for; which of the optional fields are required is decided on the server.
 */
export const submitRequestInput = z
  .object({
    ...subject,
    /** A privileged account from the catalog; absent = the requester's own account. */
    credentialId: z.uuid("Pick an account").nullable().default(null),
    durationMinutes: durationMinutesSchema,
    justification: justificationSchema,
    changeId: optionalCode("change ID"),
    governanceCode: optionalCode("governance code"),
    /** Break-glass: only where the binding group allows emergency access; skips approval, needs a justification. */
    emergency: z.boolean().default(false),
    /** Scheduled: access starts then (null = as soon as granted). */
    startsAt: z.coerce.date({ error: "Enter a start date and time" }).nullable().default(null),
  })
  .strict()
  .superRefine(oneSubject);
export type SubmitRequestInput = z.infer<typeof submitRequestInput>;

export const previewRequestInput = z
  .object({
    ...subject,
    credentialId: z.uuid("Pick an account").nullable().default(null),
    durationMinutes: durationMinutesSchema.max(60 * 24 * 366, "Too long"),
    emergency: z.boolean().default(false),
    startsAt: z.coerce.date({ error: "Enter a start date and time" }).nullable().default(null),
  })
  .superRefine(oneSubject);
export type PreviewRequestInput = z.infer<typeof previewRequestInput>;

export const grantIdInput = z.object({ grantId: z.string().uuid() });

export const extendGrantInput = z
  .object({
    grantId: z.uuid(),
    minutes: durationMinutesSchema.max(60 * 24 * 366, "Too long"),
    justification: justificationSchema,
    /** Required like on a request when the access group that allows the extension asks for them. */
    changeId: optionalCode("change ID"),
    governanceCode: optionalCode("governance code"),
  })
  .strict();
export type ExtendGrantInput = z.infer<typeof extendGrantInput>;

export { ACCESS_PAGE_SIZE } from "@/shared/page-numbers";
export const accessListInput = z
  .object({
    search: z.string().trim().max(100).regex(ONE_LINE).default(""),
    tag: z.string().trim().max(100).regex(ONE_LINE).default(""),
    /** Offset into the ordered listing (favourites, then recently requested, then by name). */
    cursor: z.number().int().min(0).max(100_000).nullish(),
    limit: z.number().int().min(1).max(100).default(ACCESS_PAGE_SIZE),
  })
  .default({ search: "", tag: "", limit: ACCESS_PAGE_SIZE });
export type AccessListInput = z.output<typeof accessListInput>;

export const favouriteInput = z.object({ privilegeId: z.uuid(), favourite: z.boolean() });
export const accountsInput = z.object({ privilegeId: z.uuid() });

/** "My access": live requests first (all of them), then the earlier ones a page at a time, newest first. */
export const mineInput = z
  .object({
    /** The last row of the previous "Earlier" page: its request time and id. */
    cursor: z.object({ requestedAt: z.coerce.date(), requestId: z.uuid() }).nullish(),
    limit: z.number().int().min(1).max(100).default(20),
  })
  .default({ limit: 20 });
export type MineInput = z.output<typeof mineInput>;
