/**
 * The path to go to after sign-in, if `raw` points into this site; else null. Refuses other
 * origins and protocol-relative tricks ("//evil", "/\\evil") so the page is no open redirect.
 */
export function sameOriginPath(raw: string | null | undefined, origin: string): string | null {
  if (!raw) return null;
  try {
    const url = new URL(raw, origin);
    if (url.origin !== origin) return null;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return null;
  }
}
