import { z } from "zod";
import { API_SCOPES, API_TOKEN_NAME_MAX } from "@/shared/api-scopes";
import { ONE_LINE } from "@/shared/text";

export const apiScopeSchema = z.enum(API_SCOPES);

/** The token form. The upper bound on days is INTERIM_API_TOKEN_MAX_DAYS, checked by the service. */
export const createApiTokenInput = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, "Give the token a name")
      .max(API_TOKEN_NAME_MAX, `At most ${API_TOKEN_NAME_MAX} characters`)
      .regex(ONE_LINE, "The name contains characters that are not allowed"),
    scopes: z
      .array(apiScopeSchema)
      .min(1, "Pick at least one scope")
      .refine((s) => new Set(s).size === s.length, "Each scope once"),
    expiresInDays: z.coerce.number({ error: "Pick an expiry" }).int("Whole days only").min(1, "At least 1 day"),
  })
  .strict();
export type CreateApiTokenInput = z.infer<typeof createApiTokenInput>;

export const apiTokenIdInput = z.object({ tokenId: z.uuid() }).strict();
