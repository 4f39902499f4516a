import { describe, expect, it } from "vitest";
import { bearerOf, hashTokenSecret, newTokenSecret, secretMatches, tokenIdOf } from "@/server/api/tokens/secret";

const ID = "0f8e6f5a-3b1c-4d2e-9f00-123456789abc";

describe("API token secrets", () => {
  it("carry the token id and 256 random bits, and differ every time", () => {
    const a = newTokenSecret(ID);
    const b = newTokenSecret(ID);
    expect(a.secret).toMatch(/^itm_0f8e6f5a3b1c4d2e9f00123456789abc_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.secret.slice(37), "base64url")).toHaveLength(32);
    expect(a.secret).not.toBe(b.secret);
    expect(a.hash).toBe(hashTokenSecret(a.secret));
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).not.toContain(a.secret.slice(37));
  });

  it("name their token id, and nothing for anything malformed", () => {
    expect(tokenIdOf(newTokenSecret(ID).secret)).toBe(ID);
    const random = "A".repeat(43);
    for (const bad of [
      "",
      "itm_",
      `itm_${"0".repeat(31)}_${random}`,
      `itm_${"G".repeat(32)}_${random}`,
      `itm_${"0".repeat(32)}_${random}x`,
      `xtm_${"0".repeat(32)}_${random}`,
      `itm_${"0".repeat(32)}_${"A".repeat(42)}=`,
    ]) {
      expect(tokenIdOf(bad), bad).toBeNull();
    }
  });

  it("match only their own hash", () => {
    const { secret, hash } = newTokenSecret(ID);
    expect(secretMatches(secret, hash)).toBe(true);
    expect(secretMatches(`${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`, hash)).toBe(false);
    expect(secretMatches(secret, "")).toBe(false);
    expect(secretMatches(secret, hash.slice(0, 62))).toBe(false);
  });

  it("are read from a Bearer header only", () => {
    expect(bearerOf("Bearer itm_x")).toBe("itm_x");
    expect(bearerOf("bearer   itm_x")).toBe("itm_x");
    for (const bad of [null, undefined, "", "Basic itm_x", "Bearer", "Bearer a b", "itm_x"]) expect(bearerOf(bad), String(bad)).toBeNull();
  });
});
