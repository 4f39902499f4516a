import { cefMessage } from "./cef";
import { FACILITY_AUTHPRIV, severityOf, type MessageOptions, type SiemEvent } from "./event";

export type { MessageOptions, SiemEvent, SiemFormat } from "./event";

/*
 * What one audit event looks like on the wire: an RFC 5424 syslog message whose MSG is the event
 * as one line of JSON or as CEF, framed for TCP by octet counting (RFC 6587 §3.4.1:
 * `<byte length> <message>`), so a message may hold any byte, a newline included. Pure: no I/O.
 */

/** RFC 5424 header fields are PRINTUSASCII without spaces; anything else becomes `_`, an empty value the NILVALUE. */
export function headerField(value: string, max: number): string {
  const clean = value.replace(/[^!-~]/g, "_").slice(0, max);
  return clean.length ? clean : "-";
}

/** The event as one JSON object (no raw newline: JSON escapes them). */
export function jsonBody(e: SiemEvent): string {
  return JSON.stringify({
    seq: e.seq,
    at: e.at.toISOString(),
    action: e.action,
    actor: { type: e.actorType, id: e.actorId, name: e.actorName },
    target: { type: e.targetType, id: e.targetId },
    ip: e.ip,
    userAgent: e.userAgent,
    data: e.data,
    hash: e.hash,
    prevHash: e.prevHash,
  });
}

/** The RFC 5424 message (without framing). STRUCTURED-DATA is the NILVALUE: everything is in MSG. */
export function syslogMessage(e: SiemEvent, o: MessageOptions): string {
  const pri = FACILITY_AUTHPRIV * 8 + severityOf(e.action);
  const header = [
    `<${pri}>1`,
    e.at.toISOString(),
    headerField(o.hostname, 255),
    headerField(o.appName, 48),
    headerField(o.procId, 128),
    headerField(e.action, 32),
    "-",
  ].join(" ");
  const body = o.format === "cef" ? cefMessage(e, o.version) : jsonBody(e);
  return `${header} ${body}`;
}

/** RFC 6587 octet counting: the length is in bytes (UTF-8), not characters. */
export function frame(message: string): Buffer {
  const body = Buffer.from(message, "utf8");
  return Buffer.concat([Buffer.from(`${body.length} `, "ascii"), body]);
}

/** A batch of events as one buffer to write. */
export function frameAll(events: SiemEvent[], o: MessageOptions): Buffer {
  return Buffer.concat(events.map((e) => frame(syslogMessage(e, o))));
}
