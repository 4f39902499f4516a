/**
 * Sign-in and sign-out against next-auth's REST endpoints, as `next-auth/react` does them, without
 * its 10 KB client (SessionProvider, polling, broadcast): no page reads the session in the browser
 * (the server renders who is signed in), so these two calls are all the browser needs.
 */

const RETURN_REDIRECT = { "X-Auth-Return-Redirect": "1", "Content-Type": "application/x-www-form-urlencoded" };

async function csrfToken(): Promise<string> {
  const res = await fetch("/api/auth/csrf", { credentials: "same-origin" });
  return ((await res.json()) as { csrfToken: string }).csrfToken;
}

async function post(path: string, fields: Record<string, string>): Promise<{ res: Response; url: string | null }> {
  const res = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: RETURN_REDIRECT,
    body: new URLSearchParams({ ...fields, csrfToken: await csrfToken(), json: "true" }),
  });
  const data = (await res.json().catch(() => ({}))) as { url?: string };
  return { res, url: data.url ?? null };
}

/** Credentials sign-in without a redirect: `error` is next-auth's code or the server's own message. */
export async function signInWithPassword(username: string, password: string): Promise<{ ok: boolean; error: string | null }> {
  const { res, url } = await post("/api/auth/callback/credentials", { username, password, callbackUrl: window.location.href });
  const error = url ? new URL(url, window.location.origin).searchParams.get("error") : null;
  return { ok: res.ok && !error, error };
}

/** Ends the session (next-auth clears the cookie) and loads `callbackUrl`. */
export async function signOutTo(callbackUrl: string): Promise<void> {
  await post("/api/auth/signout", { callbackUrl });
  window.location.assign(callbackUrl);
}
