import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inNamespace, listener, privateHosts, scratchCheckout } from "./namespace";

/*
 * scripts/preflight.sh on machines unlike this one, made in namespaces of their own: a lo that is
 * down and empty, an /etc/hosts without the DCs' names, ports held by strangers or by Interim's own
 * services, a shell without CAP_NET_ADMIN, a user who is not root. It runs from a scratch copy of
 * the scripts so "Interim's own" processes can be planted under that copy's .data/.
 */
let checkout: ReturnType<typeof scratchCheckout>;
beforeEach(() => {
  checkout = scratchCheckout();
});
afterEach(() => checkout.remove());

const preflight = (mode: string) => `bash ${JSON.stringify(path.join(checkout.dir, "scripts/preflight.sh"))} ${mode}`;
async function run(body: string, env: Record<string, string> = {}) {
  const r = await inNamespace(`${privateHosts(checkout.hosts)}\n${body}`, { LDAP_URL: "", DATABASE_URL: "", SMTP_URL: "", ...env });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}
const lines = (s: string) => s.split("\n").filter(Boolean);

describe("scripts/preflight.sh", () => {
  it("on a machine nobody prepared: brings lo up, names the DCs in /etc/hosts, and says so in one line", async () => {
    const r = await run(`${preflight("test")}; ip -o link show dev lo | grep -q "[<,]UP[,>]" && echo "lo is up"; ${preflight("test")}`);
    expect(r.stderr).toBe("");
    const [first, check, second] = lines(r.stdout);
    expect(r.status).toBe(0);
    expect(first).toMatch(
      /^preflight \(test\): ready; fixed: brought lo up, added dc1\.interim\.test to \/etc\/hosts, added dc2\.interim\.test to \/etc\/hosts; /,
    );
    expect(first).toContain("127.0.0.2 not on lo (scripts/ad-dc2.sh adds it");
    expect(first).toContain("23 ports free");
    expect(check).toBe("lo is up");
    expect(readFileSync(checkout.hosts, "utf8")).toBe("127.0.0.1 localhost\n127.0.0.1 dc1.interim.test dc1\n127.0.0.2 dc2.interim.test dc2\n");
    // Again: nothing left to fix.
    expect(second).toMatch(/^preflight \(test\): ready; nothing to fix; /);
  });

  it("names a stranger on the DC's and the e2e server's ports, with what to do, and fails", async () => {
    const r = await run(`ip link set dev lo up
${listener({ comm: "slapd", addr: "127.0.0.1", port: 636 })}
${listener({ comm: "krb5kdc", addr: "0.0.0.0", port: 88, proto: "udp" })}
${listener({ comm: "node", addr: "127.0.0.1", port: 3100 })}
${listener({ comm: "sshd", addr: "127.0.0.1", port: 2222 })}
${preflight("test")}`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^preflight \(test\): cannot start: /);
    expect(r.stderr).toMatch(/127\.0\.0\.1:636\/tcp \(local DC\) is held by slapd \(pid \d+\): stop it/);
    // A wildcard listener takes the port on every address: both DCs'.
    expect(r.stderr).toMatch(/127\.0\.0\.1:88\/udp \(local DC\) is held by krb5kdc \(pid \d+\)/);
    expect(r.stderr).toMatch(/127\.0\.0\.2:88\/udp \(second DC\) is held by krb5kdc \(pid \d+\)/);
    expect(r.stderr).toMatch(/127\.0\.0\.1:3100\/tcp \(e2e web server; set E2E_PORT to move it\) is held by node \(pid \d+\)/);
    // An sshd that is not the SSH target (scripts/ssh-target.sh) is a stranger too.
    expect(r.stderr).toMatch(/127\.0\.0\.1:2222\/tcp \(SSH target; set SSH_TARGET_PORT to move it\) is held by sshd \(pid \d+\): stop it/);
  });

  it("accepts ports held by Interim's own DC and Postgres of this checkout", async () => {
    const data = path.join(checkout.dir, ".data");
    const r = await run(`ip link set dev lo up
${listener({ comm: "samba", addr: "127.0.0.1", port: 636, stdout: path.join(data, "samba/dc1/samba.log") })}
${listener({ comm: "postgres", addr: "127.0.0.1", port: 54330, args: ["-D", path.join(data, "pg-test")] })}
${listener({ comm: "sshd", addr: "127.0.0.1", port: 2222, args: ["-D", "-f", path.join(data, "ssh-target/etc/sshd_config"), "-E", "log"] })}
${preflight("test")}`);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("20 ports free, 3 held by Interim's own DC/Postgres/SSH target");
  });

  it("refuses Interim's own DC where the other DC belongs, and a samba that is not Interim's", async () => {
    const data = path.join(checkout.dir, ".data");
    const r = await run(`ip link set dev lo up; mkdir -p ${JSON.stringify(path.join(checkout.dir, "other/.data/samba/dc1"))}
${listener({ comm: "samba", addr: "0.0.0.0", port: 389, stdout: path.join(data, "samba/dc1/samba.log") })}
${listener({ comm: "samba", addr: "127.0.0.1", port: 135, stdout: path.join(checkout.dir, "samba.log") })}
${listener({ comm: "samba", addr: "127.0.0.1", port: 464, stdout: path.join(checkout.dir, "other/.data/samba/dc1/samba.log") })}
${preflight("test")}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/127\.0\.0\.2:389\/tcp \(second DC\) is held by Interim's own dc1 \(pid \d+\) where it does not belong/);
    expect(r.stderr).toMatch(/127\.0\.0\.1:135\/tcp \(local DC\) is held by samba \(pid \d+\): stop it/);
    expect(r.stderr).toContain(`127.0.0.1:464/tcp (local DC) is held by samba of the Interim checkout in ${path.join(checkout.dir, "other")} (pid`);
    expect(r.stderr).not.toContain("127.0.0.1:389");
  });

  it("says what an administrator must do when this shell may not change lo (no CAP_NET_ADMIN)", async () => {
    const r = await run(`setpriv --bounding-set=-net_admin --inh-caps=-net_admin ${preflight("test")}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("lo must be up and carry 127.0.0.1, and this shell may not change it (no CAP_NET_ADMIN)");
    expect(r.stderr).toContain("the replication tests add and remove 127.0.0.2 on lo and this shell may not (no CAP_NET_ADMIN)");
    // Also with 127.0.0.2 there already: npm test takes it off for one pass and puts it back.
    const present = await run(
      `ip link set dev lo up; ip addr add 127.0.0.2/8 dev lo; setpriv --bounding-set=-net_admin --inh-caps=-net_admin ${preflight("test")}`,
    );
    expect(present.status).toBe(1);
    expect(present.stderr).toContain("the replication tests add and remove 127.0.0.2 on lo and this shell may not (no CAP_NET_ADMIN)");
    const allowed = await run(`ip link set dev lo up; ip addr add 127.0.0.2/8 dev lo; ${preflight("test")}`);
    expect(allowed.stdout).toContain("127.0.0.2 on lo (npm test takes it off for one replication pass and puts it back)");
  });

  it("says that the system tests need unshare when this shell lacks CAP_SYS_ADMIN", async () => {
    const r = await run(`ip link set dev lo up; setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin ${preflight("test")}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the system tests and the no-egress build need unshare (CAP_SYS_ADMIN)");
  });

  it("does not count an IPv6-only listener against the IPv4 ports", async () => {
    const r = await run(`ip link set dev lo up
python3 -c 'import socket, time; s = socket.socket(socket.AF_INET6); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1); s.bind(("::", 636)); s.listen(); time.sleep(120)' &
for _ in $(seq 100); do ss -Hlnt "sport = :636" | grep -q . && break; sleep 0.05; done
${preflight("test")}`);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("23 ports free");
  });

  it("in dev against a real directory checks only what dev then uses: the web and mail ports", async () => {
    const r = await run(
      `ip link set dev lo up
${listener({ comm: "slapd", addr: "127.0.0.1", port: 636 })}
${listener({ comm: "python3", addr: "127.0.0.1", port: 3000 })}
${preflight("dev")}`,
      { LDAP_URL: "ldaps://dc.example.test" },
    );
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1:3000\/tcp \(web server; set PORT to move it\) is held by python3/);
    expect(r.stderr).not.toContain(":636");
    expect(r.stderr).not.toContain("dc1.interim.test");
    expect(readFileSync(checkout.hosts, "utf8")).toBe("127.0.0.1 localhost\n");
  });

  it("tells a user who is not root that the local DC needs root", async () => {
    const r = await run(`ip link set dev lo up; setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all env PATH="$PATH" ${preflight("test")}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the local Samba DC listens on ports 88-636, which this user may not bind: run as root (sudo -E npm test)");
  });
});
