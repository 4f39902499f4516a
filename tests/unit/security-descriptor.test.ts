import { describe, expect, it } from "vitest";
import { allowDaclInheritance, isDaclProtected } from "@/server/directory/security-descriptor";

/** A minimal self-relative descriptor: header only (no owner, group, SACL or DACL). */
function sd(controlFlags: number, extra = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 1; // revision
  b.writeUInt16LE(controlFlags, 2);
  return Buffer.concat([b, extra]);
}

describe("security descriptor: SE_DACL_PROTECTED", () => {
  it("reads the flag", () => {
    expect(isDaclProtected(sd(0x8000 | 0x1000 | 0x0004))).toBe(true);
    expect(isDaclProtected(sd(0x8000 | 0x0004))).toBe(false);
  });

  it("clears only that flag and leaves every other byte alone", () => {
    const before = sd(0x8000 | 0x1000 | 0x0400 | 0x0004, Buffer.from([1, 2, 3, 4]));
    const after = allowDaclInheritance(before);
    expect(after.readUInt16LE(2)).toBe(0x8000 | 0x0400 | 0x0004);
    expect(isDaclProtected(after)).toBe(false);
    expect(after.subarray(4)).toEqual(before.subarray(4));
    // The input is not changed.
    expect(isDaclProtected(before)).toBe(true);
  });

  it("refuses what is not a self-relative descriptor", () => {
    expect(() => isDaclProtected(Buffer.alloc(8))).toThrow(RangeError);
    expect(() => isDaclProtected(sd(0x1000))).toThrow(/self-relative/);
    const badRevision = sd(0x8000);
    badRevision[0] = 2;
    expect(() => isDaclProtected(badRevision)).toThrow(/revision/);
  });
});
