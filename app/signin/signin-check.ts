import { SIGNIN_NAME } from "@/shared/text";

export interface SigninErrors {
  username?: string;
  password?: string;
}

/**
 * The browser's copy of `signinInput` (server/auth/schemas.ts), as plain checks: zod and
 * react-hook-form were most of the sign-in page's own JavaScript. The server still parses with the
 * schema; tests/unit/client-checks.test.ts holds both to the same answers.
 */
export function checkSignin(username: string, password: string): { errors: SigninErrors; username: string } {
  const name = username.trim();
  const errors: SigninErrors = {};
  if (name.length < 1) errors.username = "Enter your username";
  else if (name.length > 256) errors.username = "Username too long";
  else if (!SIGNIN_NAME.test(name)) errors.username = "The username contains characters that are not allowed";
  // Never trimmed: spaces can be part of a password.
  if (password.length < 1) errors.password = "Enter your password";
  else if (password.length > 1024) errors.password = "Password too long";
  return { errors, username: name };
}
