/*
 * asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): one JSON header line, then one
 * JSON array per event, `[seconds since start, code, data]`. The gateway forwards bytes first and
 * feeds them here afterwards; the recorder flushes `takeChunk()` to Postgres at least every second,
 * so a chunk is a run of whole NDJSON lines and the recording is the header plus the chunks in
 * `seq` order. Pure: no I/O; the clock is injected.
 *
 * Chunk text holds JSON escapes such as `\u0000` for a NUL the device printed: store it as `text`,
 * not `jsonb` (Postgres refuses NUL inside jsonb strings).
 */

export type AsciicastEventCode = "o" | "i" | "r" | "m";
export type AsciicastEvent = [time: number, code: AsciicastEventCode, data: string];

export type AsciicastHeader = {
  version: 2;
  width: number;
  height: number;
  /** Unix time of the start, in seconds. */
  timestamp: number;
  env: { TERM: string };
  title?: string;
};

export type RecordingChunk = {
  /** 0, 1, 2… in the order the chunks were taken. */
  seq: number;
  /** Times of the chunk's first and last event, in seconds since the start (the events' own clock). */
  firstAt: number;
  lastAt: number;
  /** NDJSON: one event per line, each line ending with "\n". */
  text: string;
  /** Raw bytes of output and input handed to the buffer that this chunk accounts for. */
  bytes: number;
};

/** The header line, ending with "\n" so that header + chunk texts is the whole file. */
export function asciicastHeader(options: { width: number; height: number; startedAt: number; term: string; title?: string }): string {
  const header: AsciicastHeader = {
    version: 2,
    width: options.width,
    height: options.height,
    timestamp: Math.floor(options.startedAt / 1000),
    env: { TERM: options.term },
  };
  if (options.title !== undefined) header.title = options.title;
  return `${JSON.stringify(header)}\n`;
}

/** A monotonic millisecond clock on the wall-clock scale, finer than Date.now(). */
const defaultNow = () => performance.timeOrigin + performance.now();

/**
 * One decoder per direction: a multi-byte character split across two reads is completed by the
 * next read instead of becoming two U+FFFD, invalid bytes become U+FFFD, and a BOM is kept as
 * data (TextDecoder would silently drop one at the start of the stream).
 */
const utf8 = () => new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

export class RecordingBuffer {
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly out = utf8();
  private readonly in = utf8();
  private lines: string[] = [];
  private bytes = 0;
  private size = 0;
  private firstAt = 0;
  private lastAt = 0;
  private seq = 0;
  private clock = 0;

  /** `startedAt` and `now()` in milliseconds since the epoch (`now` defaults to a monotonic clock). */
  constructor(options: { startedAt: number; now?: () => number }) {
    this.startedAt = options.startedAt;
    this.now = options.now ?? defaultNow;
  }

  output(data: Uint8Array): void {
    this.bytes += data.length;
    this.push("o", this.out.decode(data, { stream: true }));
  }

  input(data: Uint8Array): void {
    this.bytes += data.length;
    this.push("i", this.in.decode(data, { stream: true }));
  }

  resize(cols: number, rows: number): void {
    this.push("r", `${cols}x${rows}`);
  }

  marker(label: string): void {
    this.push("m", label, true);
  }

  /** Finishes both directions (a trailing unfinished character becomes U+FFFD); take a last chunk after. */
  end(): void {
    this.push("o", this.out.decode());
    this.push("i", this.in.decode());
  }

  /** Characters of event text waiting for `takeChunk()`: lets the caller flush early under a burst. */
  get pending(): number {
    return this.size;
  }

  /**
   * The events buffered since the last chunk, or null when there are none. Bytes are counted as
   * they arrive: those of a character still unfinished stay with the next chunk that has an event.
   */
  takeChunk(): RecordingChunk | null {
    if (this.lines.length === 0) return null;
    const chunk: RecordingChunk = { seq: this.seq++, firstAt: this.firstAt, lastAt: this.lastAt, text: this.lines.join(""), bytes: this.bytes };
    this.lines = [];
    this.bytes = 0;
    this.size = 0;
    return chunk;
  }

  /** Seconds since the start, to the microsecond, never before the previous event nor before 0. */
  private elapsed(): number {
    const seconds = Math.round((this.now() - this.startedAt) * 1000) / 1e6;
    if (seconds > this.clock) this.clock = seconds;
    return this.clock;
  }

  private push(code: AsciicastEventCode, data: string, always = false): void {
    // Only part of a character so far: nothing to show until the next read completes it.
    if (data === "" && !always) return;
    const at = this.elapsed();
    const line = `[${at.toFixed(6)}, ${JSON.stringify(code)}, ${JSON.stringify(data)}]\n`;
    if (this.lines.length === 0) this.firstAt = at;
    this.lastAt = at;
    this.lines.push(line);
    this.size += line.length;
  }
}

const EVENT_CODES: ReadonlySet<string> = new Set<AsciicastEventCode>(["o", "i", "r", "m"]);

function isHeader(value: unknown): value is AsciicastHeader {
  if (typeof value !== "object" || value === null) return false;
  const h = value as Record<string, unknown>;
  return h.version === 2 && Number.isInteger(h.width) && Number.isInteger(h.height);
}

function isEvent(value: unknown): value is AsciicastEvent {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    typeof value[0] === "number" &&
    Number.isFinite(value[0]) &&
    typeof value[1] === "string" &&
    EVENT_CODES.has(value[1]) &&
    typeof value[2] === "string"
  );
}

/** Reads a whole recording (header line + event lines); throws on anything that is not asciicast v2. */
export function parseAsciicast(text: string): { header: AsciicastHeader; events: AsciicastEvent[] } {
  const lines = text.split("\n");
  let header: AsciicastHeader | null = null;
  const events: AsciicastEvent[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`asciicast line ${index + 1} is not JSON`);
    }
    if (header === null) {
      if (!isHeader(value)) throw new Error("asciicast header is not version 2 with a width and a height");
      header = value;
    } else {
      if (!isEvent(value)) throw new Error(`asciicast line ${index + 1} is not an event [time, "o"|"i"|"r"|"m", data]`);
      events.push(value);
    }
  }
  if (header === null) throw new Error("asciicast recording has no header");
  return { header, events };
}

/**
 * Index of the first event at or after `seconds` (events.length when there is none): where the
 * player should be to show a command (its `at` minus the session's start, in seconds).
 */
export function offsetOfEvent(events: readonly AsciicastEvent[], seconds: number): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (events[mid]![0] < seconds) low = mid + 1;
    else high = mid;
  }
  return low;
}
