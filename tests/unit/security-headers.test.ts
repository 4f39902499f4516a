import { describe, expect, it } from "vitest";
import {
  contentSecurityPolicy,
  dynamicSecurityHeaders,
  forwardedProto,
  isHttps,
  newNonce,
  STATIC_SECURITY_HEADERS,
  STRICT_TRANSPORT_SECURITY,
} from "@/server/http/security-headers";

/** The policy as directive → sources. */
function parse(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(";").map((d) => {
      const [name, ...sources] = d.trim().split(/\s+/);
      return [name!, sources];
    }),
  );
}

const nonce = "q7VhTn2Zb4o0k0E3a3aQ8w==";

describe("contentSecurityPolicy", () => {
  const production = parse(contentSecurityPolicy({ nonce, dev: false, https: false }));

  it("runs only scripts carrying this response's nonce (or loaded by one), never inline or eval'd code", () => {
    const scripts = production.get("script-src")!;
    expect(scripts).toContain(`'nonce-${nonce}'`);
    expect(scripts).toContain("'strict-dynamic'");
    expect(scripts).not.toContain("'unsafe-inline'");
    expect(scripts).not.toContain("'unsafe-eval'");
    expect(production.get("style-src")).not.toContain("'unsafe-inline'");
  });

  it("compiles WebAssembly (the session player's terminal emulator) but still evaluates no JavaScript", () => {
    expect(production.get("script-src")).toContain("'wasm-unsafe-eval'");
    expect(production.get("script-src")).not.toContain("'unsafe-eval'");
    // Same-origin WebSockets (the browser terminal) are covered by 'self' in CSP3.
    expect(production.get("connect-src")).toEqual(["'self'"]);
  });

  it("is never framed, loads no plugins, keeps its base URL and posts forms only to itself", () => {
    expect(production.get("frame-ancestors")).toEqual(["'none'"]);
    expect(production.get("object-src")).toEqual(["'none'"]);
    expect(production.get("base-uri")).toEqual(["'self'"]);
    expect(production.get("form-action")).toEqual(["'self'"]);
    expect(production.get("default-src")).toEqual(["'self'"]);
  });

  it("allows eval and inline styles in development only (React refresh, the dev overlay)", () => {
    const dev = parse(contentSecurityPolicy({ nonce, dev: true, https: false }));
    expect(dev.get("script-src")).toContain("'unsafe-eval'");
    expect(dev.get("style-src")).toContain("'unsafe-inline'");
    expect(dev.get("frame-ancestors")).toEqual(["'none'"]);
  });

  it("upgrades insecure requests over https only", () => {
    expect(production.has("upgrade-insecure-requests")).toBe(false);
    expect(parse(contentSecurityPolicy({ nonce, dev: false, https: true })).has("upgrade-insecure-requests")).toBe(true);
  });

  it("is the shape Next looks for on the request ('nonce-…' in script-src), with the nonce Next would read", () => {
    const fresh = newNonce();
    const policy = contentSecurityPolicy({ nonce: fresh, dev: false, https: false });
    const scriptSrc = policy.split(";").find((d) => d.trim().startsWith("script-src"))!;
    const found = scriptSrc.match(/'nonce-([A-Za-z0-9+/_-]+={0,2})'/);
    expect(found?.[1]).toBe(fresh);
  });
});

describe("newNonce", () => {
  it("is 128 random bits, different every time", () => {
    const nonces = new Set(Array.from({ length: 200 }, newNonce));
    expect(nonces.size).toBe(200);
    for (const n of nonces) expect(Buffer.from(n, "base64")).toHaveLength(16);
  });
});

describe("HSTS", () => {
  it("is sent over https and never over plain http", () => {
    expect(dynamicSecurityHeaders({ nonce, dev: false, https: true })["Strict-Transport-Security"]).toBe(STRICT_TRANSPORT_SECURITY);
    expect(dynamicSecurityHeaders({ nonce, dev: false, https: false })).not.toHaveProperty("Strict-Transport-Security");
  });

  it("https is what a trusted proxy said, or the public URL", () => {
    expect(isHttps("https", "http://localhost:3000")).toBe(true);
    expect(isHttps("http", "https://interim.example.com")).toBe(true);
    expect(isHttps("http", "http://localhost:3000")).toBe(false);
    expect(isHttps(null, undefined)).toBe(false);
  });

  it("a client that is not a trusted proxy cannot claim https", () => {
    expect(forwardedProto("https", false)).toBe("http");
    expect(forwardedProto(["https"], false)).toBe("http");
    expect(forwardedProto("https", true)).toBe("https");
    expect(forwardedProto("HTTPS, http", true)).toBe("https");
    expect(forwardedProto("http", true)).toBe("http");
    expect(forwardedProto("javascript", true)).toBe("http");
    expect(forwardedProto(undefined, true)).toBe("http");
  });
});

describe("STATIC_SECURITY_HEADERS", () => {
  it("turn off MIME sniffing, framing and full-URL referrers", () => {
    expect(STATIC_SECURITY_HEADERS["X-Content-Type-Options"]).toBe("nosniff");
    expect(STATIC_SECURITY_HEADERS["X-Frame-Options"]).toBe("DENY");
    expect(["strict-origin-when-cross-origin", "no-referrer"]).toContain(STATIC_SECURITY_HEADERS["Referrer-Policy"]);
  });
});
