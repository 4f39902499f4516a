import { describe, expect, it } from "vitest";
import { evaluateLocation, type LocationPolicy, type ResolvedLocation } from "@/server/access-groups/policy";

const open: LocationPolicy = { restrict: false, allowed: [] };
const franceAndBrussels: LocationPolicy = { restrict: true, allowed: [{ country: "FR" }, { country: "BE", region: "BE-BRU" }] };
const ileDeFrance: LocationPolicy = { restrict: true, allowed: [{ country: "FR", region: "FR-IDF" }] };
// As stored by hand or by an older form: the engine does not rely on the schema's upper-casing.
const lowerCase: LocationPolicy = { restrict: true, allowed: [{ country: "fr", region: "fr-idf" }] };
const restrictedToNothing: LocationPolicy = { restrict: true, allowed: [] };

const place = (country: string, region: string | null = null): ResolvedLocation => ({ country, region });

describe("evaluateLocation", () => {
  it.each([
    ["no restriction: anywhere", open, place("KP"), true],
    ["no restriction: even an unknown location", open, null, true],
    ["restricted: an unknown location is refused", franceAndBrussels, null, false],
    ["restricted: an empty country counts as unknown", franceAndBrussels, place(""), false],
    ["a country entry matches the whole country", franceAndBrussels, place("FR", "FR-PAC"), true],
    ["a country entry matches when the region is unknown", franceAndBrussels, place("FR"), true],
    ["another country is refused", franceAndBrussels, place("DE", "DE-BE"), false],
    ["a region entry matches that region", franceAndBrussels, place("BE", "BE-BRU"), true],
    ["a region entry refuses the rest of the country", franceAndBrussels, place("BE", "BE-VAN"), false],
    ["a region entry refuses an unknown region", franceAndBrussels, place("BE"), false],
    ["a region entry refuses the same subdivision code in another country", ileDeFrance, place("BE", "IDF"), false],
    ["a resolved region without its country prefix", ileDeFrance, place("FR", "IDF"), true],
    ["resolved codes are case-insensitive", ileDeFrance, place("fr", "fr-idf"), true],
    ["policy codes are case-insensitive", lowerCase, place("FR", "FR-IDF"), true],
    ["restricted to an empty list refuses everyone", restrictedToNothing, place("FR"), false],
  ] as const)("%s", (_label, policy, resolved, expected) => {
    expect(evaluateLocation(policy, resolved).allowed).toBe(expected);
  });

  it.each([
    [franceAndBrussels, null, "Your location could not be determined, and this group only allows access from listed locations"],
    [franceAndBrussels, place(" "), "Your location could not be determined, and this group only allows access from listed locations"],
    [franceAndBrussels, place("de", "DE-BE"), "Access from DE-BE is not allowed; allowed locations: FR, BE-BRU"],
    [franceAndBrussels, place("DE"), "Access from DE is not allowed; allowed locations: FR, BE-BRU"],
    [restrictedToNothing, place("FR"), "Access from FR is not allowed; allowed locations: none"],
  ] as const)("says why: %#", (policy, resolved, reason) => {
    const result = evaluateLocation(policy, resolved);
    expect(result.allowed ? null : result.reason).toBe(reason);
  });
});
