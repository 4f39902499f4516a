import "server-only";
import { createHash, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { z } from "zod";

/*
 * Signed checkpoints of the audit chain's head (issue 16): "the row with this seq had this hash at
 * this time", Ed25519-signed by a key the database never holds. Whoever rewrites or truncates the
 * chain, even recomputing every hash, cannot make an old checkpoint agree with the new rows.
 */

const HASH = /^[0-9a-f]{64}$/;

export const checkpointSchema = z.object({
  v: z.literal(1),
  seq: z.number().int().positive(),
  hash: z.string().regex(HASH),
  /** When the checkpoint was signed (ISO 8601). */
  at: z.string().datetime(),
  /** The chain's first link (seq 1's hash): tells checkpoints of one installation from another's. */
  chain: z.string().regex(HASH),
  /** keyIdOf(the public key). */
  keyId: z.string().min(1).max(100),
  /** base64 Ed25519 signature over signedText(). */
  sig: z.string().min(1).max(200),
});
export type Checkpoint = z.output<typeof checkpointSchema>;
export type CheckpointFields = Pick<Checkpoint, "seq" | "hash" | "at" | "chain">;

/** The public key's fingerprint: `ed25519:` + the first 16 bytes of sha256(SPKI DER), hex. */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  const der = publicKey.export({ type: "spki", format: "der" });
  return `ed25519:${createHash("sha256").update(der).digest("hex").slice(0, 32)}`;
}

/** Exactly what is signed: every field but the signature, one per line, behind a fixed label. */
function signedText(c: Omit<Checkpoint, "sig">): Buffer {
  return Buffer.from(`interim-audit-checkpoint/v${c.v}\n${c.seq}\n${c.hash}\n${c.at}\n${c.chain}\n${c.keyId}`);
}

export function signCheckpoint(privateKey: KeyObject, fields: CheckpointFields): Checkpoint {
  const unsigned = { v: 1 as const, ...fields, keyId: keyIdOf(privateKey) };
  return { ...unsigned, sig: sign(null, signedText(unsigned), privateKey).toString("base64") };
}

export type SignatureVerdict = "valid" | "other-key" | "bad-signature" | "malformed";

/** Checks a checkpoint (as read from a file or an audit event) against the trusted public key. */
export function checkSignature(publicKey: KeyObject, raw: unknown): { verdict: SignatureVerdict; checkpoint?: Checkpoint } {
  const parsed = checkpointSchema.safeParse(raw);
  if (!parsed.success) return { verdict: "malformed" };
  const c = parsed.data;
  if (c.keyId !== keyIdOf(publicKey)) return { verdict: "other-key", checkpoint: c };
  let ok = false;
  try {
    ok = verify(null, signedText(c), publicKey, Buffer.from(c.sig, "base64"));
  } catch {
    ok = false;
  }
  return { verdict: ok ? "valid" : "bad-signature", checkpoint: c };
}
