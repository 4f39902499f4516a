import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/*
 * scripts/test.sh runs this project twice: with 127.0.0.2 missing from lo before DC2 came up
 * (DC2_LOOPBACK_EXPECT=added: scripts/ad-dc2.sh must have added it and recorded so) and with it
 * already there (=present: the script must have used it without claiming it). After each run the
 * script checks that `ad-dc2.sh down` removed the address only in the first case.
 */
const root = path.resolve(import.meta.dirname, "../..");
const marker = path.join(root, ".data/samba/dc2-lo-address");
const loAddresses = () =>
  execFileSync("ip", ["-o", "-4", "addr", "show", "dev", "lo"], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(/\s+/)[3]!.split("/")[0]);

describe("DC2's loopback address", () => {
  it("is on lo while DC2 serves, and recorded as ad-dc2.sh's own exactly when it added it", () => {
    expect(loAddresses()).toContain("127.0.0.2");
    const listening = execFileSync("ss", ["-Hltnp", "sport = :636"], { encoding: "utf8" });
    expect(listening).toMatch(/127\.0\.0\.2:636\s.*"samba"/);

    const expected = process.env.DC2_LOOPBACK_EXPECT;
    if (expected !== undefined) expect(["added", "present"]).toContain(expected);
    const stamp = `127.0.0.2 ${readlinkSync("/proc/self/ns/net")} ${readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()}`;
    if (expected === "added" || (expected === undefined && existsSync(marker))) {
      expect(readFileSync(marker, "utf8").trim()).toBe(stamp);
    } else {
      expect(existsSync(marker)).toBe(false);
    }
  });
});
