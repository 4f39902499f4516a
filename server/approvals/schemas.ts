import { z } from "zod";
import { MULTI_LINE } from "@/shared/text";

export const decideInput = z
  .object({
    requestId: z.uuid("Pick a request"),
    decision: z.enum(["approve", "deny"]),
    comment: z.string().trim().max(1000, "At most 1000 characters").regex(MULTI_LINE, "The comment contains characters that are not allowed").default(""),
    /** Approvers may shorten the requested duration, never lengthen it. */
    durationMinutes: z.coerce.number().int("Whole minutes only").min(1, "At least 1 minute").nullable().default(null),
  })
  .strict();
export type DecideInput = z.infer<typeof decideInput>;

export const requestIdInput = z.object({ requestId: z.uuid() });

export const reviewInput = z
  .object({
    requestId: z.uuid(),
    comment: z.string().trim().max(1000, "At most 1000 characters").regex(MULTI_LINE, "The comment contains characters that are not allowed").default(""),
  })
  .strict();

/** A vote is a person's judgement, never automation's: decide() refuses API tokens with this (the REST API answers 403). */
export const APPROVING_NEEDS_A_PERSON = "Approving needs a person signed in: decide in Interim's inbox, not with an API token.";
