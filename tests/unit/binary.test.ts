import { describe, expect, it } from "vitest";
import { guidToString, sidToString } from "@/server/directory/binary";

describe("guidToString", () => {
  it("reverses the first three fields (AD stores them little-endian)", () => {
    const buf = Buffer.from("8df7cff767e9ff49a915643f35b93c99", "hex");
    expect(guidToString(buf)).toBe("f7cff78d-e967-49ff-a915-643f35b93c99");
  });
  it("refuses a buffer that is not 16 bytes", () => {
    expect(() => guidToString(Buffer.alloc(15))).toThrow(/16 bytes/);
  });
});

describe("sidToString", () => {
  it("decodes a domain user SID", () => {
    // S-1-5-21-26938400-2999551401-2014087296-1102
    const subs = [21, 26938400, 2999551401, 2014087296, 1102];
    const buf = Buffer.alloc(8 + subs.length * 4);
    buf.writeUInt8(1, 0);
    buf.writeUInt8(subs.length, 1);
    buf.writeUIntBE(5, 2, 6);
    subs.forEach((s, i) => buf.writeUInt32LE(s, 8 + i * 4));
    expect(sidToString(buf)).toBe("S-1-5-21-26938400-2999551401-2014087296-1102");
  });
  it("decodes a well-known SID with one sub-authority", () => {
    expect(sidToString(Buffer.from("010100000000000512000000", "hex"))).toBe("S-1-5-18");
  });
  it("refuses a truncated SID", () => {
    expect(() => sidToString(Buffer.from("0102000000000005", "hex"))).toThrow(/length/);
  });
});
