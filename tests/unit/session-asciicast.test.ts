import { describe, expect, it } from "vitest";
import { RecordingBuffer, asciicastHeader, offsetOfEvent, parseAsciicast } from "@/server/sessions/asciicast";

const STARTED = Date.UTC(2026, 11, 1, 9, 0, 0, 250);

/** A buffer on a clock the test moves by hand (milliseconds after STARTED). */
function recorder() {
  let ms = 0;
  const buffer = new RecordingBuffer({ startedAt: STARTED, now: () => STARTED + ms });
  return { buffer, at: (next: number) => (ms = next) };
}

function replay(header: string, chunks: string[]) {
  return parseAsciicast(header + chunks.join(""));
}

describe("asciicast header", () => {
  it("is one JSON line with version 2, the size, the start in Unix seconds and TERM", () => {
    const line = asciicastHeader({ width: 120, height: 40, startedAt: STARTED, term: "xterm-256color", title: "srv-sql01 as adm-jdoe" });
    expect(line.endsWith("\n")).toBe(true);
    expect(line.indexOf("\n")).toBe(line.length - 1);
    expect(JSON.parse(line)).toEqual({
      version: 2,
      width: 120,
      height: 40,
      timestamp: Math.floor(STARTED / 1000),
      env: { TERM: "xterm-256color" },
      title: "srv-sql01 as adm-jdoe",
    });
  });

  it("leaves the title out when there is none", () => {
    expect(JSON.parse(asciicastHeader({ width: 80, height: 24, startedAt: STARTED, term: "xterm" }))).not.toHaveProperty("title");
  });
});

describe("RecordingBuffer", () => {
  it("round-trips output, input, resizes and markers with their times", () => {
    const { buffer, at } = recorder();
    at(0);
    buffer.output(Buffer.from("$ "));
    at(1234.5678);
    buffer.input(Buffer.from("l"));
    at(1500);
    buffer.resize(132, 43);
    at(2000);
    buffer.marker("ls -la");
    const chunk = buffer.takeChunk()!;
    expect(chunk.seq).toBe(0);
    expect(chunk.text.split("\n")).toHaveLength(5); // four lines, each ending with \n
    expect(chunk.text.endsWith("\n")).toBe(true);
    expect(chunk.text.split("\n")[1]).toBe('[1.234568, "i", "l"]');
    const { header, events } = replay(asciicastHeader({ width: 80, height: 24, startedAt: STARTED, term: "xterm" }), [chunk.text]);
    expect(header.width).toBe(80);
    expect(events).toEqual([
      [0, "o", "$ "],
      [1.234568, "i", "l"],
      [1.5, "r", "132x43"],
      [2, "m", "ls -la"],
    ]);
    expect(chunk.firstAt).toBe(0);
    expect(chunk.lastAt).toBe(2);
  });

  it("returns null when nothing is buffered and numbers chunks 0, 1, 2", () => {
    const { buffer, at } = recorder();
    expect(buffer.takeChunk()).toBeNull();
    at(10);
    buffer.output(Buffer.from("a"));
    expect(buffer.takeChunk()?.seq).toBe(0);
    expect(buffer.takeChunk()).toBeNull();
    buffer.output(Buffer.from("b"));
    expect(buffer.takeChunk()?.seq).toBe(1);
    buffer.input(Buffer.from("c"));
    const third = buffer.takeChunk()!;
    expect(third.seq).toBe(2);
    expect(third.text).toBe('[0.010000, "i", "c"]\n');
  });

  it("keeps a UTF-8 character split across reads whole, counting its bytes once", () => {
    const { buffer } = recorder();
    const euro = Buffer.from("€"); // e2 82 ac
    const smile = Buffer.from("😀"); // f0 9f 98 80
    buffer.output(Buffer.concat([Buffer.from("a"), euro.subarray(0, 1)]));
    buffer.output(euro.subarray(1, 2));
    buffer.output(Buffer.concat([euro.subarray(2), smile.subarray(0, 3)]));
    const first = buffer.takeChunk()!;
    buffer.output(smile.subarray(3));
    const second = buffer.takeChunk()!;
    const { events } = replay(asciicastHeader({ width: 80, height: 24, startedAt: STARTED, term: "xterm" }), [first.text, second.text]);
    expect(events.map((e) => e[2]).join("")).toBe("a€😀");
    expect(events.every((e) => !e[2].includes("\uFFFD"))).toBe(true);
    expect(first.bytes + second.bytes).toBe(1 + euro.length + smile.length);
    expect(second.bytes).toBe(1);
  });

  it("decodes input and output separately: a split character in one does not swallow the other", () => {
    const { buffer } = recorder();
    const e = Buffer.from("é"); // c3 a9
    buffer.output(e.subarray(0, 1));
    buffer.input(Buffer.from("x"));
    buffer.output(e.subarray(1));
    const { events } = parseAsciicast(asciicastHeader({ width: 1, height: 1, startedAt: 0, term: "t" }) + buffer.takeChunk()!.text);
    expect(events.map((ev) => [ev[1], ev[2]])).toEqual([
      ["i", "x"],
      ["o", "é"],
    ]);
  });

  it("turns invalid bytes into U+FFFD and keeps control characters, NUL and a BOM as data", () => {
    const { buffer } = recorder();
    const raw = Buffer.from([0xef, 0xbb, 0xbf, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x00, 0xff, 0x41, 0xc3, 0x28, 0x0d, 0x0a]);
    buffer.output(raw);
    const chunk = buffer.takeChunk()!;
    expect(chunk.bytes).toBe(raw.length);
    expect(chunk.text.split("\n")).toHaveLength(2); // control characters are escaped, never a raw line break
    const { events } = parseAsciicast(asciicastHeader({ width: 1, height: 1, startedAt: 0, term: "t" }) + chunk.text);
    expect(events[0]![2]).toBe("\uFEFF\u001b[31m\u0000\uFFFDA\uFFFD(\r\n");
  });

  it("end() turns an unfinished character into U+FFFD and accounts for its bytes", () => {
    const { buffer } = recorder();
    buffer.output(Buffer.from([0x61, 0xe2]));
    const before = buffer.takeChunk()!;
    buffer.output(Buffer.from([0x82]));
    expect(buffer.takeChunk()).toBeNull(); // no event yet: its byte waits for the next chunk
    buffer.end();
    const after = buffer.takeChunk()!;
    expect([before.bytes, after.bytes]).toEqual([2, 1]);
    expect(parseAsciicast(asciicastHeader({ width: 1, height: 1, startedAt: 0, term: "t" }) + before.text + after.text).events.map((e) => e[2])).toEqual([
      "a",
      "\uFFFD",
    ]);
  });

  it("counts exactly the bytes sent over many random reads, through every chunk", () => {
    const { buffer, at } = recorder();
    const sample = Buffer.from("héllo wörld — ₿ 😀 \u001b[0m\r\n".repeat(50));
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 9;
    const chunks: string[] = [];
    let bytes = 0;
    const take = (chunk: { text: string; bytes: number }) => {
      chunks.push(chunk.text);
      bytes += chunk.bytes;
    };
    let offset = 0;
    let ms = 0;
    while (offset < sample.length) {
      const size = 1 + Math.floor(random());
      buffer.output(sample.subarray(offset, offset + size));
      buffer.input(sample.subarray(offset, offset + size));
      offset += size;
      at((ms += 3));
      if (offset % 5 === 0) {
        const chunk = buffer.takeChunk();
        if (chunk) take(chunk);
      }
    }
    buffer.end();
    for (let chunk = buffer.takeChunk(); chunk; chunk = buffer.takeChunk()) take(chunk);
    expect(bytes).toBe(2 * sample.length);
    const { events } = replay(asciicastHeader({ width: 80, height: 24, startedAt: STARTED, term: "xterm" }), chunks);
    const text = (code: string) =>
      events
        .filter((e) => e[1] === code)
        .map((e) => e[2])
        .join("");
    expect(text("o")).toBe(sample.toString("utf8"));
    expect(text("i")).toBe(sample.toString("utf8"));
  });

  it("keeps times monotonic when the clock steps back, and never before 0", () => {
    const { buffer, at } = recorder();
    at(-50);
    buffer.output(Buffer.from("a"));
    at(2000);
    buffer.output(Buffer.from("b"));
    at(1000);
    buffer.output(Buffer.from("c"));
    const { events } = parseAsciicast(asciicastHeader({ width: 1, height: 1, startedAt: 0, term: "t" }) + buffer.takeChunk()!.text);
    expect(events.map((e) => e[0])).toEqual([0, 2, 2]);
  });

  it("writes six decimals and reports what is pending", () => {
    const { buffer, at } = recorder();
    at(1);
    expect(buffer.pending).toBe(0);
    buffer.output(Buffer.from("x"));
    expect(buffer.pending).toBeGreaterThan(0);
    expect(buffer.takeChunk()!.text).toBe('[0.001000, "o", "x"]\n');
    expect(buffer.pending).toBe(0);
  });
});

describe("parseAsciicast", () => {
  const header = asciicastHeader({ width: 80, height: 24, startedAt: 0, term: "xterm" });

  it.each([
    ["no header", ""],
    ["a header of another version", '{"version":1,"width":80,"height":24}\n'],
    ["a line that is not JSON", `${header}[0.1, "o", "a"\n`],
    ["an unknown event code", `${header}[0.1, "x", "a"]\n`],
    ["data that is not a string", `${header}[0.1, "o", 5]\n`],
    ["a time that is not a number", `${header}["0.1", "o", "a"]\n`],
  ])("refuses %s", (_name, text) => {
    expect(() => parseAsciicast(text)).toThrow(/asciicast/);
  });
});

describe("offsetOfEvent", () => {
  const events: [number, "o", string][] = [
    [0, "o", "a"],
    [1.5, "o", "b"],
    [1.5, "o", "c"],
    [4, "o", "d"],
  ];
  it.each([
    [-1, 0],
    [0, 0],
    [0.1, 1],
    [1.5, 1],
    [2, 3],
    [4, 3],
    [9, 4],
  ])("at %s s → event %i", (seconds, index) => {
    expect(offsetOfEvent(events, seconds)).toBe(index);
  });
  it("is 0 on an empty recording", () => {
    expect(offsetOfEvent([], 3)).toBe(0);
  });
});
