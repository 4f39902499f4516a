import { spawn } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Runs a bash script in a network and mount namespace of its own (`unshare -n -m`): a lo of its
 * own (down, no address, as on a machine nobody prepared) and mounts that vanish with it, so the
 * scripts can change lo and /etc/hosts without touching this machine's. Needs root, as `npm test`.
 */
export function inNamespace(script: string, env: Record<string, string> = {}) {
  // Listeners started in the background end with the script.
  const wrapped = `trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n${script}`;
  return run("unshare", ["--net", "--mount", "bash", "-euo", "pipefail", "-c", wrapped], { env: { ...process.env, ...env } });
}

/**
 * Runs a command to its end without blocking the test process's event loop (vitest's worker must
 * keep answering its parent while a slow command runs).
 */
export function run(command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${command} failed to run (it needs root and util-linux): ${e.message}`));
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export const repoRoot = path.resolve(import.meta.dirname, "../..");

/**
 * A copy of the scripts in a checkout of their own (scripts/ and an empty .data/), so a test can
 * plant "Interim's own" processes under its .data without touching this checkout's.
 */
export function scratchCheckout() {
  const dir = mkdtempSync(path.join(tmpdir(), "interim-preflight-"));
  chmodSync(dir, 0o755);
  cpSync(path.join(repoRoot, "scripts"), path.join(dir, "scripts"), { recursive: true });
  mkdirSync(path.join(dir, ".data/samba/dc1"), { recursive: true });
  const hosts = path.join(dir, "hosts");
  writeFileSync(hosts, "127.0.0.1 localhost\n");
  return { dir, hosts, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Shell that puts HOSTS over /etc/hosts inside the namespace. */
export const privateHosts = (hosts: string) => `mount --bind ${JSON.stringify(hosts)} /etc/hosts`;

/**
 * Shell that starts a listener named COMM (a python3 reached through a link of that name, so
 * /proc/<pid>/comm says COMM) on ADDR:PORT (tcp or udp) in the background, with its stdout sent
 * to STDOUT, and waits until the socket is listening.
 */
export function listener(opts: { comm: string; addr: string; port: number; proto?: "tcp" | "udp"; stdout?: string; args?: string[] }) {
  const proto = opts.proto ?? "tcp";
  const py = [
    "import socket, time",
    `s = socket.socket(socket.AF_INET, socket.SOCK_${proto === "tcp" ? "STREAM" : "DGRAM"})`,
    `s.bind((${JSON.stringify(opts.addr)}, ${opts.port}))`,
    proto === "tcp" ? "s.listen()" : "",
    "time.sleep(120)",
  ]
    .filter(Boolean)
    .join("; ");
  const bin = `"$(mktemp -d)/${opts.comm}"`;
  const flag = proto === "tcp" ? "t" : "u";
  return [
    // The interpreter itself, not a launcher script (pyenv's shim would exec python under its own name).
    `link=${bin}; ln -s "$(readlink -f "$(python3 -c 'import sys; print(sys.executable)')")" "$link"`,
    `"$link" -c ${JSON.stringify(py)} ${(opts.args ?? []).map((a) => JSON.stringify(a)).join(" ")} >${JSON.stringify(opts.stdout ?? "/dev/null")} 2>&1 &`,
    `for _ in $(seq 100); do ss -Hln${flag} "sport = :${opts.port}" | grep -q . && break; sleep 0.05; done`,
  ].join("\n");
}
