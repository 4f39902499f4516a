import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import checkStack from "../integration/global-setup";

/*
 * The replication tests need a second DC: joined to the local domain before the tests
 * (scripts/ad-dc2.sh up, ~15 s) and removed from it afterwards (down), so every other test keeps
 * its single-DC domain. Run them through `npm test` or
 * `npx tsx scripts/with-stack.ts --cluster test --db interim_test --fresh -- npx vitest run --project replication`.
 */

const root = path.resolve(import.meta.dirname, "../..");
const dc2 = (command: "up" | "down") => execFileSync("bash", [path.join(root, "scripts/ad-dc2.sh"), command], { cwd: root, stdio: "inherit" });

export default function setup() {
  checkStack();
  dc2("up");
  // What scripts/ad-dc2.sh wrote: DC2's URL, and a CA file with both DCs' CAs (the product reads
  // LDAP_CA_FILE; the test workers are started after this and inherit the environment).
  const written = Object.fromEntries(
    readFileSync(path.join(root, ".data/samba/dc2/env"), "utf8")
      .split("\n")
      .filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  process.env.DC2_LDAP_URL = written.DC2_LDAP_URL;
  process.env.DC2_HOST_NAME = written.DC2_HOST_NAME;
  process.env.LDAP_CA_FILE = written.DC2_CA_BUNDLE;
  return () => {
    dc2("down");
  };
}
