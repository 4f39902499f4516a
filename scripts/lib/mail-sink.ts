import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startSmtpSink, type SmtpSink } from "../../tests/support/smtp-sink";

/** A mail as the dev and e2e sinks keep it: one JSON file per message. */
export interface StoredMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  receivedAt: string;
}

/**
 * A local SMTP server for `npm run dev` and the e2e suite: nothing leaves the machine, and every
 * mail lands in `dir` as JSON (newest last by name), where people and tests can read it.
 */
export async function startMailSink(dir: string, port = 0): Promise<SmtpSink> {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return startSmtpSink({
    port,
    onMail(mail) {
      const addresses = (v: typeof mail.to) => (v ? (Array.isArray(v) ? v : [v]).flatMap((a) => a.value.map((x) => x.address ?? "")) : []);
      const stored: StoredMail = {
        to: addresses(mail.to),
        from: mail.from?.text ?? "",
        subject: mail.subject ?? "",
        text: mail.text ?? "",
        html: typeof mail.html === "string" ? mail.html : "",
        receivedAt: new Date().toISOString(),
      };
      n += 1;
      writeFileSync(path.join(dir, `${Date.now()}-${String(n).padStart(5, "0")}.json`), JSON.stringify(stored, null, 2));
    },
  });
}
