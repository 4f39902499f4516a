import { describe, expect, it } from "vitest";
import { decodeDirSyncValue, DIRSYNC_INCREMENTAL_VALUES, DIRSYNC_OBJECT_SECURITY, encodeDirSyncValue } from "@/server/drift/dirsync-codec";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("DirSync control value", () => {
  it("encodes the first request (no cookie) as AD expects: flags 0x80000001 as a negative 4-byte INTEGER", () => {
    const v = encodeDirSyncValue({ flags: DIRSYNC_OBJECT_SECURITY | DIRSYNC_INCREMENTAL_VALUES, maxBytes: 1 << 20, cookie: Buffer.alloc(0) });
    expect(v.toString("hex")).toBe("300d" + "020480000001" + "0203100000" + "0400");
  });

  it("uses the shortest INTEGER, with a leading zero when the high bit is set", () => {
    expect(encodeDirSyncValue({ flags: 0, maxBytes: 0x80, cookie: Buffer.alloc(0) }).toString("hex")).toBe("3009" + "020100" + "0202" + "0080" + "0400");
    expect(encodeDirSyncValue({ flags: 1, maxBytes: 0x7f, cookie: hex("aa") }).toString("hex")).toBe("3009" + "020101" + "02017f" + "0401aa");
  });

  it("encodes a long cookie with long-form lengths", () => {
    const cookie = Buffer.alloc(300, 7);
    const v = encodeDirSyncValue({ flags: 1, maxBytes: 0, cookie });
    // sequence: 3 (flags) + 3 (maxBytes) + 4 + 300 (cookie) = 310 = 0x0136
    expect(v.subarray(0, 4).toString("hex")).toBe("30820136");
    expect(v.subarray(10, 14).toString("hex")).toBe("0482012c");
    expect(v.length).toBe(4 + 310);
  });

  it("decodes a response: more-data flag, and the cookie", () => {
    const cookie = Buffer.from("4d53445300030000", "hex");
    expect(decodeDirSyncValue(hex("3010 020101 020100 0408" + cookie.toString("hex")))).toEqual({ flags: 1, maxBytes: 0, cookie });
    expect(decodeDirSyncValue(hex("300d 020480000001 0203100000 0400"))).toEqual({ flags: -0x7fffffff, maxBytes: 1 << 20, cookie: Buffer.alloc(0) });
  });

  it("round-trips what it encodes", () => {
    for (const value of [
      { flags: 0, maxBytes: 0, cookie: Buffer.alloc(0) },
      { flags: 0x800, maxBytes: 65535, cookie: Buffer.alloc(127, 1) },
      { flags: 1, maxBytes: 1 << 24, cookie: Buffer.alloc(70_000, 2) },
    ]) {
      expect(decodeDirSyncValue(encodeDirSyncValue(value))).toEqual(value);
    }
  });

  it("refuses malformed values instead of guessing", () => {
    expect(() => decodeDirSyncValue(Buffer.alloc(0))).toThrow(/expected the sequence/);
    expect(() => decodeDirSyncValue(hex("3109 020100 020100 0400"))).toThrow(/expected the sequence/);
    expect(() => decodeDirSyncValue(hex("3009 020100 020100 0405aa"))).toThrow(/past the end/);
    expect(() => decodeDirSyncValue(hex("3006 020100 020100"))).toThrow(/expected cookie/);
    expect(() => decodeDirSyncValue(hex("3008 0400 020100 040100"))).toThrow(/expected flags/);
    expect(() => decodeDirSyncValue(hex("300c 02050000000001 020100 0400"))).toThrow(/not a 32-bit integer/);
    expect(() => encodeDirSyncValue({ flags: 2 ** 33, maxBytes: 0, cookie: Buffer.alloc(0) })).toThrow(RangeError);
  });
});
