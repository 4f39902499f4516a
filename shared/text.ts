/*
 * What free text may hold, for every zod schema that takes some (forms import these too, so this
 * module stays free of server-only imports). Control characters are not text: they hide in logs
 * and the directory, and Postgres refuses NUL. Each field keeps its own message.
 */

/** One line (a name, a pattern, a code): no C0 control character, no DEL. */
export const ONE_LINE = /^[^\u0000-\u001f\u007f]*$/;

/** Several lines (a description, a justification): tabs and line breaks are fine, other C0 characters and DEL are not. */
export const MULTI_LINE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;

/**
 * A sign-in name, non-empty: no C0 control character, nor `(`, `)` or `*`, which would change the
 * meaning of the LDAP filter the name is searched with.
 */
export const SIGNIN_NAME = /^[^\u0000-\u001f()*]+$/;

/** Any Unicode control character (C0, DEL and C1): the catalog's tags and device names refuse them all. */
export const CONTROL_CHARACTER = /\p{Cc}/u;

export const hasNoControlCharacter = (s: string) => !CONTROL_CHARACTER.test(s);
