import { z } from "zod";
import { SIGNIN_NAME } from "@/shared/text";

export const signinInput = z.object({
  username: z
    .string()
    .trim()
    .min(1, "Enter your username")
    .max(256, "Username too long")
    .regex(SIGNIN_NAME, "The username contains characters that are not allowed"),
  // Never trimmed: spaces can be part of a password. Empty is refused before any bind.
  password: z.string().min(1, "Enter your password").max(1024, "Password too long"),
});
export type SigninInput = z.infer<typeof signinInput>;
