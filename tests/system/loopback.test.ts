import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inNamespace, repoRoot } from "./namespace";

/*
 * scripts/lib/loopback.sh decides from lo's addresses alone. Each case runs in a network namespace
 * of its own, where lo starts down and empty, like a machine nobody prepared; on this kernel a
 * socket there binds 127.0.0.2 without lo carrying it (the case where Samba then listened nowhere).
 */
const lib = path.join(repoRoot, "scripts/lib/loopback.sh");
let state: string;
let marker: string;
beforeEach(() => {
  state = mkdtempSync(path.join(tmpdir(), "interim-lo-"));
  marker = path.join(state, "dc2-lo-address");
});
afterEach(() => rmSync(state, { recursive: true, force: true }));

const run = async (body: string) => {
  const r = await inNamespace(`. ${JSON.stringify(lib)}\nM=${JSON.stringify(marker)}\n${body}`);
  if (r.status !== 0) throw new Error(`namespace script failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim().split("\n");
};
const addresses = "echo \"lo: $(ip -o -4 addr show dev lo | awk '{ print $4 }' | sort | paste -sd, -)\"";

describe("scripts/lib/loopback.sh", () => {
  it("sees a new namespace's lo as down and without 127.0.0.1, and up with it once brought up", async () => {
    expect(
      await run(`lo_is_up && echo up || echo down; lo_has 127.0.0.1 && echo has || echo lacks
ip link set dev lo up
lo_is_up && echo up || echo down; lo_has 127.0.0.1 && echo has || echo lacks; lo_has 127.0.0.12 && echo has || echo lacks`),
    ).toEqual([
      "down",
      "lacks",
      "up",
      "has",
      "lacks", // 127.0.0.12 is not 127.0.0.1: the address is compared whole
    ]);
  });

  it("adds 127.0.0.2 when lo lacks it, whatever a bind to it would do, and removes it on release", async () => {
    const out = await run(`ip link set dev lo up
python3 -c 'import socket; socket.socket().bind(("127.0.0.2", 0))' 2>/dev/null && echo "bind without the address: works" || echo "bind without the address: refused"
lo_ensure 127.0.0.2 "$M"
${addresses}
cat "$M"
echo "stamp $(readlink /proc/self/ns/net) $(cat /proc/sys/kernel/random/boot_id)"
lo_ensure 127.0.0.2 "$M"
lo_release 127.0.0.2 "$M"
${addresses}
[ -e "$M" ] && echo "marker left" || echo "marker gone"
lo_release 127.0.0.2 "$M"`);
    // Recorded, not asserted: the outcome differs between kernels, and must not matter.
    expect(out[0]).toMatch(/^bind without the address: (works|refused)$/);
    expect(out.slice(1, 3)).toEqual(["added", "lo: 127.0.0.1/8,127.0.0.2/8"]);
    // The marker names the namespace whose lo got the address, and the boot.
    expect(out[3]).toBe(`127.0.0.2 ${out[4]!.slice("stamp ".length)}`);
    expect(out.slice(5)).toEqual(["present", "removed", "lo: 127.0.0.1/8", "marker gone", "absent"]);
  });

  it("leaves an address that was there before it (no marker written, release keeps it)", async () => {
    expect(
      await run(`ip link set dev lo up; ip addr add 127.0.0.2/32 dev lo
lo_ensure 127.0.0.2 "$M"
[ -e "$M" ] && echo "marker written" || echo "no marker"
lo_release 127.0.0.2 "$M"
${addresses}`),
    ).toEqual(["present", "no marker", "kept", "lo: 127.0.0.1/8,127.0.0.2/32"]);
  });

  it("ignores (and drops) a marker written in another network namespace or before this boot", async () => {
    expect(
      await run(`ip link set dev lo up; ip addr add 127.0.0.2/8 dev lo
echo "127.0.0.2 net:[1] $(cat /proc/sys/kernel/random/boot_id)" >"$M"
lo_release 127.0.0.2 "$M"
[ -e "$M" ] && echo "marker left" || echo "marker gone"
echo "127.0.0.2 $(readlink /proc/self/ns/net) 00000000-0000-0000-0000-000000000000" >"$M"
lo_ensure 127.0.0.2 "$M"
[ -e "$M" ] && echo "marker left" || echo "marker gone"
lo_release 127.0.0.2 "$M"
${addresses}`),
    ).toEqual(["kept", "marker gone", "present", "marker gone", "kept", "lo: 127.0.0.1/8,127.0.0.2/8"]);
  });

  it("re-adds the address when lo lost it (e.g. after a reboot) and still removes it after", async () => {
    expect(
      await run(`ip link set dev lo up
echo "127.0.0.2 net:[1] stale-boot" >"$M"
lo_ensure 127.0.0.2 "$M"
lo_release 127.0.0.2 "$M"
${addresses}`),
    ).toEqual(["added", "removed", "lo: 127.0.0.1/8"]);
  });

  it("knows whether this shell may change addresses (CAP_NET_ADMIN), without trying", async () => {
    expect(
      await run(`can_admin_network && echo can || echo cannot
setpriv --bounding-set=-net_admin --inh-caps=-net_admin bash -c '. ${JSON.stringify(lib)}; can_admin_network && echo can || echo cannot'`),
    ).toEqual(["can", "cannot"]);
  });
});
