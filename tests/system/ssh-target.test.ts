import { createHash, randomBytes, randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { Attribute, Change, Client as Ldap } from "ldapts";
import { Client as Ssh } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/*
 * The SSH target scripts/ad-up.sh leaves running (scripts/ssh-target.sh): a real sshd on loopback
 * whose logins are the local domain's accounts and whose sudo follows membership of the AD group
 * "JIT Linux Admins". Needs the local stack's env (.data/samba/env, loaded by scripts/with-stack.ts).
 */
const need = [
  "LDAP_URL",
  "LDAP_CA_FILE",
  "LDAP_BIND_DN",
  "LDAP_BIND_PASSWORD",
  "AD_ADMIN_DN",
  "AD_ADMIN_PASSWORD",
  "SSH_TARGET_HOST",
  "SSH_TARGET_PORT",
  "SSH_TARGET_HOSTKEY_SHA256",
];
const env = (k: string) => process.env[k]!;
const BASE_DN = process.env.LDAP_BASE_DN ?? "DC=interim,DC=test";
const TEST_OU = `OU=IntegrationTests,OU=Interim,${BASE_DN}`;
const SUDO_GROUP = `CN=JIT Linux Admins,OU=Privileges,OU=Interim,${BASE_DN}`;
const ADM_ALICE = `CN=adm-alice,OU=Privileged Accounts,OU=Interim,${BASE_DN}`;
const DEMO_PASSWORD = process.env.DEMO_PASSWORD ?? "Interim-Demo-2026!";

/** A password AD's complexity rules accept: upper, lower, digit, symbol, 20 characters. */
const randomPassword = () => `Aa1!${randomBytes(12).toString("base64url")}${randomInt(10)}`;
const unicodePwd = (password: string) => Buffer.from(`"${password}"`, "utf16le");

/** OpenSSH's "SHA256:…" fingerprint of a raw host key. */
const fingerprint = (key: Buffer) => `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;

async function ldapAs(dn: string, password: string) {
  const client = new Ldap({ url: env("LDAP_URL").split(",")[0]!, tlsOptions: { ca: [readFileSync(env("LDAP_CA_FILE"))] }, timeout: 15_000 });
  await client.bind(dn, password);
  return client;
}

/** Logs in with a password (host key checked against EXPECTED), runs COMMAND, returns its exit code and output. */
function ssh(username: string, password: string, command: string, expected = env("SSH_TARGET_HOSTKEY_SHA256")) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const conn = new Ssh();
    conn
      .on("ready", () => {
        conn.exec(command, (err, stream) => {
          if (err) return reject(err);
          let stdout = "";
          let stderr = "";
          stream.on("data", (d: Buffer) => (stdout += d));
          stream.stderr.on("data", (d: Buffer) => (stderr += d));
          stream.on("close", (code: number | null) => {
            conn.end();
            resolve({ code, stdout, stderr });
          });
        });
      })
      .on("error", reject)
      .connect({
        host: env("SSH_TARGET_HOST"),
        port: Number(env("SSH_TARGET_PORT")),
        username,
        password,
        tryKeyboard: false,
        readyTimeout: 15_000,
        hostVerifier: (key: Buffer) => fingerprint(key) === expected,
      });
  });
}

let admin: Ldap;
let svc: Ldap;
const sam = `ssh-${randomBytes(4).toString("hex")}`;
const userDn = `CN=${sam},${TEST_OU}`;
const userPassword = randomPassword();

beforeAll(async () => {
  const missing = need.filter((k) => !process.env[k]);
  if (missing.length) throw new Error(`the SSH target test needs the local stack (scripts/ad-up.sh, scripts/with-stack.ts); missing ${missing.join(", ")}`);
  admin = await ldapAs(env("AD_ADMIN_DN"), env("AD_ADMIN_PASSWORD"));
  svc = await ldapAs(env("LDAP_BIND_DN"), env("LDAP_BIND_PASSWORD"));
  const ou = await admin.search(`OU=Interim,${BASE_DN}`, { scope: "one", filter: "(ou=IntegrationTests)", attributes: ["ou"] });
  if (!ou.searchEntries.length) await admin.add(TEST_OU, { objectClass: ["top", "organizationalUnit"], ou: "IntegrationTests" });
  await admin.add(userDn, [
    new Attribute({ type: "objectClass", values: ["top", "person", "organizationalPerson", "user"] }),
    new Attribute({ type: "sAMAccountName", values: [sam] }),
    new Attribute({ type: "userPrincipalName", values: [`${sam}@interim.test`] }),
    new Attribute({ type: "unicodePwd", values: [unicodePwd(userPassword)] }),
    new Attribute({ type: "userAccountControl", values: ["512"] }),
  ]);
});

afterAll(async () => {
  try {
    await svc?.modify(
      ADM_ALICE,
      new Change({ operation: "replace", modification: new Attribute({ type: "unicodePwd", values: [unicodePwd(DEMO_PASSWORD)] }) }),
    );
    await admin?.del(userDn).catch(() => undefined); // deleting a user also drops its group memberships
  } finally {
    await svc?.unbind();
    await admin?.unbind();
  }
});

const setSudoMember = (operation: "add" | "delete") =>
  svc.modify(SUDO_GROUP, new Change({ operation, modification: new Attribute({ type: "member", values: [userDn] }) }));

describe("the SSH target (LNX01)", () => {
  it("lets a domain user log in with its AD password, without sudo", async () => {
    const r = await ssh(sam, userPassword, "id -un; sudo -n true");
    expect(r.stdout.trim()).toBe(`INTERIM\\${sam}`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/password is required/);
  });

  it("gives a new login sudo while the user is in JIT Linux Admins, and takes it away after", async () => {
    await setSudoMember("add");
    try {
      const r = await ssh(sam, userPassword, "sudo -n true && sudo -n id -u");
      expect(r).toMatchObject({ code: 0, stdout: "0\n" });
    } finally {
      await setSudoMember("delete");
    }
    const after = await ssh(sam, userPassword, "sudo -n true");
    expect(after.code).not.toBe(0);
  });

  it("logs a managed privileged account in with the password the service account just set, and refuses the old one", async () => {
    const fresh = randomPassword();
    await svc.modify(ADM_ALICE, new Change({ operation: "replace", modification: new Attribute({ type: "unicodePwd", values: [unicodePwd(fresh)] }) }));
    const r = await ssh("adm-alice", fresh, "id -un");
    expect(r).toMatchObject({ code: 0, stdout: "INTERIM\\adm-alice\n" });
    await expect(ssh("adm-alice", DEMO_PASSWORD, "true")).rejects.toThrow(/authentication methods failed/);
  });

  it("is refused when its host key is not the pinned one", async () => {
    const wrong = `SHA256:${createHash("sha256").update("not the target's key").digest("base64").replace(/=+$/, "")}`;
    await expect(ssh(sam, userPassword, "true", wrong)).rejects.toThrow(/verification failed/i);
  });
});
