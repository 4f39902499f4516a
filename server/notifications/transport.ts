import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createTransport, type Transporter } from "nodemailer";
import type { EmailMessage } from "./facts";
import type { WebhookKind } from "./schemas";

/*
 * Delivery of one rendered message. Failures throw; the caller (a worker job) retries with
 * backoff, so nothing here retries. Slack and Teams webhook URLs are secrets (the path is the
 * credential), so errors name a webhook by its origin only.
 */

// ---------------------------------------------------------------- email

/**
 * nodemailer's defaults wait up to an hour on a silent socket, which would hold a worker slot.
 * Added to the URL's query (nodemailer reads transport options from it) unless the URL sets them.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 10_000 } as const;
/** Connections are kept and reused (one SMTP handshake per connection, not per mail), at most 4 — the dispatcher's lanes. */
const SMTP_POOL = { pool: "true", maxConnections: "4" } as const;

const transporters = new Map<string, Transporter>();

function transporterFor(smtpUrl: string): Transporter {
  let transporter = transporters.get(smtpUrl);
  if (!transporter) {
    const url = new URL(smtpUrl);
    for (const [key, value] of Object.entries({ ...SMTP_TIMEOUTS, ...SMTP_POOL })) {
      if (!url.searchParams.has(key)) url.searchParams.set(key, String(value));
    }
    transporter = createTransport(url.toString());
    transporters.set(smtpUrl, transporter);
  }
  return transporter;
}

export async function sendEmail(config: { smtpUrl: string; from: string }, to: string, message: EmailMessage): Promise<void> {
  const info = await transporterFor(config.smtpUrl).sendMail({
    from: config.from,
    to,
    subject: message.subject,
    text: message.text,
    html: message.html,
  });
  const rejected: unknown[] = Array.isArray(info.rejected) ? info.rejected : [];
  if (rejected.length > 0) throw new Error(`The mail server refused the recipient ${to}`);
}

/** Closes the cached SMTP transports (shutdown, tests). */
export function closeTransports(): void {
  for (const transporter of transporters.values()) transporter.close();
  transporters.clear();
}

// ---------------------------------------------------------------- webhooks

const ERROR_BODY_MAX = 200;
/** Bytes read from an error response: enough for its first 200 characters, not a whole page. */
const ERROR_READ_MAX = 4096;

/** `sha256=<hex HMAC-SHA256 of the body>`, the X-Interim-Signature of generic webhooks. */
export function signBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * Whether `header` is the signature of `body` (the exact bytes received) under `secret`. The
 * signature covers the body only; receivers wanting replay protection check its `occurredAt`.
 */
export function verifySignature(secret: string, body: string | Uint8Array, header: string | null | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const received = Buffer.from(header.trim());
  return expected.length === received.length && timingSafeEqual(expected, received);
}

/** Removes the URL (and its path, which may be the secret) from a message that might quote it. */
function redact(message: string, url: URL): string {
  let out = message.split(url.href).join(url.origin);
  const secretPart = `${url.pathname}${url.search}`;
  if (secretPart.length > 1) out = out.split(secretPart).join("/…");
  return out;
}

async function readSnippet(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_READ_MAX) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // The body is only decoration for the error; a broken one must not hide the status.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks).subarray(0, ERROR_READ_MAX));
  return text.replace(/\s+/g, " ").trim().slice(0, ERROR_BODY_MAX);
}

function describeFailure(error: unknown, url: URL, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `Webhook ${url.origin} did not answer within ${timeoutMs} ms`;
  }
  // undici wraps the interesting part (ECONNREFUSED, unexpected redirect) in `cause`.
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const detail = cause instanceof Error ? `${"code" in cause && typeof cause.code === "string" ? `${cause.code} ` : ""}${cause.message}` : String(cause);
  return `Webhook ${url.origin} unreachable: ${redact(detail, url)}`;
}

export async function postWebhook(
  config: { timeoutMs: number; signingSecret?: string },
  target: { kind: WebhookKind; url: string },
  body: unknown,
): Promise<{ status: number }> {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    throw new Error("Webhook URL is not a valid URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`Webhook URL must be http(s), not ${url.protocol}`);

  const payload = JSON.stringify(body);
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "Interim" };
  if (target.kind === "generic" && config.signingSecret) {
    headers["x-interim-timestamp"] = new Date().toISOString();
    headers["x-interim-signature"] = signBody(config.signingSecret, payload);
  }

  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers,
      body: payload,
      // A redirect would resend the payload somewhere nobody configured.
      redirect: "error",
      signal: AbortSignal.timeout(config.timeoutMs),
    });
  } catch (error) {
    throw new Error(describeFailure(error, url, config.timeoutMs));
  }

  if (!response.ok) {
    const snippet = redact(await readSnippet(response), url);
    throw new Error(`Webhook ${url.origin} answered ${response.status}${snippet ? `: ${snippet}` : ""}`);
  }
  await response.body?.cancel().catch(() => {});
  return { status: response.status };
}
