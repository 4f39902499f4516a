import "server-only";
import { createHash } from "node:crypto";
import ssh2, { type Client, type ClientChannel } from "ssh2";

// ssh2 is CommonJS: Node's ESM loader sees only its default export.
const { Client: SshClient } = ssh2;

/*
 * The gateway's side towards the device: an SSH client that accepts only the pinned host key and
 * logs in with the session's account (password, or keyboard-interactive answered with it, as PAM
 * asks). Nothing here decides policy: the ticket says who, where and with which password.
 */

/** OpenSSH's fingerprint of a host key ("SHA256:" + unpadded base64 of the key blob's SHA-256). */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

export class HostKeyMismatch extends Error {
  override readonly name = "HostKeyMismatch";
  constructor(
    readonly expected: string,
    readonly received: string,
  ) {
    super(`The device's host key changed: expected ${expected}, got ${received}. The session was refused.`);
  }
}

export interface DeviceTarget {
  host: string;
  port: number;
  login: string;
  password: string;
  hostKey: string;
}

export interface Pty {
  term: string;
  cols: number;
  rows: number;
}

const READY_TIMEOUT_MS = 15_000;

/** Connects and authenticates; rejects with HostKeyMismatch, or an Error whose message is fit for the person. */
export function connectDevice(target: DeviceTarget): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client: Client = new SshClient();
    let mismatch: HostKeyMismatch | null = null;
    client.on("ready", () => resolve(client));
    client.on("keyboard-interactive", (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => target.password)));
    client.on("error", (err: Error & { level?: string }) => {
      client.end();
      if (mismatch) return reject(mismatch);
      if (err.level === "client-authentication") return reject(new Error(`The device refused the login of ${target.login}.`));
      if (err.level === "client-timeout") return reject(new Error(`${target.host}:${target.port} did not answer in time.`));
      reject(new Error(`Could not reach ${target.host}:${target.port} (${(err as NodeJS.ErrnoException).code ?? "connection failed"}).`));
    });
    client.connect({
      host: target.host,
      port: target.port,
      username: target.login,
      password: target.password,
      tryKeyboard: true,
      readyTimeout: READY_TIMEOUT_MS,
      hostVerifier: (key: Buffer) => {
        const seen = fingerprintOf(key);
        if (seen === target.hostKey) return true;
        mismatch = new HostKeyMismatch(target.hostKey, seen);
        return false;
      },
    });
  });
}

export function openShell(client: Client, pty: Pty): Promise<ClientChannel> {
  return new Promise((resolve, reject) =>
    client.shell({ term: pty.term, cols: pty.cols, rows: pty.rows }, (err, stream) => (err ? reject(err) : resolve(stream))),
  );
}

export function openExec(client: Client, command: string, pty: Pty | null): Promise<ClientChannel> {
  return new Promise((resolve, reject) =>
    client.exec(command, pty ? { pty: { term: pty.term, cols: pty.cols, rows: pty.rows } } : {}, (err, stream) => (err ? reject(err) : resolve(stream))),
  );
}

/** The key a device presents, for an admin to confirm (nothing is trusted by the scan itself). */
export function scanHostKey(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const client: Client = new SshClient();
    let seen: string | null = null;
    const done = () => (seen ? resolve(seen) : reject(new Error(`Could not read a host key from ${host}:${port}.`)));
    client.on("error", done);
    client.on("close", done);
    client.on("ready", () => client.end());
    client.connect({
      host,
      port,
      username: "interim-host-key-scan",
      readyTimeout: 10_000,
      hostVerifier: (key: Buffer) => {
        seen = fingerprintOf(key);
        return false;
      },
    });
  });
}
