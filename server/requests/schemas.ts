import { z } from "zod";

export const submitRequestInput = z.object({
  privilegeId: z.string().uuid("Pick a privilege"),
  durationMinutes: z.coerce.number({ error: "Enter a number of minutes" }).int("Whole minutes only").min(1, "At least 1 minute"),
  justification: z
    .string()
    .trim()
    .max(1000, "At most 1000 characters")
    // Line breaks and tabs are fine; other control characters are not text (and Postgres refuses NUL).
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, "The justification contains characters that are not allowed")
    .default(""),
});
export type SubmitRequestInput = z.infer<typeof submitRequestInput>;

export const grantIdInput = z.object({ grantId: z.string().uuid() });

