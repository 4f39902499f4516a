import { describe, expect, it } from "vitest";
import { checkResolved, checkWebhookUrl, classifyAddress, EMPTY_ALLOW_LIST, parseAllowList } from "@/server/notifications/egress-policy";
import { REPLAY_WINDOW_SECONDS, seal, sealingKey, signDelivery, unseal, verifyDelivery } from "@/server/notifications/signing";

const refusedReason = (url: string, allow = EMPTY_ALLOW_LIST) => {
  const verdict = checkWebhookUrl(url, allow);
  return verdict.ok ? null : verdict.reason;
};

describe("addresses that are not public", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["10.0.0.5", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "shared (CGNAT)"],
    ["100.127.255.255", "shared (CGNAT)"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["169.254.169.254", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["fd20:ce::254", "metadata"],
    ["192.0.0.192", "metadata"],
    ["168.63.129.16", "metadata"],
    ["100.100.100.200", "metadata"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.2.1", "reserved"],
    ["2001:db8::1", "reserved"],
    ["fec0::1", "private"],
  ])("%s is %s", (address, cls) => {
    expect(classifyAddress(address).class).toBe(cls);
  });

  it.each([
    ["::ffff:127.0.0.1", "loopback", "127.0.0.1"],
    ["::ffff:7f00:1", "loopback", "127.0.0.1"],
    ["::ffff:a9fe:a9fe", "metadata", "169.254.169.254"],
    ["0:0:0:0:0:ffff:10.1.2.3", "private", "10.1.2.3"],
    ["::ffff:0:a00:1", "private", "10.0.0.1"],
    ["::127.0.0.1", "loopback", "127.0.0.1"],
    ["::7f00:1", "loopback", "127.0.0.1"],
    ["64:ff9b::10.0.0.1", "private", "10.0.0.1"],
    ["64:ff9b::a9fe:a9fe", "metadata", "169.254.169.254"],
    ["2002:7f00:1::1", "loopback", "127.0.0.1"],
    ["2002:c0a8:101::", "private", "192.168.1.1"],
    // Teredo: the client address is the last 32 bits, inverted (~127.0.0.1 = 80ff:fffe).
    ["2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback", "127.0.0.1"],
  ])("%s carries %s (%s)", (address, cls, via) => {
    expect(classifyAddress(address)).toEqual({ class: cls, via });
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "172.32.0.1",
    "100.128.0.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
  ])("%s is public", (address) => {
    expect(classifyAddress(address).class).toBeNull();
  });
});

describe("webhook URLs at save", () => {
  it.each([
    ["http://127.0.0.1:5432/", "address 127.0.0.1 is loopback"],
    ["http://169.254.169.254/latest/meta-data/", "address 169.254.169.254 is metadata"],
    ["http://2130706433/", "address 127.0.0.1 is loopback"],
    ["http://0x7f.1/", "address 127.0.0.1 is loopback"],
    ["http://017700000001/", "address 127.0.0.1 is loopback"],
    ["http://127.1/", "address 127.0.0.1 is loopback"],
    ["http://127.0.0.1./", "address 127.0.0.1 is loopback"],
    ["http://0/", "address 0.0.0.0 is unspecified"],
    ["http://[::1]:8080/", "address ::1 is loopback"],
    ["http://[::ffff:127.0.0.1]/", "address ::ffff:7f00:1 carries 127.0.0.1, which is loopback"],
    ["http://[::ffff:7f00:1]/", "address ::ffff:7f00:1 carries 127.0.0.1, which is loopback"],
    ["http://[64:ff9b::a00:5]/", "address 64:ff9b::a00:5 carries 10.0.0.5, which is private"],
    ["http://[fd00:ec2::254]/", "address fd00:ec2::254 is metadata"],
    ["https://10.0.0.5/hook", "address 10.0.0.5 is private"],
    ["http://localhost:3000/", "localhost is a loopback name"],
    ["http://LOCALHOST./", "localhost. is a loopback name"],
    ["http://api.localhost/", "api.localhost is a loopback name"],
    ["http://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal is a metadata name"],
    ["ftp://hooks.example.com/", "only http:// and https:// URLs are allowed"],
    ["http://user:pass@hooks.example.com/", "a user name or password in the URL is not allowed"],
    ["not a url", "not a valid URL"],
  ])("%s is refused: %s", (url, reason) => {
    expect(refusedReason(url)).toBe(reason);
  });

  it.each(["https://hooks.slack.com/services/T0/B0/x", "https://8.8.8.8/hook", "http://[2606:4700:4700::1111]/", "https://hooks.example.com:8443/a?b=c"])(
    "%s is accepted",
    (url) => {
      expect(refusedReason(url)).toBeNull();
    },
  );
});

describe("the allow-list", () => {
  const allow = parseAllowList(["10.20.0.0/16", "127.0.0.1", "hooks.corp.example:8443", "localhost", "0.0.0.0/0", "metadata.google.internal"]);

  it("lets listed internal addresses and hosts through", () => {
    expect(refusedReason("http://10.20.3.4/", allow)).toBeNull();
    expect(refusedReason("http://127.0.0.1:9000/", allow)).toBeNull();
    expect(refusedReason("http://[::ffff:127.0.0.1]/", allow)).toBeNull();
    expect(refusedReason("http://localhost:9000/", allow)).toBeNull();
    expect(checkResolved(new URL("https://hooks.corp.example:8443/x"), ["10.9.9.9"], allow)).toEqual({ ok: true });
  });

  it("keeps refusing what it does not list, and never allows metadata, unspecified or multicast", () => {
    const narrow = parseAllowList(["10.20.0.0/16", "127.0.0.1", "hooks.corp.example:8443"]);
    expect(refusedReason("http://10.21.0.1/", narrow)).toBe("address 10.21.0.1 is private");
    expect(refusedReason("http://127.0.0.2/", narrow)).toBe("address 127.0.0.2 is loopback");
    expect(checkResolved(new URL("https://hooks.corp.example/x"), ["10.9.9.9"], narrow)).toEqual({ ok: false, reason: "address 10.9.9.9 is private" });
    expect(refusedReason("http://169.254.169.254/", allow)).toBe("address 169.254.169.254 is metadata");
    expect(refusedReason("http://metadata.google.internal/", allow)).toBe("metadata.google.internal is a metadata name");
    expect(refusedReason("http://0.0.0.0:80/", allow)).toBe("address 0.0.0.0 is unspecified");
    expect(refusedReason("http://224.0.0.1/", allow)).toBe("address 224.0.0.1 is multicast");
  });

  it("refuses entries it cannot read", () => {
    expect(() => parseAllowList(["10.0.0.0/33"])).toThrow(/prefix/);
    expect(() => parseAllowList(["http://x/y"])).toThrow(/neither/);
  });
});

describe("names resolved at send", () => {
  const url = new URL("https://hooks.example.com/x");
  it("refuses when any answer is internal, whatever the others", () => {
    expect(checkResolved(url, ["93.184.216.34", "127.0.0.1"], EMPTY_ALLOW_LIST)).toEqual({ ok: false, reason: "address 127.0.0.1 is loopback" });
    expect(checkResolved(url, ["::ffff:169.254.169.254"], EMPTY_ALLOW_LIST)).toEqual({
      ok: false,
      reason: "address ::ffff:169.254.169.254 carries 169.254.169.254, which is metadata",
    });
    expect(checkResolved(url, [], EMPTY_ALLOW_LIST)).toEqual({ ok: false, reason: "hooks.example.com has no address" });
    expect(checkResolved(url, ["93.184.216.34", "2606:2800:220:1::1"], EMPTY_ALLOW_LIST)).toEqual({ ok: true });
  });
});

describe("signatures and sealed secrets", () => {
  const secret = "whsec_test";
  const body = '{"type":"interim.requested"}';
  const now = 1_800_000_000;

  it("verifies a fresh signature over timestamp and body, not a changed body, an old timestamp or another secret", () => {
    const signature = signDelivery(secret, now, body);
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyDelivery(secret, body, { timestamp: String(now), signature }, now + 10)).toBe(true);
    expect(verifyDelivery(secret, body.replace("requested", "approved"), { timestamp: String(now), signature }, now)).toBe(false);
    expect(verifyDelivery(secret, body, { timestamp: String(now + 1), signature }, now)).toBe(false);
    expect(verifyDelivery(secret, body, { timestamp: String(now), signature }, now + REPLAY_WINDOW_SECONDS + 1)).toBe(false);
    expect(verifyDelivery("whsec_other", body, { timestamp: String(now), signature }, now)).toBe(false);
  });

  it("unseals only with the same key and the same webhook", () => {
    const key = sealingKey("key material of at least thirty-two chars");
    const sealed = seal(key, secret, "group:hook");
    expect(sealed).not.toContain(secret);
    expect(unseal(key, sealed, "group:hook")).toBe(secret);
    expect(unseal(key, sealed, "group:other-hook")).toBeNull();
    expect(unseal(sealingKey("another key material, also long enough"), sealed, "group:hook")).toBeNull();
  });
});
