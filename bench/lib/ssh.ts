/**
 * The bench's SSH client (ssh2): an interactive shell with a pty whose bytes are counted both ways,
 * with "wait until the output shows X" helpers for prompts and keystroke echoes. Used against the
 * gateway and, for the raw twins, directly against the target.
 */
import ssh2, { type Client, type ClientChannel } from "ssh2";
import { fingerprintOf } from "@/server/sessions/gateway/device";

// ssh2 is CommonJS: Node's ESM loader sees only its default export.
const { Client: SshClient } = ssh2;

/** A shell prompt at the end of what was printed so far (bash's `$ `/`# `, possibly after a title escape). */
const PROMPT = /[$#] $/;

export interface ShellTarget {
  host: string;
  port: number;
  username: string;
  password: string;
  /** Pinned host key (SHA256:…); unset: any key (the gateway's own, generated on first start). */
  hostKey?: string;
}

export class Shell {
  /** Bytes the server sent on the channel (stdout + stderr) and bytes this side typed. */
  received = 0;
  sent = 0;
  closed: Promise<void>;
  private tail = "";
  private waiter: { test: (tail: string, chunk: string) => boolean; resolve: (at: number) => void } | null = null;
  private onChunk: ((chunk: Buffer) => void) | null = null;

  private constructor(
    private readonly client: Client,
    private readonly channel: ClientChannel,
  ) {
    let closed!: () => void;
    this.closed = new Promise<void>((r) => (closed = r));
    const take = (d: Buffer) => {
      this.received += d.length;
      this.onChunk?.(d);
      const text = d.toString("latin1");
      this.tail = (this.tail + text).slice(-256);
      if (this.waiter?.test(this.tail, text)) {
        const w = this.waiter;
        this.waiter = null;
        w.resolve(performance.now());
      }
    };
    channel.on("data", take);
    channel.stderr.on("data", take);
    channel.on("close", () => {
      client.end();
      closed();
    });
    client.on("close", () => closed());
  }

  /** Connects, logs in (password, or keyboard-interactive answered with it) and opens a shell with a pty. */
  static open(target: ShellTarget, opts: { timeoutMs?: number } = {}): Promise<Shell> {
    return new Promise((resolve, reject) => {
      const client: Client = new SshClient();
      client.on("error", (err) => reject(new Error(`ssh ${target.username}@${target.host}:${target.port}: ${err.message}`)));
      client.on("keyboard-interactive", (_n, _i, _l, prompts, finish) => finish(prompts.map(() => target.password)));
      client.on("ready", () =>
        client.shell({ term: "xterm", cols: 120, rows: 40 }, (err, channel) => {
          if (err) {
            client.end();
            return reject(err);
          }
          resolve(new Shell(client, channel));
        }),
      );
      client.connect({
        host: target.host,
        port: target.port,
        username: target.username,
        password: target.password,
        tryKeyboard: true,
        readyTimeout: opts.timeoutMs ?? 20_000,
        hostVerifier: target.hostKey ? (key: Buffer) => fingerprintOf(key) === target.hostKey : () => true,
      });
    });
  }

  /** Resolves with the time the output matched; rejects after `timeoutMs` or when the channel closes. */
  waitFor(test: (tail: string, chunk: string) => boolean, what: string, timeoutMs = 20_000): Promise<number> {
    if (test(this.tail, "")) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last output: ${JSON.stringify(this.tail.slice(-120))}`));
      }, timeoutMs);
      this.waiter = {
        test,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      void this.closed.then(() => {
        if (!this.waiter) return;
        this.waiter = null;
        clearTimeout(timer);
        reject(new Error(`the channel closed while waiting for ${what}; last output: ${JSON.stringify(this.tail.slice(-120))}`));
      });
    });
  }

  waitForPrompt(timeoutMs = 20_000): Promise<number> {
    return this.waitFor((tail) => PROMPT.test(tail), "a shell prompt", timeoutMs);
  }

  write(data: string) {
    this.sent += Buffer.byteLength(data);
    this.channel.write(data);
  }

  /** Forgets the output seen so far (the next wait looks only at what comes after). */
  clearTail() {
    this.tail = "";
  }

  /** One keystroke and its echo: the milliseconds from sending `ch` to seeing it come back. */
  async echo(ch: string, timeoutMs = 5_000): Promise<number> {
    this.clearTail();
    const t0 = performance.now();
    const done = this.waitFor((_tail, chunk) => chunk.includes(ch), `the echo of ${JSON.stringify(ch)}`, timeoutMs);
    this.write(ch);
    return (await done) - t0;
  }

  /** Counts what arrives, chunk by chunk (e.g. the bytes of a known character), from now on. */
  observe(fn: ((chunk: Buffer) => void) | null) {
    this.onChunk = fn;
  }

  /** Types `exit` and waits for the server to close the channel. */
  async exit(timeoutMs = 20_000) {
    this.write("exit\r");
    await Promise.race([this.closed, new Promise((_, reject) => setTimeout(() => reject(new Error("the shell did not close after exit")), timeoutMs))]);
  }

  end() {
    this.client.end();
  }
}
