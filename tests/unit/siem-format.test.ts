import { describe, expect, it } from "vitest";
import { cefMessage, escapeCefHeader, escapeCefValue } from "@/server/siem/cef";
import { parseSyslogUrl, describeTarget } from "@/server/siem/config";
import { frame, frameAll, headerField, jsonBody, syslogMessage, type MessageOptions, type SiemEvent } from "@/server/siem/format";
import { parseCef, parseSyslog } from "../support/siem-parse";

/* The SIEM export's wire format (issue 16): RFC 5424 header, RFC 6587 octet counting, CEF escaping. */

const nasty = "a|b\\c=d\ne\r\nf\rg é 漢字 🙂";

const event: SiemEvent = {
  seq: 42,
  at: new Date("2026-12-07T10:11:12.345Z"),
  actorType: "user",
  actorId: "0b8c1a2e-0000-4000-8000-000000000001",
  actorName: `carol ${nasty}`,
  action: "request.refused",
  targetType: "privilege",
  targetId: "0b8c1a2e-0000-4000-8000-000000000002",
  data: { reason: nasty, nested: { n: 1, list: [nasty] } },
  ip: "2001:db8::7",
  userAgent: `agent ${nasty}`,
  prevHash: "a".repeat(64),
  hash: "b".repeat(64),
};

const opts = (format: "json" | "cef"): MessageOptions => ({ format, appName: "interim", hostname: "worker-1.example", procId: "1234", version: "1.2.0|x" });

describe("RFC 5424 message", () => {
  it("has PRI, version, UTC timestamp with milliseconds, hostname, app, procid, msgid and NILVALUE structured data", () => {
    const line = syslogMessage(event, opts("json"));
    expect(line.startsWith("<84>1 2026-12-07T10:11:12.345Z worker-1.example interim 1234 request.refused - {")).toBe(true);
    expect(parseSyslog(line)).toMatchObject({
      pri: 84,
      version: "1",
      hostname: "worker-1.example",
      appName: "interim",
      procId: "1234",
      msgId: "request.refused",
      sd: "-",
    });
  });

  it("is a notice (authpriv.notice = 85) for ordinary changes and a warning (84) for failures, refusals and a broken chain", () => {
    for (const [action, pri] of [
      ["grant.activated", 85],
      ["privilege.published", 85],
      ["audit.checkpoint", 85],
      ["grant.activation_failed", 84],
      ["request.denied", 84],
      ["audit.chain_broken", 84],
      ["request.emergency_submitted", 84],
    ] as const) {
      expect(parseSyslog(syslogMessage({ ...event, action }, opts("json"))).pri, action).toBe(pri);
    }
  });

  it("keeps header fields printable ASCII without spaces and within their lengths", () => {
    expect(headerField("host name\té", 255)).toBe("host_name__");
    expect(headerField("", 48)).toBe("-");
    expect(headerField("x".repeat(40), 32)).toHaveLength(32);
    const line = syslogMessage({ ...event, action: "a.very_long_action_name_that_goes_past_thirty_two" }, { ...opts("json"), hostname: "my host" });
    const p = parseSyslog(line);
    expect(p.hostname).toBe("my_host");
    expect(p.msgId).toBe("a.very_long_action_name_that_goe");
  });

  it("carries the whole event as one line of JSON that parses back to the row", () => {
    const body = jsonBody(event);
    expect(body).not.toMatch(/[\r\n]/);
    expect(JSON.parse(parseSyslog(syslogMessage(event, opts("json"))).msg)).toEqual({
      seq: 42,
      at: "2026-12-07T10:11:12.345Z",
      action: "request.refused",
      actor: { type: "user", id: event.actorId, name: event.actorName },
      target: { type: "privilege", id: event.targetId },
      ip: "2001:db8::7",
      userAgent: event.userAgent,
      data: event.data,
      hash: event.hash,
      prevHash: event.prevHash,
    });
  });
});

describe("octet-counting framing (RFC 6587)", () => {
  it("prefixes each message with its length in bytes, not characters, so messages can be split back exactly", () => {
    expect(frame("héllo").toString("utf8")).toBe("6 héllo");
    const buf = frameAll([event, { ...event, seq: 43, action: "grant.activated" }], opts("json"));
    const messages: string[] = [];
    for (let at = 0; at < buf.length;) {
      const space = buf.indexOf(0x20, at);
      const len = Number(buf.subarray(at, space).toString("ascii"));
      messages.push(buf.subarray(space + 1, space + 1 + len).toString("utf8"));
      at = space + 1 + len;
    }
    expect(messages.map((m) => (JSON.parse(parseSyslog(m).msg) as { seq: number }).seq)).toEqual([42, 43]);
  });
});

describe("CEF", () => {
  it("escapes | and \\ in header fields (and flattens line breaks)", () => {
    expect(escapeCefHeader("a|b\\c")).toBe("a\\|b\\\\c");
    expect(escapeCefHeader("line\nbreak")).toBe("line break");
  });

  it("escapes \\, = and line breaks in extension values, and leaves | alone there", () => {
    expect(escapeCefValue("a=b\\c|d\ne\r\nf\rg")).toBe("a\\=b\\\\c|d\\ne\\r\\nf\\rg");
  });

  it("parses back (by a parser written from the spec) to every value of the event", () => {
    const msg = cefMessage(event, "1.2.0|x");
    expect(msg).not.toMatch(/[\r\n]/);
    const cef = parseCef(msg);
    expect(cef.header).toEqual(["CEF:0", "Interim", "Interim", "1.2.0|x", "request.refused", "request.refused", "7"]);
    expect(cef.ext).toEqual({
      rt: String(event.at.getTime()),
      externalId: "42",
      act: "request.refused",
      suser: event.actorName,
      suid: event.actorId,
      src: "2001:db8::7",
      requestClientApplication: event.userAgent,
      cs1Label: "actorType",
      cs1: "user",
      cs2Label: "targetType",
      cs2: "privilege",
      cs3Label: "targetId",
      cs3: event.targetId,
      cs4Label: "data",
      cs4: JSON.stringify(event.data),
      cs5Label: "hash",
      cs5: event.hash,
      cs6Label: "prevHash",
      cs6: event.prevHash,
    });
  });

  it("leaves out absent values and an ip that is not an address; ordinary actions have severity 3", () => {
    const cef = parseCef(cefMessage({ ...event, action: "grant.activated", actorId: null, ip: "not-an-ip", userAgent: null, targetId: null }, "1"));
    expect(cef.header[6]).toBe("3");
    expect(Object.keys(cef.ext)).not.toContain("suid");
    expect(Object.keys(cef.ext)).not.toContain("src");
    expect(Object.keys(cef.ext)).not.toContain("requestClientApplication");
    expect(Object.keys(cef.ext)).not.toContain("cs3");
  });

  it("is the MSG of the syslog message when the format is cef", () => {
    const p = parseSyslog(syslogMessage(event, opts("cef")));
    expect(p.msg.startsWith("CEF:0|Interim|Interim|1.2.0\\|x|request.refused|")).toBe(true);
  });
});

describe("SIEM_SYSLOG_URL", () => {
  it("names host, port and TLS, with IPv6 in brackets, and is shown without anything else", () => {
    expect(parseSyslogUrl("tls://siem.example.com:6514")).toEqual({ tls: true, host: "siem.example.com", port: 6514 });
    expect(parseSyslogUrl("tcp://[2001:db8::1]:514")).toEqual({ tls: false, host: "2001:db8::1", port: 514 });
    expect(describeTarget({ tls: false, host: "2001:db8::1", port: 514 })).toBe("tcp://[2001:db8::1]:514");
    expect(() => parseSyslogUrl("udp://x:514")).toThrow(/tcp:\/\/host:port or tls:\/\/host:port/);
  });
});
