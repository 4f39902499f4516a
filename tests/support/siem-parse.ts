/*
 * A SIEM's side of the wire, written from the specs without Interim's code: an RFC 5424 line (as
 * rsyslog's %rawmsg% keeps it) and a CEF 0 message, unescaped as the CEF guide says.
 */

export interface Syslog5424 {
  pri: number;
  version: string;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sd: string;
  msg: string;
}

export function parseSyslog(line: string): Syslog5424 {
  const m = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[(?:[^\]\\]|\\.)*\]) ([\s\S]*)$/.exec(line);
  if (!m) throw new Error(`not an RFC 5424 message: ${line.slice(0, 120)}`);
  return { pri: Number(m[1]), version: m[2]!, timestamp: m[3]!, hostname: m[4]!, appName: m[5]!, procId: m[6]!, msgId: m[7]!, sd: m[8]!, msg: m[9]! };
}

export interface Cef {
  header: string[];
  ext: Record<string, string>;
}

/** Header: 7 fields split on unescaped `|` (`\|` and `\\` unescaped); extension: `key=value` pairs, values with `\=`, `\\`, `\n`, `\r`. */
export function parseCef(msg: string): Cef {
  const header: string[] = [];
  let field = "";
  let i = 0;
  for (; i < msg.length && header.length < 7; i++) {
    const c = msg[i]!;
    if (c === "\\" && (msg[i + 1] === "|" || msg[i + 1] === "\\")) field += msg[++i];
    else if (c === "|") {
      header.push(field);
      field = "";
    } else field += c;
  }
  if (header.length < 7) throw new Error(`not a CEF message: ${msg.slice(0, 120)}`);
  const rest = msg.slice(i);
  const ext: Record<string, string> = {};
  const keys = [...rest.matchAll(/(?:^| )([A-Za-z0-9_]+)=/g)];
  keys.forEach((k, n) => {
    const start = k.index + k[0].length;
    const end = n + 1 < keys.length ? keys[n + 1]!.index : rest.length;
    ext[k[1]!] = rest.slice(start, end).replace(/\\(.)/g, (_, ch: string) => (ch === "n" ? "\n" : ch === "r" ? "\r" : ch));
  });
  return { header, ext };
}

/** The audit seq a line carries (JSON's `seq`, CEF's `externalId`). */
export function seqOf(line: string): number {
  const { msg } = parseSyslog(line);
  return msg.startsWith("CEF:") ? Number(parseCef(msg).ext.externalId) : (JSON.parse(msg) as { seq: number }).seq;
}
