import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/*
 * A real rsyslog on loopback for the SIEM tests and bench: Debian's rsyslogd, in the foreground, with
 * a config, pid file and work directory of its own under a temp directory. It loads imtcp only
 * (no imuxsock, no imklog: the machine's syslog is not touched) and writes each received message's
 * raw text, one per line, to `file`. With `tls`, its listener speaks TLS (GnuTLS driver, anonymous
 * clients) with a certificate for 127.0.0.1/localhost signed by a CA made here with openssl.
 */

const RSYSLOGD = "/usr/sbin/rsyslogd";

export interface TestCa {
  caFile: string;
  keyFile: string;
}

/** A self-signed CA in `dir` (openssl). */
export function makeCa(dir: string, name: string): TestCa {
  const caFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", caFile, "-days", "2", "-subj", `/CN=Interim test CA ${name}`]);
  return { caFile, keyFile };
}

/** A server certificate for localhost and 127.0.0.1 signed by `ca`. */
export function makeServerCert(dir: string, ca: TestCa): { certFile: string; keyFile: string } {
  const keyFile = join(dir, "server.key");
  const csr = join(dir, "server.csr");
  const certFile = join(dir, "server.pem");
  const ext = join(dir, "server.ext");
  writeFileSync(ext, "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", csr, "-subj", "/CN=localhost"]);
  openssl(["x509", "-req", "-in", csr, "-CA", ca.caFile, "-CAkey", ca.keyFile, "-CAcreateserial", "-out", certFile, "-days", "2", "-extfile", ext]);
  return { certFile, keyFile };
}

function openssl(args: string[]) {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export interface Rsyslog {
  port: number;
  /** Where the received messages go, one raw message per line. */
  file: string;
  dir: string;
  /** The CA that signed the listener's certificate (with `tls`). */
  ca?: TestCa;
  /** The received messages so far (raw, without the octet count). */
  lines: () => string[];
  /** Stops rsyslogd (SIGTERM: it closes its connections) and waits for it to exit. */
  stop: () => Promise<void>;
  /** Starts it again on the same port, appending to the same file. */
  start: () => Promise<void>;
  /** Stops it and removes its directory. */
  close: () => Promise<void>;
}

export async function startRsyslog(opts: { tls?: boolean } = {}): Promise<Rsyslog> {
  if (!existsSync(RSYSLOGD)) throw new Error(`${RSYSLOGD} is missing: run \`bash scripts/system-deps.sh rsyslog\` (Debian's rsyslog and rsyslog-gnutls)`);
  const dir = mkdtempSync(join(tmpdir(), "interim-rsyslog-"));
  const port = await freePort();
  const file = join(dir, "messages.log");
  const ca = opts.tls ? makeCa(dir, "ca") : undefined;
  const cert = ca ? makeServerCert(dir, ca) : undefined;
  const conf = join(dir, "rsyslog.conf");
  const work = join(dir, "work");
  execFileSync("mkdir", ["-p", work]);
  writeFileSync(
    conf,
    [
      `global(workDirectory="${work}" maxMessageSize="64k"`,
      ...(ca && cert
        ? [
            `  defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile="${ca.caFile}"`,
            `  defaultNetstreamDriverCertFile="${cert.certFile}" defaultNetstreamDriverKeyFile="${cert.keyFile}"`,
          ]
        : []),
      ")",
      ca ? `module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")` : `module(load="imtcp")`,
      `template(name="raw" type="string" string="%rawmsg%\\n")`,
      `ruleset(name="siem") { action(type="omfile" file="${file}" template="raw") }`,
      `input(type="imtcp" port="${port}" address="127.0.0.1" ruleset="siem")`,
      "",
    ].join("\n"),
  );
  const pidFile = join(dir, "rsyslogd.pid");
  let child: ChildProcess | undefined;
  let output = "";

  const start = async () => {
    output = "";
    child = spawn(RSYSLOGD, ["-n", "-f", conf, "-i", pidFile], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr!.on("data", (b: Buffer) => (output += b.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (child.exitCode !== null) throw new Error(`rsyslogd exited (${child.exitCode}): ${output}`);
      if (Date.now() > deadline) throw new Error(`rsyslogd did not listen on 127.0.0.1:${port} within 10 s: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    await exited;
  };
  await start();
  return {
    port,
    file,
    dir,
    ca,
    lines: () => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []),
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: "127.0.0.1" });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}
