import "server-only";
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

/*
 * Webhook signatures (what receivers verify) and the sealing of each webhook's secret at rest.
 * Pure but for the key, which the caller passes in.
 */

/** How old a delivery's timestamp may be when received; README's verification snippet uses the same. */
export const REPLAY_WINDOW_SECONDS = 300;

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`, the X-Interim-Signature header. */
export function signDelivery(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * What a receiver does: the signature matches the timestamp and the exact body, and the timestamp
 * is within the replay window of `now` (seconds). Replays inside the window are caught by the
 * receiver remembering X-Interim-Delivery ids.
 */
export function verifyDelivery(
  secret: string,
  body: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  now = Math.floor(Date.now() / 1000),
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!headers.signature || !/^\d{1,12}$/.test(headers.timestamp ?? "")) return false;
  if (Math.abs(now - timestamp) > REPLAY_WINDOW_SECONDS) return false;
  const expected = Buffer.from(signDelivery(secret, timestamp, body));
  const received = Buffer.from(headers.signature.trim());
  return expected.length === received.length && timingSafeEqual(expected, received);
}

// ---------------------------------------------------------------- sealing

/** A 32-byte key for one purpose, from the operator's key material. */
export function sealingKey(material: string, purpose = "webhook-secrets/v1"): Buffer {
  return Buffer.from(hkdfSync("sha256", material, "interim", purpose, 32));
}

/** AES-256-GCM; `context` (group and webhook ids) is bound in, so a sealed secret cannot be moved to another webhook. */
export function seal(key: Buffer, secret: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/** The secret, or null when the key or the context does not match (the key changed, the row was moved). */
export function unseal(key: Buffer, sealed: string, context: string): string | null {
  try {
    const raw = Buffer.from(sealed, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12)).setAAD(Buffer.from(context));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}
