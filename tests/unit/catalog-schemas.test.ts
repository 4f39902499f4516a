import { describe, expect, it } from "vitest";
import { createCredentialInput, createDeviceInput, normalizeList, tagsInput, updateDeviceInput, websiteInput } from "@/server/catalog/schemas";

const id = "f7cff78d-e967-49ff-a915-643f35b93c99";

describe("tags", () => {
  it("trims, drops empties and de-duplicates ignoring case (first spelling wins)", () => {
    expect(normalizeList(["  Prod ", "", "prod", "SQL", " sql", "web "])).toEqual(["Prod", "SQL", "web"]);
  });
  it("accepts the comma-separated text a form sends", () => {
    expect(tagsInput.parse(" prod, PROD ,sql,, ")).toEqual(["prod", "sql"]);
  });
  it("allows 50 tags and refuses 51, counted after de-duplication", () => {
    const fifty = Array.from({ length: 50 }, (_, i) => `t${i}`);
    expect(tagsInput.parse([...fifty, "T0", "t1"])).toHaveLength(50);
    const r = tagsInput.safeParse([...fifty, "t50"]);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe("At most 50 tags");
  });
  it("refuses a tag over 64 characters, control characters and commas inside array values", () => {
    expect(tagsInput.safeParse(["x".repeat(64)]).success).toBe(true);
    expect(tagsInput.safeParse(["x".repeat(65)]).error?.issues[0]?.message).toBe("Each tag has at most 64 characters");
    expect(tagsInput.safeParse(["bad\u0007tag"]).success).toBe(false);
    expect(tagsInput.safeParse(["a,b"]).success).toBe(false);
  });
  it("puts list errors under the field for the form", () => {
    const r = createDeviceInput.safeParse({ name: "X", tags: ["y".repeat(70)] });
    expect(r.error?.flatten().fieldErrors.tags).toEqual(["Each tag has at most 64 characters"]);
  });
});

describe("website", () => {
  it("stores empty as null", () => {
    expect(websiteInput.parse("")).toBeNull();
    expect(websiteInput.parse("   ")).toBeNull();
    expect(websiteInput.parse(null)).toBeNull();
  });
  it("accepts http and https addresses, trimmed", () => {
    expect(websiteInput.parse(" https://web01.interim.test/admin ")).toBe("https://web01.interim.test/admin");
    expect(websiteInput.parse("http://10.0.0.5:8080")).toBe("http://10.0.0.5:8080");
  });
  it("refuses other schemes, bare hosts and spaces", () => {
    for (const bad of ["javascript:alert(1)", "ftp://files.example", "web01.interim.test", "https://a b.test", "https://"]) {
      expect(websiteInput.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe("catalog inputs", () => {
  it("requires a name for a manual device and fills defaults", () => {
    expect(createDeviceInput.safeParse({ name: "  " }).error?.flatten().fieldErrors.name).toEqual(["Enter a name"]);
    expect(createDeviceInput.parse({ name: " pg-prod " })).toEqual({ name: "pg-prod", model: "", type: "", tags: [], website: null });
  });
  it("leaves absent fields out of an update (they stay as they are)", () => {
    expect(updateDeviceInput.parse({ id, tags: "a" })).toEqual({ id, tags: ["a"] });
  });
  it("splits a credential's device names like tags", () => {
    expect(createCredentialInput.parse({ username: "root", deviceNames: "DB01, db01,WEB01" }).deviceNames).toEqual(["DB01", "WEB01"]);
  });
});
