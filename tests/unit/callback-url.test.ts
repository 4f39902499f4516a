import { describe, expect, it } from "vitest";
import { DEFAULT_AFTER_SIGNIN, safeCallbackPath, sameOriginPath } from "@/shared/callback-url";

const ORIGIN = "https://interim.example.com";

// Destinations Interim itself produces (proxy.ts's redirects, mail links, the sign-out button).
const ALLOWED: [string, string][] = [
  ["/roles", "/roles"],
  ["/", "/"],
  ["/admin", "/admin"],
  ["/admin/access-groups/9b2c4e1a-0f3d-4c55-8a61-2f9e0d7b1c33/approvers", "/admin/access-groups/9b2c4e1a-0f3d-4c55-8a61-2f9e0d7b1c33/approvers"],
  ["/inbox?request=3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "/inbox?request=3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"],
  ["/roles?extend=abc#grant-1", "/roles?extend=abc#grant-1"],
  ["/signin", "/signin"],
  ["/admin/catalog", "/admin/catalog"],
  [`${ORIGIN}/roles`, "/roles"],
  [`${ORIGIN}/inbox?request=1`, "/inbox?request=1"],
  [ORIGIN, "/"],
  ["/roles?q=a.b", "/roles?q=a.b"],
  ["/admin/audit?from=2026-01-01&to=2026-02-01", "/admin/audit?from=2026-01-01&to=2026-02-01"],
  ["/roles/", "/roles/"],
];

// Each one, if kept, sends the browser off this origin, runs script, or hides a trick from a
// reviewer; the comment says which trick.
const REFUSED: [string, string][] = [
  ["//evil.example/phish", "protocol-relative"],
  ["/./evil.example", "dot segment (the issue's payload, decoded)"],
  ["%2F.%2F%2Fevil.example%2Fphish", "the issue's payload as the page receives it"],
  ["/.//evil.example/phish", "dot segment normalising into //"],
  ["/..//evil.example", "dot-dot segment normalising into //"],
  ["/roles/../../evil", "dot-dot segment"],
  ["/roles/.", "trailing dot segment"],
  ["/%2e%2e//evil.example", "encoded dot-dot"],
  ["/%2e/%2fevil.example", "encoded dot and slash"],
  ["/\\evil.example", "backslash (browsers read it as /)"],
  ["\\\\evil.example", "two backslashes"],
  ["/%5Cevil.example", "encoded backslash"],
  ["/%5cevil.example", "encoded backslash, lower case"],
  ["%2F%2Fevil.example", "encoded //"],
  ["/%2Fevil.example", "encoded second slash"],
  ["%252F%252Fevil.example", "double-encoded //"],
  ["%2Froles", "an encoded slash is never needed, even a harmless one"],
  ["%25252F%25252Fevil.example", "triple-encoded //"],
  ["%2525252525252F%2525252525252Fevil.example", "encoded more often than the decoder tries"],
  ["/%zz", "malformed percent-encoding"],
  ["javascript:alert(document.cookie)", "javascript: scheme"],
  ["JaVaScRiPt:alert(1)", "javascript: scheme, mixed case"],
  ["javascript%3Aalert(1)", "encoded javascript: scheme"],
  ["data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "data: scheme"],
  ["http://evil.example/phish", "absolute URL to another origin"],
  ["https://interim.example.com.evil.example/roles", "another origin sharing our name as a prefix"],
  ["https://interim.example.com@evil.example/roles", "userinfo trick"],
  ["http://interim.example.com/roles", "same host, other scheme (another origin)"],
  ["https://interim.example.com:8443/roles", "same host, other port"],
  ["/\t/evil.example", "tab (browsers strip it, leaving //)"],
  ["/%09/evil.example", "encoded tab"],
  ["/\r\n/evil.example", "CR LF"],
  ["/%0d%0a/evil.example", "encoded CR LF"],
  [" //evil.example", "leading space"],
  ["%20//evil.example", "encoded leading space"],
  ["/roles\u0000", "NUL"],
  ["/roles%00", "encoded NUL"],
  ["/\u3000/evil.example", "ideographic space"],
  ["/\uff0fevil.example", "fullwidth solidus"],
  ["/roles\u202e", "right-to-left override"],
  ["/roles?q=caf%C3%A9", "non-ASCII once decoded (Interim links never carry any)"],
  ["evil.example/phish", "relative path without leading slash"],
  ["roles", "relative path without leading slash"],
  ["?next=//evil.example", "query only"],
  ["#//evil.example", "fragment only"],
  ["", "empty"],
  [`/${"a".repeat(3000)}`, "absurdly long"],
];

describe("sameOriginPath: Interim's own destinations survive", () => {
  it.each(ALLOWED)("%s → %s", (raw, expected) => {
    expect(sameOriginPath(raw, ORIGIN)).toBe(expected);
  });
});

describe("sameOriginPath: anything that could leave the origin is refused", () => {
  const cases = REFUSED.map(([raw, why]) => ({ raw, why, shown: JSON.stringify(raw.length > 60 ? `${raw.slice(0, 40)}…` : raw) }));
  it.each(cases)("$shown ($why)", ({ raw }) => {
    expect(sameOriginPath(raw, ORIGIN)).toBeNull();
  });

  it("whatever it refuses, what it returns is a path the browser keeps on this origin", () => {
    for (const [raw] of [...ALLOWED, ...REFUSED]) {
      const target = safeCallbackPath(raw, ORIGIN);
      expect(target.startsWith("/") && !target.startsWith("//"), raw).toBe(true);
      expect(new URL(target, ORIGIN).origin, raw).toBe(ORIGIN);
    }
  });

  it("missing values and a bad origin fall back to the default", () => {
    expect(safeCallbackPath(null, ORIGIN)).toBe(DEFAULT_AFTER_SIGNIN);
    expect(safeCallbackPath(undefined, ORIGIN)).toBe(DEFAULT_AFTER_SIGNIN);
    expect(safeCallbackPath("//evil.example", ORIGIN)).toBe(DEFAULT_AFTER_SIGNIN);
    expect(sameOriginPath("/roles", "javascript:alert(1)")).toBeNull();
    expect(sameOriginPath("/roles", "not a url")).toBeNull();
  });

  it("the default itself is a plain local path", () => {
    expect(sameOriginPath(DEFAULT_AFTER_SIGNIN, ORIGIN)).toBe(DEFAULT_AFTER_SIGNIN);
  });
});
