import "server-only";
import { readFile } from "node:fs/promises";
import { isIP, Socket, connect as tcpConnect } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { describeTarget, type SiemTarget } from "./config";

/*
 * One syslog connection (TCP or TLS). Syslog over TCP has no acknowledgement, so `confirm` is the
 * only proof of receipt it offers: we close our side (TLS close_notify, then FIN) after the last
 * byte and wait for the receiver to close its side. A receiver (rsyslog, syslog-ng) closes only
 * when its read reaches our end of stream, i.e. after it has read every byte before it; a
 * receiver that dies, resets, or closes first (shutting down with bytes still unread) makes
 * `confirm` fail. Anything that goes wrong at any point marks the connection failed for good.
 */

export class SiemConnectionError extends Error {}

export class SyslogConnection {
  private failure: Error | null = null;
  private closing = false;
  private closed: Promise<void>;

  private constructor(
    private readonly socket: Socket | TLSSocket,
    private readonly label: string,
  ) {
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("error", (err: NodeJS.ErrnoException) => this.fail(`${err.message}${err.code && !err.message.includes(err.code) ? ` (${err.code})` : ""}`));
    // The receiver closed its side before we closed ours: what it had not read yet is lost.
    socket.on("end", () => {
      if (!this.closing) this.fail("the receiver closed the connection");
    });
    socket.on("close", () => {
      if (!this.closing) this.fail("connection closed");
    });
    // Syslog receivers send nothing back (TLS records aside): whatever arrives is dropped.
    socket.on("data", () => {});
  }

  /** Connects (and for TLS completes the handshake, verifying the receiver's certificate) within `timeoutMs`. */
  static async open(target: SiemTarget, timeoutMs: number): Promise<SyslogConnection> {
    const label = describeTarget(target);
    let ca: Buffer | undefined;
    if (target.tls && target.caFile) {
      ca = await readFile(target.caFile).catch((err: NodeJS.ErrnoException) => {
        // The status shows this message to admins: the reason, not the file's path.
        throw new SiemConnectionError(`SIEM_TLS_CA_FILE cannot be read (${err.code ?? "error"})`);
      });
    }
    return new Promise((resolve, reject) => {
      const socket = target.tls
        ? tlsConnect({ host: target.host, port: target.port, ca, minVersion: "TLSv1.2", ...(isIP(target.host) ? {} : { servername: target.host }) })
        : tcpConnect({ host: target.host, port: target.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new SiemConnectionError(`${label}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new SiemConnectionError(`${label}: ${err.message}${err.code && !err.message.includes(err.code) ? ` (${err.code})` : ""}`));
      });
      socket.once(target.tls ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 10_000);
        resolve(new SyslogConnection(socket, label));
      });
    });
  }

  private fail(text: string) {
    this.failure ??= new SiemConnectionError(`${this.label}: ${text}`);
  }

  /** Hands `bytes` to the socket; waits while its buffer is full. Throws once the connection failed. */
  async write(bytes: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    const more = this.socket.write(bytes);
    if (more) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
    if (this.failure) throw this.failure;
  }

  /** Closes our side and waits for the receiver to close its own: the receipt of every byte written. */
  async confirm(timeoutMs: number): Promise<void> {
    if (this.failure) throw this.failure;
    this.closing = true;
    // "end" from here on is the receiver's answer to our close; "error" still fails.
    this.socket.removeAllListeners("end");
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    this.socket.end();
    const outcome = await Promise.race([this.closed.then(() => "closed" as const), timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      this.socket.destroy();
      this.fail(`the receiver did not close the connection within ${timeoutMs} ms of ours`);
    }
    if (this.failure) throw this.failure;
  }

  destroy() {
    this.closing = true;
    this.socket.destroy();
  }
}
