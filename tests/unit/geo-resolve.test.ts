import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { evaluateLocation, type LocationPolicy } from "@/server/access-groups/policy";
import { describeLocation, resolveLocation, warmGeoIp } from "@/server/geo/resolve";
import { GEO_IPS } from "@/tests/support/geo-ips";

// Expected locations were read from geoip-lite@1.4.10's bundled data.
const require = createRequire(import.meta.url);

describe("loading", () => {
  // Must stay first: it checks that importing the module did not load the database.
  it("loads the database on warmGeoIp(), not on import", () => {
    const entry = require.resolve("geoip-lite");
    expect(require.cache[entry]).toBeUndefined();
    warmGeoIp();
    expect(require.cache[entry]).toBeDefined();
  });
});

describe("resolveLocation", () => {
  it.each([
    ["null", null],
    ["undefined", undefined],
    ["empty", ""],
    ["clientIpFrom's placeholder", "unknown"],
    ["garbage", "not-an-ip"],
    ["short IPv4", "1.2.3"],
    ["IPv4 octet out of range", "256.1.1.1"],
    ["bracketed IPv6", "[2001:4860:4860::8888]"],
    ["IPv6 with a zone id", "2001:4860:4860::8888%eth0"],
    ["link-local IPv6 with a zone id", "fe80::1%eth0"],
  ])("invalid: %s -> null", (_label, ip) => {
    expect(resolveLocation(ip)).toBeNull();
  });

  it.each([
    ["10.1.2.3"], // private
    ["172.16.5.4"], // private
    ["192.168.1.1"], // private
    ["127.0.0.1"], // loopback
    ["169.254.10.20"], // link-local
    ["100.64.0.1"], // CGNAT
    ["100.127.255.254"], // CGNAT
    ["0.0.0.0"], // unspecified
    ["192.0.2.1"], // documentation
    ["224.0.0.1"], // multicast
    ["255.255.255.255"], // broadcast
    ["::"], // unspecified
    ["::1"], // loopback
    ["fe80::1"], // link-local
    ["fc00::1"], // ULA
    ["fd12:3456:789a::1"], // ULA
    ["2001:db8::1"], // documentation
    ["::ffff:10.0.0.1"], // mapped private
    ["::ffff:127.0.0.1"], // mapped loopback
    ["::ffff:a9fe:101"], // mapped link-local (169.254.1.1), hex form
  ])("non-public: %s -> null", (ip) => {
    expect(resolveLocation(ip)).toBeNull();
  });

  it("public but without a country in the database -> null", () => {
    // geoip-lite matches a range for 1.1.1.1 but returns it with country "".
    expect(resolveLocation("1.1.1.1")).toBeNull();
  });

  it.each<[ip: string, country: string, region: string | null]>([
    ["8.8.8.8", "US", null],
    ["2001:4860:4860::8888", "US", null],
    ["2001:4860:4860:0:0:0:0:8888", "US", null],
    ["::ffff:8.8.8.8", "US", null],
    ["::FFFF:8.8.8.8", "US", null],
    ["0:0:0:0:0:ffff:81.2.69.142", "GB", "GB-ENG"],
    // Hex form of ::ffff:81.2.69.142, which geoip-lite itself does not unwrap.
    ["::ffff:5102:458e", "GB", "GB-ENG"],
    [" 81.2.69.142 ", "GB", "GB-ENG"],
    ["2a00:1450:4001:80b::200e", "DE", "DE-HE"], // an IPv6 address with a region
    ...Object.values(GEO_IPS).map(({ ip, country, region }): [string, string, string] => [ip, country, region]),
  ])("public: %s -> %s %s", (ip, country, region) => {
    expect(resolveLocation(ip)).toEqual({ country, region });
  });
});

describe("describeLocation", () => {
  it.each([
    [null, "unknown"],
    [{ country: "", region: null }, "unknown"],
    [{ country: "US", region: null }, "US"],
    [{ country: "FR", region: "FR-IDF" }, "FR-IDF"],
    [{ country: "fr", region: "idf" }, "FR-IDF"],
    [{ country: "DE", region: "" }, "DE"],
  ])("%j -> %s", (loc, expected) => {
    expect(describeLocation(loc)).toBe(expected);
  });

  it("describes resolved addresses", () => {
    expect(describeLocation(resolveLocation(GEO_IPS.franceIleDeFrance.ip))).toBe("FR-IDF");
    expect(describeLocation(resolveLocation("8.8.8.8"))).toBe("US");
    expect(describeLocation(resolveLocation("10.0.0.1"))).toBe("unknown");
  });
});

describe("with the location rules", () => {
  const ileDeFrance: LocationPolicy = { restrict: true, allowed: [{ country: "FR", region: "FR-IDF" }] };
  it.each([
    [GEO_IPS.franceIleDeFrance.ip, true],
    [GEO_IPS.franceGrandEst.ip, false],
    [GEO_IPS.germanyBerlin.ip, false],
    ["192.168.1.10", false],
  ])("a group restricted to FR-IDF: %s -> allowed %s", (ip, allowed) => {
    expect(evaluateLocation(ileDeFrance, resolveLocation(ip)).allowed).toBe(allowed);
  });
});
