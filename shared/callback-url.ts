/*
 * Where a visitor may be sent after signing in (or out): a path on this site, nothing else. The
 * sign-in page, its form and next-auth's redirect callback (server/auth/options.ts) all ask here,
 * so a link like /signin?callbackUrl=%2F.%2F%2Fevil.example cannot turn a real sign-in into a
 * trip to a phishing page. Pure: the browser's form imports it too.
 *
 * The rule is an allow-list, not a list of known tricks: after percent-decoding until nothing
 * changes, every form of the value must be printable ASCII without a backslash or an encoded
 * slash, must be a path ("/…", or this origin followed by one) whose second character is not a
 * slash, and must have no "." or ".." segment; the URL the browser would then build must still
 * be on this origin with a path that does not start with "//". Interim's own links (/roles,
 * /inbox?request=…, /admin/…) pass; anything cleverer is refused and lands on the default.
 */

/** Where to go when the given destination is missing or refused: the home page, which sends each person to their own start page. */
export const DEFAULT_AFTER_SIGNIN = "/";

const MAX_LENGTH = 2048;
// A value still changing after this many decodings was built to confuse a decoder: refuse it.
const MAX_DECODINGS = 4;
// Printable ASCII only: no whitespace (browsers strip tab/CR/LF inside URLs), no control or
// Unicode look-alike characters (fullwidth solidus, right-to-left override…).
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
const ENCODED_SLASH = /%(2f|5c)/i;
// A "." or ".." path segment (also at the end of the path): "/./" and "/../" are how "//" hides.
const DOT_SEGMENT = /(^|\/)\.{1,2}(\/|$)/;

/** The value and each percent-decoding of it, until stable; null when it never settles or is malformed. */
function decodings(raw: string): string[] | null {
  const forms = [raw];
  for (let i = 0; i < MAX_DECODINGS; i++) {
    const current = forms[forms.length - 1]!;
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return null;
    }
    if (next === current) return forms;
    forms.push(next);
  }
  return null;
}

/** The path of `form` (without query and fragment) when it is a plain path on `origin`, else null. */
function pathOf(form: string, origin: string): string | null {
  const rest = form.startsWith("/") ? form : form.startsWith(`${origin}/`) ? form.slice(origin.length) : form === origin ? "/" : null;
  if (rest === null || rest.startsWith("//")) return null;
  return rest.split(/[?#]/, 1)[0]!;
}

function acceptable(form: string, origin: string): boolean {
  if (!PRINTABLE_ASCII.test(form) || form.includes("\\") || ENCODED_SLASH.test(form)) return false;
  const path = pathOf(form, origin);
  return path !== null && !DOT_SEGMENT.test(path);
}

/**
 * The path (with query and fragment) to go to after sign-in, if `raw` names a page of this site;
 * else null. `origin` is this site's origin ("https://interim.example.com").
 */
export function sameOriginPath(raw: string | null | undefined, origin: string): string | null {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_LENGTH) return null;
  let base: URL;
  try {
    base = new URL(origin);
  } catch {
    return null;
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") return null;
  const forms = decodings(raw);
  if (!forms || !forms.every((form) => acceptable(form, base.origin))) return null;
  try {
    const url = new URL(raw, base.origin);
    if (url.origin !== base.origin || url.pathname.startsWith("//")) return null;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return null;
  }
}

/** sameOriginPath, or DEFAULT_AFTER_SIGNIN when `raw` is missing or refused. */
export function safeCallbackPath(raw: string | null | undefined, origin: string): string {
  return sameOriginPath(raw, origin) ?? DEFAULT_AFTER_SIGNIN;
}
