import { Client } from "ssh2";
import { fingerprintOf } from "@/server/sessions/gateway/device";

/*
 * A real SSH client (ssh2) for tests: logs in (password), optionally checks the host key, runs a
 * shell fed with lines (or one exec), and returns everything the server printed.
 */

export interface SshRun {
  output: string;
  /** Why the connection ended with an error (auth refused, host key), or null. */
  error: string | null;
}

export function sshRun(opts: {
  host: string;
  port: number;
  username: string;
  password: string;
  hostKey?: string;
  /** Lines typed into an interactive shell, each sent after `waitFor` shows up (or after a pause). */
  lines?: string[];
  exec?: string;
  /** Typed once the first output arrives; each line waits this long after the previous one. */
  pauseMs?: number;
  timeoutMs?: number;
  onOutput?: (soFar: string) => void;
}): Promise<SshRun> {
  return new Promise((resolve) => {
    const client = new Client();
    let output = "";
    let settled = false;
    const done = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end();
      resolve({ output, error });
    };
    const timer = setTimeout(() => done("timeout"), opts.timeoutMs ?? 30_000);
    client.on("error", (err) => done(err.message));
    client.on("close", () => done(null));
    client.on("ready", () => {
      const onStream = (err: Error | undefined, stream: import("ssh2").ClientChannel) => {
        if (err) return done(err.message);
        stream.on("data", (d: Buffer) => {
          output += d.toString("utf8");
          opts.onOutput?.(output);
        });
        stream.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
        stream.on("close", () => done(null));
        if (opts.lines) {
          let i = 0;
          const next = () => {
            if (i >= opts.lines!.length) return;
            stream.write(opts.lines![i++]!);
            setTimeout(next, opts.pauseMs ?? 400);
          };
          setTimeout(next, opts.pauseMs ?? 400);
        }
      };
      if (opts.exec) client.exec(opts.exec, onStream);
      else client.shell({ term: "xterm", cols: 120, rows: 40 }, onStream);
    });
    client.connect({
      host: opts.host,
      port: opts.port,
      username: opts.username,
      password: opts.password,
      tryKeyboard: true,
      readyTimeout: 15_000,
      hostVerifier: opts.hostKey ? (key: Buffer) => fingerprintOf(key) === opts.hostKey : () => true,
    });
    client.on("keyboard-interactive", (_n, _i, _l, prompts, finish) => finish(prompts.map(() => opts.password)));
  });
}
