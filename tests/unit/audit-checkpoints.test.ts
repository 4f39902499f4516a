import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkSignature, keyIdOf, signCheckpoint } from "@/server/audit/checkpoints-sign";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const other = generateKeyPairSync("ed25519");
const fields = { seq: 1043, hash: "a".repeat(64), at: "2026-12-07T21:00:00.000Z", chain: "b".repeat(64) };

/** Flips one bit of the base64 signature's bytes. */
function flipSignatureByte(sig: string, index: number): string {
  const bytes = Buffer.from(sig, "base64");
  bytes[index] = bytes[index]! ^ 0x01;
  return bytes.toString("base64");
}

describe("signed audit checkpoints", () => {
  it("a checkpoint verifies with the signer's public key, which its key id names", () => {
    const c = signCheckpoint(privateKey, fields);
    expect(c.keyId).toBe(keyIdOf(publicKey));
    expect(c.keyId).toMatch(/^ed25519:[0-9a-f]{32}$/);
    expect(checkSignature(publicKey, c).verdict).toBe("valid");
    // As read back from a JSON line.
    expect(checkSignature(publicKey, JSON.parse(JSON.stringify(c))).verdict).toBe("valid");
  });

  it("a flipped byte in the signature fails, wherever it is", () => {
    const c = signCheckpoint(privateKey, fields);
    for (const i of [0, 17, 63]) expect(checkSignature(publicKey, { ...c, sig: flipSignatureByte(c.sig, i) }).verdict).toBe("bad-signature");
  });

  it("any signed field changed fails: seq, hash, time, chain", () => {
    const c = signCheckpoint(privateKey, fields);
    expect(checkSignature(publicKey, { ...c, seq: c.seq + 1 }).verdict).toBe("bad-signature");
    expect(checkSignature(publicKey, { ...c, hash: `${"a".repeat(63)}b` }).verdict).toBe("bad-signature");
    expect(checkSignature(publicKey, { ...c, at: "2026-12-07T21:00:01.000Z" }).verdict).toBe("bad-signature");
    expect(checkSignature(publicKey, { ...c, chain: "c".repeat(64) }).verdict).toBe("bad-signature");
  });

  it("another key fails: its own checkpoints are 'other-key', and claiming the trusted key id does not help", () => {
    const forged = signCheckpoint(other.privateKey, fields);
    expect(checkSignature(publicKey, forged).verdict).toBe("other-key");
    expect(checkSignature(publicKey, { ...forged, keyId: keyIdOf(publicKey) }).verdict).toBe("bad-signature");
    // And the genuine checkpoint does not verify under the other key.
    expect(checkSignature(other.publicKey, signCheckpoint(privateKey, fields)).verdict).toBe("other-key");
  });

  it("anything that is not a checkpoint is malformed", () => {
    const c = signCheckpoint(privateKey, fields);
    expect(checkSignature(publicKey, null).verdict).toBe("malformed");
    expect(checkSignature(publicKey, { ...c, hash: "not-a-hash" }).verdict).toBe("malformed");
    expect(checkSignature(publicKey, { ...c, sig: undefined }).verdict).toBe("malformed");
  });
});
