import { Attribute, Change, type Client } from "ldapts";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, catalogCredentials, requests } from "@/db/schema";
import { getAccessGroup, updateApprovers, updateSettings } from "@/server/access-groups/service";
import { decide, inbox } from "@/server/approvals/service";
import type { SessionUser } from "@/server/auth/permissions";
import { updateCredential } from "@/server/catalog/service";
import { runScheduledCatalogSync } from "@/server/catalog/sync";
import { resetEnvForTests } from "@/server/env";
import { myAccess, submitRequest } from "@/server/requests/service";
import {
  actorFor,
  adminClient,
  configuredAccessGroup,
  directoryGuid,
  ensureAdGroup,
  ensureAdUser,
  ensureTestOu,
  localUser,
  publishNamed,
  resetDatabase,
  TEST_OU,
  TEST_PASSWORD,
} from "./fixtures";

/*
 * Separation of duties on accounts (issue 13, item 4). Privileged accounts in the catalog have an
 * owner (AD's manager here: a user object cannot carry managedBy in the stock schema); nobody
 * decides on access for an account that is theirs or that they own, nor approves their own request
 * while signed in with a second account they own; asking for someone else's account needs an
 * access group that allows it. Identities are compared by objectGUID/DN, not by Interim user.
 */

const SOD_OU = `OU=SoD,${TEST_OU}`;
const PEOPLE = ["it-sod-bob", "it-sod-alice", "it-sod-erin"] as const;
let ad: Client;
let admin: SessionUser;
const u: Record<(typeof PEOPLE)[number] | "it-sod-adm", SessionUser> = {} as never;
let privilegeId: string;
const saved = { devices: process.env.CATALOG_DEVICE_BASE_DNS, credentials: process.env.CATALOG_CREDENTIAL_BASE_DNS };

/** A privileged account under the SoD OU (the catalog's credential OU in this file), with a password so it could sign in. */
async function ensureAccount(sam: string, manager: string | null) {
  const dn = `CN=${sam},${SOD_OU}`;
  await ad.add(dn, { objectClass: ["top", "person", "organizationalPerson", "user"], sAMAccountName: sam, userAccountControl: "514" }).catch(() => {});
  const changes = [
    new Change({ operation: "replace", modification: new Attribute({ type: "unicodePwd", values: [Buffer.from(`"${TEST_PASSWORD}"`, "utf16le")] }) }),
    new Change({ operation: "replace", modification: new Attribute({ type: "userAccountControl", values: ["512"] }) }),
    new Change({ operation: "replace", modification: new Attribute({ type: "manager", values: manager ? [manager] : [] }) }),
  ];
  await ad.modify(dn, changes);
  return dn;
}

async function credential(username: string) {
  const [row] = await db.select().from(catalogCredentials).where(eq(catalogCredentials.username, username));
  return row!;
}

beforeAll(async () => {
  ad = await adminClient();
  await ensureTestOu(ad);
  await ad.add(SOD_OU, { objectClass: ["top", "organizationalUnit"], ou: "SoD" }).catch(() => {});
  for (const sam of PEOPLE) await ensureAdUser(ad, sam);
  // it-sod-adm belongs to it-sod-bob (AD's manager); it-sod-free has no owner.
  await ensureAccount("it-sod-adm", `CN=it-sod-bob,${TEST_OU}`);
  await ensureAccount("it-sod-free", null);
  await ensureAdGroup(ad, "it-sod-priv");
  process.env.CATALOG_DEVICE_BASE_DNS = SOD_OU;
  process.env.CATALOG_CREDENTIAL_BASE_DNS = SOD_OU;
  resetEnvForTests();
});
beforeEach(async () => {
  await resetDatabase();
  admin = await localUser("carol", true);
  for (const sam of [...PEOPLE, "it-sod-adm"] as const) u[sam] = await localUser(sam);
  privilegeId = (await publishNamed(admin, "it-sod-priv", "SoD Privilege")).id;
  expect((await runScheduledCatalogSync()).state).toBe("succeeded");
});
afterAll(async () => {
  for (const [key, value] of [
    ["CATALOG_DEVICE_BASE_DNS", saved.devices],
    ["CATALOG_CREDENTIAL_BASE_DNS", saved.credentials],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  resetEnvForTests();
  await ad.unbind();
});

/** bob and alice request; the privileged account itself, bob and erin approve (any one of them decides). */
async function approvalGroup(allowOthersAccounts: boolean) {
  const g = await configuredAccessGroup(admin, {
    name: `it-sod ${allowOthersAccounts ? "others allowed" : "own only"}`,
    settings: { requiresApproval: true, autoGrantOnProvisioning: true, allowOthersAccounts },
    members: [await directoryGuid("it-sod-bob"), await directoryGuid("it-sod-alice")],
  });
  const approvers = ["it-sod-adm", "it-sod-bob", "it-sod-erin"];
  await updateApprovers(admin, actorFor(admin), {
    id: g.id,
    version: g.version,
    approvers: await Promise.all(approvers.map(async (s) => ({ userGuid: await directoryGuid(s), level: 1 }))),
    levels: [],
  });
  return getAccessGroup(admin, g.id);
}

const ask = (who: SessionUser, credentialId: string | null) =>
  submitRequest(who, actorFor(who), { privilegeId, credentialId, durationMinutes: 5, justification: "sod test" });
const approve = (who: SessionUser, requestId: string) => decide(who, actorFor(who), { requestId, decision: "approve" });

describe("owners in the catalog", () => {
  it("takes the owner from AD's manager, resolved to the person; an admin overrides it (audited) and hands it back", async () => {
    const adm = await credential("it-sod-adm");
    expect(adm).toMatchObject({ ownerDn: `CN=it-sod-bob,${TEST_OU}`, ownerName: "it-sod-bob", ownerSource: "directory" });
    expect(adm.ownerGuid).toBe(await directoryGuid("it-sod-bob"));
    expect(await credential("it-sod-free")).toMatchObject({ ownerDn: null, ownerGuid: null, ownerSource: null });

    await updateCredential(admin, actorFor(admin), { id: adm.id, owner: "it-sod-erin" });
    expect(await credential("it-sod-adm")).toMatchObject({ ownerName: "it-sod-erin", ownerGuid: await directoryGuid("it-sod-erin"), ownerSource: "manual" });
    const [audit] = await db
      .select({ data: auditEvents.data })
      .from(auditEvents)
      .where(sql`${auditEvents.action} = 'catalog.item_updated' and ${auditEvents.targetId} = ${adm.id}`);
    expect(audit?.data).toMatchObject({ before: { owner: "it-sod-bob", ownerSource: "directory" }, after: { owner: "it-sod-erin", ownerSource: "manual" } });
    // The next sync leaves the admin's owner alone; emptied, AD's comes back with the sync after.
    await runScheduledCatalogSync();
    expect((await credential("it-sod-adm")).ownerName).toBe("it-sod-erin");
    await updateCredential(admin, actorFor(admin), { id: adm.id, owner: "" });
    await runScheduledCatalogSync();
    expect(await credential("it-sod-adm")).toMatchObject({ ownerName: "it-sod-bob", ownerSource: "directory" });
    await expect(updateCredential(admin, actorFor(admin), { id: adm.id, owner: "it-sod-nobody" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe("deciding on access to one's own account", () => {
  it("refuses the privileged account approving its own elevation (and keeps it out of its inbox)", async () => {
    await approvalGroup(false);
    const adm = await credential("it-sod-adm");
    const r = await ask(u["it-sod-bob"], adm.id);
    expect(r.status).toBe("pending");
    expect((await inbox(u["it-sod-adm"])).map((x) => x.requestId)).not.toContain(r.requestId);
    await expect(approve(u["it-sod-adm"], r.requestId)).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("your own account") });
    expect((await inbox(u["it-sod-erin"])).map((x) => x.requestId)).toContain(r.requestId);
    expect((await approve(u["it-sod-erin"], r.requestId)).status).toBe("approved");
  });

  it("refuses the owner approving someone else's use of their account", async () => {
    await approvalGroup(true);
    const r = await ask(u["it-sod-alice"], (await credential("it-sod-adm")).id);
    expect((await inbox(u["it-sod-bob"])).map((x) => x.requestId)).not.toContain(r.requestId);
    await expect(approve(u["it-sod-bob"], r.requestId)).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("you own that account") });
    const [row] = await db.select({ status: requests.status }).from(requests).where(eq(requests.id, r.requestId));
    expect(row!.status).toBe("pending");
  });

  it("refuses a person approving their own request while signed in with an account they own", async () => {
    await approvalGroup(false);
    const r = await ask(u["it-sod-bob"], null);
    await expect(approve(u["it-sod-adm"], r.requestId)).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("belongs to it-sod-bob") });
    expect((await approve(u["it-sod-erin"], r.requestId)).status).toBe("approved");
  });
});

describe("asking for someone else's account", () => {
  it("is refused unless the access group allows it; own and unowned accounts are not affected", async () => {
    const g = await approvalGroup(false);
    const adm = await credential("it-sod-adm");
    // Not offered to alice (no dead option on /roles); offered to its owner.
    const offered = async (who: SessionUser) => (await myAccess(who, actorFor(who))).credentials.map((c) => c.username);
    expect(await offered(u["it-sod-alice"])).not.toContain("it-sod-adm");
    expect(await offered(u["it-sod-bob"])).toContain("it-sod-adm");
    await expect(ask(u["it-sod-alice"], adm.id)).rejects.toMatchObject({
      code: "FORBIDDEN",
      rule: "account",
      message: expect.stringContaining("belongs to it-sod-bob"),
    });
    const [refusal] = await db
      .select({ data: auditEvents.data })
      .from(auditEvents)
      .where(sql`${auditEvents.action} = 'request.refused' and ${auditEvents.data} ->> 'rule' = 'account'`);
    expect(refusal?.data).toMatchObject({ reason: expect.stringContaining("does not allow requests for other people's accounts") });
    expect((await ask(u["it-sod-bob"], adm.id)).status).toBe("pending");
    expect((await ask(u["it-sod-alice"], (await credential("it-sod-free")).id)).status).toBe("pending");

    await updateSettings(admin, actorFor(admin), {
      id: g.id,
      version: g.version,
      name: g.name,
      description: "",
      enabled: true,
      timeZone: "UTC",
      settings: { ...g.settings, allowOthersAccounts: true },
    });
    expect(await offered(u["it-sod-alice"])).toContain("it-sod-adm");
    expect((await ask(u["it-sod-alice"], adm.id)).status).toBe("pending");
  });
});
