import { spawn } from "node:child_process";
import { Attribute, Change, type Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { catalogCredentials, privileges } from "@/db/schema";
import type { SessionUser } from "@/server/auth/permissions";
import { guidToString, sidToString } from "@/server/directory/binary";
import { directorySetupPlan, type SetupCheck, type SetupPlan } from "@/server/directory/setup";
import { adminClient, BASE_DN, directoryGuid, ensureAdUser, ensureTestOu, localUser, publish, resetDatabase, TEST_OU } from "./fixtures";

/*
 * The setup assistant against the real DC: what the service account was given by scripts/ad-up.sh
 * reads as in place, what it was not given reads as missing, and running the samba-tool command the
 * assistant prints turns a missing check into one in place.
 */

const SETUP_OU = `OU=Setup Check,${TEST_OU}`;
const OUTSIDE_GROUP = `CN=it-setup-outside,${SETUP_OU}`;
let ad: Client;
let admin: SessionUser;

const check = (plan: SetupPlan, id: SetupCheck["id"]) => plan.checks.find((c) => c.id === id)!;

async function removeSetupOu() {
  for (const dn of [OUTSIDE_GROUP, SETUP_OU]) await ad.del(dn).catch(() => undefined);
}

/** objectGUID and objectSid of any object, read as the domain admin (the service's group search only looks under the privilege OU). */
async function identityOf(dn: string) {
  const {
    searchEntries: [e],
  } = await ad.search(dn, { scope: "base", attributes: ["objectGUID", "objectSid"], explicitBufferAttributes: ["objectGUID", "objectSid"] });
  return { guid: guidToString(e!.objectGUID as Buffer), sid: sidToString(e!.objectSid as Buffer) };
}

function run(cmd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", cmd], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
}

beforeAll(async () => {
  await resetDatabase();
  ad = await adminClient();
  await ensureTestOu(ad);
  await removeSetupOu();
  await ad.add(SETUP_OU, { objectClass: ["top", "organizationalUnit"], ou: "Setup Check" });
  await ad.add(OUTSIDE_GROUP, { objectClass: ["top", "group"], sAMAccountName: "it-setup-outside", groupType: "-2147483646" });
  admin = await localUser("alice", true);
}, 60_000);

afterAll(async () => {
  await removeSetupOu();
  await ad.unbind();
});

describe("directory setup assistant", () => {
  it("reads ad-up.sh's delegations as in place and the rest as not needed", async () => {
    await publish(admin, "JIT SQL Admins");
    const plan = await directorySetupPlan(admin);
    expect(plan.account).toMatchObject({ netbiosName: "INTERIM", sam: "svc-interim" });
    expect(plan.account.sid).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
    const groups = check(plan, "published-groups");
    expect(groups).toMatchObject({ needed: true, state: "ok", counts: { checked: 1, ok: 1 } });
    expect(groups.objects[0]).toMatchObject({ verdict: "allowed" });
    expect(check(plan, "temporary-groups")).toMatchObject({ needed: false, state: "ok" });
    // No managed accounts, no protected groups, no TTL privileges: nothing asked for.
    expect(check(plan, "managed-accounts")).toMatchObject({ needed: false, state: "not-needed" });
    const holder = check(plan, "protected-accounts");
    expect(holder).toMatchObject({ needed: false, state: "not-needed" });
    // ad-up.sh gives svc-interim nothing on AdminSDHolder.
    expect(holder.objects).toEqual([{ dn: `CN=AdminSDHolder,CN=System,${BASE_DN}`, verdict: "not-granted" }]);
    expect(check(plan, "pam-feature")).toMatchObject({ state: "not-needed", detail: expect.stringContaining("Not enabled") });
  });

  it("says which managed accounts lack Reset Password and which protected groups make AdminSDHolder needed", async () => {
    const inOu = await directoryGuid("adm-alice"); // OU=Privileged Accounts: delegated by ad-up.sh
    await ensureAdUser(ad, "it-setup-unmanaged");
    const outside = await directoryGuid("it-setup-unmanaged"); // OU=IntegrationTests: not delegated
    await db.insert(catalogCredentials).values([
      { username: "adm-alice", source: "manual", objectGuid: inOu, managed: true },
      { username: "it-setup-unmanaged", source: "manual", objectGuid: outside, managed: true },
    ]);
    const daDn = `CN=Domain Admins,CN=Users,${BASE_DN}`;
    const da = await identityOf(daDn);
    await db.insert(privileges).values({
      name: "Domain Admins (setup check)",
      groupDn: daDn,
      groupGuid: da.guid,
      groupSid: da.sid,
      maxDurationMinutes: 60,
      defaultDurationMinutes: 30,
      mechanism: "ttl",
    });

    const plan = await directorySetupPlan(admin);
    const accounts = check(plan, "managed-accounts");
    expect(accounts).toMatchObject({ needed: true, state: "missing", counts: { checked: 2, ok: 1 } });
    expect(accounts.objects.map((o) => [o.dn.split(",")[0], o.verdict])).toEqual([
      ["CN=it-setup-unmanaged", "not-granted"],
      ["CN=adm-alice", "allowed"],
    ]);
    expect(accounts.delegations.map((d) => d.target)).toEqual([TEST_OU]);
    expect(accounts.delegations[0]!.commands.dsacls).toBe(`dsacls "${TEST_OU}" /I:S /G "INTERIM\\svc-interim:CA;Reset Password;user"`);
    expect(check(plan, "protected-accounts")).toMatchObject({
      needed: true,
      state: "missing",
      neededBecause: expect.stringContaining("Domain Admins (setup check)"),
    });
    // A TTL privilege on a forest without the PAM feature (Samba has none).
    expect(check(plan, "pam-feature")).toMatchObject({ needed: true, state: "missing" });
    await db.delete(privileges);
    await db.delete(catalogCredentials);
  });

  it("turns missing into in place once the printed samba-tool command has run", async () => {
    const group = await identityOf(OUTSIDE_GROUP);
    await db
      .insert(privileges)
      .values({ name: "Outside the delegated OU", groupDn: OUTSIDE_GROUP, groupGuid: group.guid, maxDurationMinutes: 60, defaultDurationMinutes: 30 });
    const before = check(await directorySetupPlan(admin), "published-groups");
    expect(before).toMatchObject({ state: "missing", counts: { checked: 1, ok: 0 } });
    expect(before.delegations.map((d) => d.target)).toEqual([SETUP_OU]);
    const command = before.delegations[0]!.commands.samba!;
    expect(command).toContain(`--objectdn='${SETUP_OU}'`);

    const ran = await run(`${command} --password="$AD_ADMIN_PASSWORD"`);
    expect(ran.code, ran.out).toBe(0);
    const after = check(await directorySetupPlan(admin), "published-groups");
    expect(after).toMatchObject({ state: "ok", counts: { checked: 1, ok: 1 } });
    // …and only `member` was delegated: the service account still may not, say, rename the group.
    const svc = await adminClient();
    try {
      await svc.bind(process.env.LDAP_BIND_DN!, process.env.LDAP_BIND_PASSWORD!);
      await expect(
        svc.modify(OUTSIDE_GROUP, new Change({ operation: "replace", modification: new Attribute({ type: "description", values: ["changed by svc"] }) })),
      ).rejects.toThrow();
      await svc.modify(
        OUTSIDE_GROUP,
        new Change({ operation: "add", modification: new Attribute({ type: "member", values: [`CN=it-setup-unmanaged,${TEST_OU}`] }) }),
      );
    } finally {
      await svc.unbind();
    }
  }, 60_000);

  it("is for administrators only", async () => {
    const bob = await localUser("bob");
    await expect(directorySetupPlan(bob)).rejects.toThrow(/may not read this directory/);
  });
});
