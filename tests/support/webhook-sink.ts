import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the sink received. `body` is the raw text, as signatures are computed on it. */
export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** With a secret: whether the signature verified (fresh, unseen, matching); such requests are answered 401 otherwise. */
  verified: boolean | null;
}

/**
 * What README tells receivers to do ("Verifying webhooks"), written here without Interim's code:
 * HMAC-SHA256 of "<timestamp>.<body>", a timestamp at most 5 minutes old, each signature once.
 */
export function verifyInterimWebhook(secret: string, body: string, headers: IncomingHttpHeaders, seen: Set<string>, now = Date.now() / 1000): boolean {
  const timestamp = String(headers["x-interim-timestamp"] ?? "");
  const signature = String(headers["x-interim-signature"] ?? "");
  const delivery = String(headers["x-interim-delivery"] ?? "");
  if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(`v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`);
  const received = Buffer.from(signature);
  if (expected.length !== received.length || !timingSafeEqual(expected, received)) return false;
  // A replay is the same signed message again; a retry is signed anew (same delivery id, new signature).
  if (!delivery || seen.has(signature)) return false;
  seen.add(signature);
  return true;
}

/** An HTTP server on loopback that records what is posted to it, for webhook tests. */
export interface WebhookSink {
  port: number;
  /** `http://127.0.0.1:<port>`; append any path. */
  url: string;
  requests: ReceivedWebhook[];
  /** Answer every following request with this status (and body); 204 by default. */
  respondWith(status: number, body?: string): void;
  /** Receive following requests but never answer them (for timeouts); `false` answers again. */
  hang(on?: boolean): void;
  waitFor(pred: (request: ReceivedWebhook) => boolean, timeoutMs?: number): Promise<ReceivedWebhook>;
  /** Verify signatures with this secret from now on (null: stop verifying). */
  verifyWith(secret: string | null): void;
  close(): Promise<void>;
}

export async function startWebhookSink(): Promise<WebhookSink> {
  const requests: ReceivedWebhook[] = [];
  const waiters = new Set<(request: ReceivedWebhook) => void>();
  const hanging = new Set<ServerResponse>();
  let reply = { status: 204, body: "" };
  let hangRequests = false;
  let secret: string | null = null;
  const seen = new Set<string>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const verified = secret === null ? null : verifyInterimWebhook(secret, body, req.headers, seen);
      const received = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, json, verified };
      requests.push(received);
      for (const waiter of waiters) waiter(received);
      if (hangRequests) {
        hanging.add(res);
        return;
      }
      if (verified === false) res.writeHead(401, { "content-type": "text/plain" }).end("bad signature");
      else res.writeHead(reply.status, { "content-type": "text/plain" }).end(reply.body);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith(status, body = "") {
      reply = { status, body };
    },
    verifyWith(value) {
      secret = value;
    },
    hang(on = true) {
      hangRequests = on;
    },
    waitFor(pred, timeoutMs = 5_000) {
      const found = requests.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = (request: ReceivedWebhook) => {
          if (!pred(request)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(request);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`No matching webhook within ${timeoutMs} ms (received ${requests.length})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
