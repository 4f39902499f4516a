import "server-only";
/** objectGUID (16 bytes, little-endian first three fields) → canonical GUID string. */
export function guidToString(buf: Buffer): string {
  if (buf.length !== 16) throw new Error(`objectGUID must be 16 bytes, got ${buf.length}`);
  const hex = (b: Buffer) => b.toString("hex");
  const le = (start: number, len: number) => hex(Buffer.from(buf.subarray(start, start + len)).reverse());
  return `${le(0, 4)}-${le(4, 2)}-${le(6, 2)}-${hex(buf.subarray(8, 10))}-${hex(buf.subarray(10, 16))}`;
}

/** objectSid (binary) → S-1-… string. */
export function sidToString(buf: Buffer): string {
  if (buf.length < 8) throw new Error("objectSid too short");
  const revision = buf.readUInt8(0);
  const subCount = buf.readUInt8(1);
  if (buf.length !== 8 + subCount * 4) throw new Error("objectSid length does not match its sub-authority count");
  const authority = buf.readUIntBE(2, 6);
  const subs: number[] = [];
  for (let i = 0; i < subCount; i++) subs.push(buf.readUInt32LE(8 + i * 4));
  return ["S", revision, authority, ...subs].join("-");
}

/** Canonical GUID string → objectGUID bytes (the inverse of guidToString), e.g. for a search filter. */
export function guidToBytes(guid: string): Buffer {
  const hex = guid.replace(/-/g, "");
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`Not a GUID: ${guid}`);
  const bytes = Buffer.from(hex, "hex");
  const le = (start: number, len: number) => Buffer.from(bytes.subarray(start, start + len)).reverse();
  return Buffer.concat([le(0, 4), le(4, 2), le(6, 2), bytes.subarray(8, 16)]);
}
