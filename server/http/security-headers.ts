/*
 * The response headers that make a browser hold Interim to what it is: a same-origin app that
 * runs only its own scripts, is never framed, leaks no URL to other sites and, over https, is
 * never again opened over http. Pure (no I/O, no `server-only`): proxy.ts and next.config.ts run
 * it, which are built outside the server layer.
 *
 *   STATIC_SECURITY_HEADERS   every response, static files included (next.config.ts `headers()`)
 *   contentSecurityPolicy     pages and API routes, with a fresh nonce per request (proxy.ts)
 *   STRICT_TRANSPORT_SECURITY only when the request came over https (isHttps)
 */

export const STATIC_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  // Links in mails carry request ids; other sites learn the origin at most.
  "Referrer-Policy": "strict-origin-when-cross-origin",
  // frame-ancestors 'none' for browsers that predate it.
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
};

// Two years; a browser that once saw Interim over https refuses http for it from then on.
export const STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains";

/** 128 random bits, base64: unguessable per response, and the shape Next.js looks for ('nonce-…'). */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

export interface PolicyOptions {
  nonce: string;
  /** `next dev`: React refresh evaluates code and the dev overlay injects styles. */
  dev: boolean;
  https: boolean;
}

/**
 * The Content-Security-Policy for one response. Scripts run only with this response's nonce (Next
 * puts it on its own scripts when it finds the policy on the request) or when loaded by such a
 * script ('strict-dynamic'): an injected <script> or on* attribute does not run. Everything else
 * comes from this origin; nothing may frame the page, change its base URL or post its forms
 * elsewhere.
 */
export function contentSecurityPolicy({ nonce, dev, https }: PolicyOptions): string {
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    // 'wasm-unsafe-eval': the session player (asciinema-player) runs its terminal emulator as WebAssembly. It allows
    // compiling WebAssembly only, not JavaScript eval; every page has it, as client-side navigation keeps the first page's policy.
    ["script-src", "'self'", `'nonce-${nonce}'`, "'strict-dynamic'", "'wasm-unsafe-eval'", ...(dev ? ["'unsafe-eval'"] : [])],
    // A nonce would make browsers ignore 'unsafe-inline', which the dev overlay needs.
    ["style-src", "'self'", ...(dev ? ["'unsafe-inline'"] : [`'nonce-${nonce}'`])],
    ["img-src", "'self'", "data:", "blob:"],
    ["font-src", "'self'"],
    ["connect-src", "'self'"],
    ["object-src", "'none'"],
    ["frame-src", "'none'"],
    ["base-uri", "'self'"],
    ["form-action", "'self'"],
    ["frame-ancestors", "'none'"],
  ];
  if (https) directives.push(["upgrade-insecure-requests"]);
  return directives.map((d) => d.join(" ")).join("; ");
}

/** The headers proxy.ts adds to a page or API response (the static ones come from next.config.ts). */
export function dynamicSecurityHeaders(options: PolicyOptions): Record<string, string> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(options),
    ...(options.https ? { "Strict-Transport-Security": STRICT_TRANSPORT_SECURITY } : {}),
  };
}

/**
 * Whether the browser reached Interim over https: the public URL says so, or the
 * X-Forwarded-Proto that server/http/serve.ts passed on (it keeps a client's value only from a
 * trusted proxy: see forwardedProto) does.
 */
export function isHttps(forwardedProto: string | null | undefined, publicUrl: string | null | undefined): boolean {
  return forwardedProto === "https" || (publicUrl ?? "").toLowerCase().startsWith("https://");
}

/**
 * The X-Forwarded-Proto the app may believe. The web server itself speaks plain http, so only a
 * trusted proxy (which terminated TLS) can say "https"; anyone else's header is replaced, or a
 * client could make Interim send HSTS or build https links for a plain-http request.
 */
export function forwardedProto(received: string | string[] | undefined, fromTrustedProxy: boolean): "https" | "http" {
  if (!fromTrustedProxy) return "http";
  const value = Array.isArray(received) ? received[0] : received;
  // The first hop's value is what the browser used (later proxies append theirs).
  return value?.split(",")[0]?.trim().toLowerCase() === "https" ? "https" : "http";
}
