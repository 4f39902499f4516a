import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * A mail server on loopback that keeps what it receives, for tests that send real mail.
 * No TLS and no AUTH, so nodemailer talks plain SMTP to it.
 */
export interface SmtpSink {
  port: number;
  /** `smtp://127.0.0.1:<port>`, for SMTP_URL. */
  url: string;
  mails: ParsedMail[];
  /** The first mail (already received or to come) matching `pred`. */
  waitFor(pred: (mail: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  /** Refuses the next `n` messages with a 451 (a temporary failure, as a greylisting server does). */
  failNext(n: number): void;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  failNext?: number;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Called with every mail received (the dev and e2e sinks write them to files). */
  onMail?: (mail: ParsedMail) => void;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const mails: ParsedMail[] = [];
  const waiters = new Set<(mail: ParsedMail) => void>();
  let failures = options.failNext ?? 0;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    closeTimeout: 1_000,
    onData(stream, _session, callback) {
      if (failures > 0) {
        failures -= 1;
        stream.on("end", () => {
          const error: Error & { responseCode?: number } = new Error("Try again later (test sink)");
          error.responseCode = 451;
          callback(error);
        });
        stream.resume();
        return;
      }
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail);
          options.onMail?.(mail);
          for (const waiter of waiters) waiter(mail);
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    mails,
    waitFor(pred, timeoutMs = 5_000) {
      const found = mails.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = (mail: ParsedMail) => {
          if (!pred(mail)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(mail);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = mails.map((m) => `"${m.subject ?? ""}"`).join(", ") || "none";
          reject(new Error(`No matching mail within ${timeoutMs} ms (received: ${seen})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    failNext(n) {
      failures = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
