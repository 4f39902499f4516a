import { describe, expect, it } from "vitest";
import { clientIpFrom } from "@/server/http/client-ip";

describe("clientIpFrom", () => {
  it("uses the nearest hop when no proxy is trusted (a client cannot pick its address)", () => {
    expect(clientIpFrom("203.0.113.9, 127.0.0.1", [])).toBe("127.0.0.1");
  });
  it("skips trusted proxies from the right", () => {
    expect(clientIpFrom("198.51.100.7, 203.0.113.9, 10.0.0.2", ["10.0.0.2"])).toBe("203.0.113.9");
    expect(clientIpFrom("198.51.100.7, 203.0.113.9, 10.0.0.2", ["10.0.0.2", "203.0.113.9"])).toBe("198.51.100.7");
  });
  it("normalizes IPv4-mapped IPv6 and brackets", () => {
    expect(clientIpFrom("::ffff:192.0.2.1", [])).toBe("192.0.2.1");
    expect(clientIpFrom("[2001:db8::1]", [])).toBe("2001:db8::1");
  });
  it("ignores garbage entries", () => {
    expect(clientIpFrom("not-an-ip, 192.0.2.5", [])).toBe("192.0.2.5");
    expect(clientIpFrom("", [])).toBe("unknown");
    expect(clientIpFrom(null, [])).toBe("unknown");
  });
  it("returns the leftmost hop when every hop is a trusted proxy", () => {
    expect(clientIpFrom("10.0.0.1, 10.0.0.2", ["10.0.0.1", "10.0.0.2"])).toBe("10.0.0.1");
  });
});
