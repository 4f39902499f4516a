import { describe, expect, it } from "vitest";
import { matchesAny, matchesPattern } from "@/server/access-groups/policy";

describe("matchesPattern", () => {
  it.each([
    // literal, anchored, case-insensitive
    ["SRV-SQL01", "SRV-SQL01", true],
    ["srv-sql01", "SRV-SQL01", true],
    ["SRV-SQL01", "srv-sql01", true],
    ["SRV-SQL01", "SRV-SQL011", false],
    ["SRV-SQL01", "XSRV-SQL01", false],
    ["SQL", "SRV-SQL01", false],
    // `*` is any run of characters, including none
    ["SRV-*", "SRV-SQL01", true],
    ["SRV-*", "SRV-", true],
    ["SRV-*", "XSRV-SQL01", false],
    ["*-SQL01", "SRV-SQL01", true],
    ["*-SQL01", "SRV-SQL011", false],
    ["*SQL*", "SRV-SQL01", true],
    ["*SQL*", "SQL", true],
    ["*SQL*", "SRV-ORA01", false],
    ["S*L*1", "SRV-SQL01", true],
    ["S*L*1", "SRV-SQL02", false],
    ["*", "anything at all", true],
    ["*", "", true],
    ["**", "x", true],
    ["a**b", "ab", true],
    ["*ab", "aab", true],
    ["a*b*c", "aXbYbZc", true],
    ["a*b*c", "aXbYbZ", false],
    // every other character is literal, regex metacharacters included
    ["db.corp", "db.corp", true],
    ["db.corp", "dbXcorp", false],
    ["a+b", "a+b", true],
    ["a+b", "aab", false],
    ["a?", "a?", true],
    ["a?", "ab", false],
    ["(x)", "(x)", true],
    ["(x)", "x", false],
    ["[ab]", "[ab]", true],
    ["[ab]", "a", false],
    ["a{2}", "a{2}", true],
    ["a{2}", "aa", false],
    ["^a$", "^a$", true],
    ["^a$", "a", false],
    ["a|b", "a|b", true],
    ["a|b", "a", false],
    ["dom\\adm", "dom\\adm", true],
    ["dom\\adm", "domadm", false],
    ["adm.*", "adm.x", true],
    ["adm.*", "admx", false],
  ])("%j against %j → %s", (pattern, value, expected) => {
    expect(matchesPattern(pattern, value)).toBe(expected);
  });

  it("does not backtrack exponentially on many stars", () => {
    const started = performance.now();
    expect(matchesPattern("*a*a*a*a*a*a*a*a*a*b", "a".repeat(5000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("matchesAny", () => {
  it.each([
    [[], "x", false],
    [["a*"], "abc", true],
    [["x*", "a*"], "abc", true],
    [["x*", "y*"], "abc", false],
  ])("%j against %j → %s", (patterns, value, expected) => {
    expect(matchesAny(patterns, value)).toBe(expected);
  });
});
