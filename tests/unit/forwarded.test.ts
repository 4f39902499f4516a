import { describe, expect, it } from "vitest";
import { clientIpFrom } from "@/server/http/client-ip";
import { trustedForwardedFor } from "@/server/http/forwarded";

describe("trustedForwardedFor (what the web server hands to Next)", () => {
  it("replaces a header sent by a client that is not a trusted proxy", () => {
    expect(trustedForwardedFor("203.0.113.50", "192.0.2.7", [])).toBe("192.0.2.7");
    expect(trustedForwardedFor("203.0.113.50", "192.0.2.7", ["10.0.0.1"])).toBe("192.0.2.7");
  });
  it("keeps a trusted proxy's header and appends the proxy itself", () => {
    expect(trustedForwardedFor("203.0.113.50", "10.0.0.1", ["10.0.0.1"])).toBe("203.0.113.50, 10.0.0.1");
  });
  it("uses the socket address when there is no header", () => {
    expect(trustedForwardedFor(undefined, "::ffff:127.0.0.1", ["127.0.0.1"])).toBe("127.0.0.1");
  });
  it("together with clientIpFrom: a spoofed header never becomes the client IP", () => {
    const header = trustedForwardedFor("1.2.3.4", "192.0.2.7", []);
    expect(clientIpFrom(header, [])).toBe("192.0.2.7");
    const viaProxy = trustedForwardedFor("1.2.3.4, 203.0.113.50", "10.0.0.1", ["10.0.0.1"]);
    expect(clientIpFrom(viaProxy, ["10.0.0.1"])).toBe("203.0.113.50");
  });
});
