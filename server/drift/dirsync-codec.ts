import "server-only";

/*
 * The value of AD's DirSync control (LDAP_SERVER_DIRSYNC_OID, MS-ADTS 3.1.1.3.4.1.3), as pure
 * functions. Request and response carry the same BER shape:
 *
 *   SEQUENCE { flags INTEGER, maxBytes INTEGER, cookie OCTET STRING }
 *
 * In the response, `flags` is non-zero when more changes wait (search again at once with the new
 * cookie) and `maxBytes` is unused.
 */

export const DIRSYNC_OID = "1.2.840.113556.1.4.841";

/** Only objects and attributes the caller may read: no "Replicating Directory Changes" right needed. */
export const DIRSYNC_OBJECT_SECURITY = 0x1;
/** Linked attributes (member) come back as the values added or removed, not the whole list. */
export const DIRSYNC_INCREMENTAL_VALUES = 0x80000000;

export interface DirSyncValue {
  flags: number;
  maxBytes: number;
  cookie: Buffer;
}

const TAG_SEQUENCE = 0x30;
const TAG_INTEGER = 0x02;
const TAG_OCTET_STRING = 0x04;

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

/** A 32-bit value as the shortest two's-complement INTEGER (0x80000000 is sent as -2^31, as AD does). */
function encodeInt32(value: number): Buffer {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) throw new RangeError(`not a 32-bit integer: ${value}`);
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value | 0);
  let start = 0;
  // Drop a leading byte while the next one carries the same sign.
  while (start < 3 && ((bytes[start] === 0x00 && (bytes[start + 1]! & 0x80) === 0) || (bytes[start] === 0xff && (bytes[start + 1]! & 0x80) !== 0))) start++;
  return tlv(TAG_INTEGER, bytes.subarray(start));
}

export function encodeDirSyncValue(v: DirSyncValue): Buffer {
  return tlv(TAG_SEQUENCE, Buffer.concat([encodeInt32(v.flags), encodeInt32(v.maxBytes), tlv(TAG_OCTET_STRING, v.cookie)]));
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  /** Reads one element with `tag`; returns its content. */
  element(tag: number, what: string): Buffer {
    const got = this.buf[this.pos];
    if (got !== tag) throw new Error(`DirSync value: expected ${what} (tag 0x${tag.toString(16)}), got ${got === undefined ? "end" : `0x${got.toString(16)}`}`);
    this.pos++;
    const first = this.byte(what);
    let length = first;
    if (first & 0x80) {
      const n = first & 0x7f;
      if (n === 0 || n > 4) throw new Error(`DirSync value: unsupported length of ${what}`);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + this.byte(what);
    }
    if (this.pos + length > this.buf.length) throw new Error(`DirSync value: ${what} runs past the end`);
    const content = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return content;
  }

  private byte(what: string): number {
    const b = this.buf[this.pos++];
    if (b === undefined) throw new Error(`DirSync value: ${what} is truncated`);
    return b;
  }
}

function decodeInt(content: Buffer, what: string): number {
  if (content.length === 0 || content.length > 4) throw new Error(`DirSync value: ${what} is not a 32-bit integer`);
  let v = (content[0]! & 0x80) !== 0 ? -1 : 0;
  for (const b of content) v = (v << 8) | b;
  return v;
}

/** Parses a DirSync control value (the response's, or a request's); throws on anything malformed. */
export function decodeDirSyncValue(buf: Buffer): DirSyncValue {
  const outer = new Reader(buf);
  const seq = new Reader(outer.element(TAG_SEQUENCE, "the sequence"));
  const flags = decodeInt(seq.element(TAG_INTEGER, "flags"), "flags");
  const maxBytes = decodeInt(seq.element(TAG_INTEGER, "maxBytes"), "maxBytes");
  const cookie = Buffer.from(seq.element(TAG_OCTET_STRING, "cookie"));
  return { flags, maxBytes, cookie };
}
