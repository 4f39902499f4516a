import { z } from "zod";
import { pageInput } from "@/shared/paging";

export const MAX_SET_PRIVILEGES = 20;
export const MAX_SET_ACCOUNTS = 100;

const uniqueIds = (what: string, max: number) =>
  z
    .array(z.uuid(`Pick ${what} from the list`))
    .max(max, `At most ${max} ${what}`)
    .refine((ids) => new Set(ids).size === ids.length, `The same ${what.replace(/s$/, "")} is listed twice`);

const setFields = z.object({
  name: z.string().trim().min(2, "At least 2 characters").max(80, "At most 80 characters"),
  description: z.string().trim().max(500, "At most 500 characters").default(""),
  privilegeIds: uniqueIds("privileges", MAX_SET_PRIVILEGES).min(1, "Pick at least one privilege"),
  /** Privileged accounts from the catalog the set may be requested for. */
  credentialIds: uniqueIds("accounts", MAX_SET_ACCOUNTS).default([]),
  /** Requesters may also elevate their own account with the set. */
  allowOwnAccount: z.boolean().default(false),
});

function someoneCanUseIt(v: { credentialIds: string[]; allowOwnAccount: boolean }, ctx: z.RefinementCtx) {
  if (v.credentialIds.length === 0 && !v.allowOwnAccount) {
    ctx.addIssue({ code: "custom", path: ["credentialIds"], message: "Pick at least one privileged account, or allow the requester's own account" });
  }
}

export const createPrivilegeSetInput = setFields.strict().superRefine(someoneCanUseIt);
export type CreatePrivilegeSetInput = z.infer<typeof createPrivilegeSetInput>;

export const updatePrivilegeSetInput = setFields.extend({ id: z.uuid(), enabled: z.boolean() }).strict().superRefine(someoneCanUseIt);
export type UpdatePrivilegeSetInput = z.infer<typeof updatePrivilegeSetInput>;

/** The admin form: one shape for creating and editing (the router inputs add or drop `id`/`enabled`). */
export const privilegeSetFormSchema = setFields.extend({ enabled: z.boolean() }).superRefine(someoneCanUseIt);

export const PRIVILEGE_SET_STATUS = ["enabled", "disabled"] as const;

/** The admin list of sets: search (name, description, a privilege's name), enabled or not, one page. */
export const privilegeSetPageInput = pageInput.extend({ status: z.enum(PRIVILEGE_SET_STATUS).optional() });
export type PrivilegeSetPageInput = z.input<typeof privilegeSetPageInput>;
