import "server-only";
import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { createTransport, type Transporter } from "nodemailer";
import { checkResolved, checkWebhookUrl, parseAddress, type AllowList } from "./egress-policy";
import type { EmailMessage } from "./facts";
import { signDelivery } from "./signing";
import type { WebhookKind } from "./schemas";

/*
 * Delivery of one rendered message. Failures throw; the caller (a worker job) retries with
 * backoff, so nothing here retries. A webhook's error is one of a few fixed phrases (a status, a
 * socket error's kind, a refusal): never the receiver's body nor a system message, which would
 * turn the Notifications tab into a window on whatever the URL points at.
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

/** A webhook that could not be delivered; its message is safe to store and show to admins. */
export class WebhookFailure extends Error {
  override readonly name = "WebhookFailure";
}

/** Resolves a host name to all its addresses (dns.lookup by default; tests stand in for DNS). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface WebhookConfig {
  timeoutMs: number;
  allow: AllowList;
  resolve?: Resolver;
}

/** The delivery's identity and its webhook's secret: signed when there is a secret. */
export interface WebhookSigning {
  deliveryId: string;
  secret: string | null;
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection reset",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host name not found",
  EAI_NONAME: "host name not found",
  EAI_NODATA: "host name not found",
  EAI_AGAIN: "host name lookup failed",
  HPE_INVALID_CONSTANT: "not an HTTP answer",
};

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof WebhookFailure) return error.message;
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return `timed out after ${timeoutMs} ms`;
  const code = error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : "";
  if (SOCKET_ERRORS[code]) return SOCKET_ERRORS[code];
  // OpenSSL's codes (CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID…) name the problem and nothing of the receiver.
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)[A-Z0-9_]*$/.test(code)) return `TLS failed (${code})`;
  return "connection failed";
}

/** Every address of the URL's host, each checked; the connection may use only these. */
async function resolveTarget(url: URL, config: WebhookConfig): Promise<{ address: string; family: number }[]> {
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  const ip = parseAddress(literal);
  const resolved = ip ? [{ address: literal, family: ip.bits === 32 ? 4 : 6 }] : await (config.resolve ?? systemResolver)(url.hostname);
  const verdict = checkResolved(
    url,
    resolved.map((a) => a.address),
    config.allow,
  );
  if (!verdict.ok) throw new WebhookFailure(`refused: ${verdict.reason}`);
  return resolved;
}

/**
 * One POST to the checked addresses only: the name is resolved once, every answer checked, and the
 * socket's lookup answers with those addresses, so a DNS answer that changes between the check and
 * the connection (rebinding) is never used. TLS still verifies the URL's host name (SNI included).
 */
function post(url: URL, targets: { address: string; family: number }[], headers: Record<string, string>, payload: string, timeoutMs: number) {
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, targets);
    else callback(null, targets[0]!.address, targets[0]!.family);
  };
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = send(
      {
        hostname: url.hostname.replace(/^\[|\]$/g, ""),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(payload)) },
        agent: false,
        lookup,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        // Only the status matters; the body is never read (it is the receiver's, not ours to show).
        res.destroy();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

export async function postWebhook(
  config: WebhookConfig,
  target: { kind: WebhookKind; url: string },
  body: unknown,
  signing?: WebhookSigning,
): Promise<{ status: number }> {
  const checked = checkWebhookUrl(target.url, config.allow);
  if (!checked.ok) throw new WebhookFailure(`refused: ${checked.reason}`);
  const url = checked.url!;

  const payload = JSON.stringify(body);
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "Interim" };
  if (signing) {
    headers["x-interim-delivery"] = signing.deliveryId;
    if (signing.secret) {
      const timestamp = Math.floor(Date.now() / 1000);
      headers["x-interim-timestamp"] = String(timestamp);
      headers["x-interim-signature"] = signDelivery(signing.secret, timestamp, payload);
    }
  }

  let status: number;
  try {
    status = await post(url, await resolveTarget(url, config), headers, payload, config.timeoutMs);
  } catch (error) {
    throw new WebhookFailure(describeFailure(error, config.timeoutMs));
  }
  // A redirect would resend the payload somewhere nobody configured (and nobody checked).
  if (status >= 300 && status < 400) throw new WebhookFailure(`HTTP ${status} (redirects are not followed)`);
  if (status < 200 || status >= 300) throw new WebhookFailure(`HTTP ${status}`);
  return { status };
}
