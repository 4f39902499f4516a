import { createHash, generateKeyPairSync } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Client } from "ldapts";
import { and, eq } from "drizzle-orm";
import { Server, utils } from "ssh2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, catalogCredentials, catalogDevices, deviceSessionChunks, deviceSessionCommands, deviceSessions, requests } from "@/db/schema";
import { updateApprovers, updateSessions, getAccessGroup } from "@/server/access-groups/service";
import type { SessionUser } from "@/server/auth/permissions";
import { confirmDeviceHostKey, scanDeviceHostKey, setCredentialManaged, setDeviceEndpoint } from "@/server/sessions/admin";
import { endMySession, listSessions, mySessions, searchCommands, sessionDetail, terminateSession } from "@/server/sessions/queries";
import { actorFor, adminClient, configuredAccessGroup, directoryGuid, ensureAdGroup, ensureAdUser, localUser, publishNamed, resetDatabase } from "./fixtures";

/*
 * Issue 14 in the product: who may read, end and terminate sessions on devices, the command search,
 * device endpoints with their pinned host keys, managed accounts and an access group's Sessions
 * tab. Session rows are written directly (the gateway writes them in production); requests, groups
 * and approvers go through the services.
 */

let ad: Client;
let carol: SessionUser;
let owner: SessionUser;
let other: SessionUser;
let approver: SessionUser;
let privilegeId: string;
let groupId: string;
let deviceId: string;

async function device(values: Partial<typeof catalogDevices.$inferInsert> = {}) {
  const [row] = await db
    .insert(catalogDevices)
    .values({ name: `it-ds-${Math.random().toString(36).slice(2, 7)}`, source: "manual", dnsHostName: "web01.interim.test", sshEnabled: true, ...values })
    .returning();
  return row!;
}

/** A session of `person` in the group, on its own (pending) request. */
async function session(person: SessionUser, values: Partial<typeof deviceSessions.$inferInsert> = {}) {
  const [request] = await db
    .insert(requests)
    .values({ requesterId: person.id, privilegeId, targetDn: person.dn, durationMinutes: 30, accessGroupId: groupId })
    .returning({ id: requests.id });
  const [row] = await db
    .insert(deviceSessions)
    .values({
      requestId: request!.id,
      userId: person.id,
      deviceId,
      accessGroupId: groupId,
      login: person.username,
      host: "web01.interim.test",
      port: 22,
      hostKeySha256: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      maxMinutes: 30,
      idleMinutes: 15,
      rules: { alert: [], block: [] },
      state: "live",
      ...values,
    })
    .returning();
  return row!;
}

const audits = (action: string, targetId: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.targetId, targetId)));

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (e: { kind?: string }) => e.kind ?? String(e),
  );

beforeAll(async () => {
  ad = await adminClient();
  for (const sam of ["it-ds-owner", "it-ds-other", "it-ds-ap"]) await ensureAdUser(ad, sam);
  await ensureAdGroup(ad, "it-ds-priv");
});
afterAll(async () => {
  await resetDatabase();
  await ad.unbind();
});
beforeEach(async () => {
  await resetDatabase();
  carol = await localUser("carol", true);
  owner = await localUser("it-ds-owner");
  other = await localUser("it-ds-other");
  approver = await localUser("it-ds-ap");
  privilegeId = (await publishNamed(carol, "it-ds-priv", "DS Privilege")).id;
  const group = await configuredAccessGroup(carol, {
    name: "it-ds Ops",
    settings: { requiresApproval: true },
    criteria: { privilegeNames: ["DS Privilege"] },
    members: [await directoryGuid("it-ds-owner")],
  });
  await updateApprovers(carol, actorFor(carol), {
    id: group.id,
    version: group.version,
    approvers: [{ userGuid: await directoryGuid("it-ds-ap"), level: 1 }],
    levels: [],
  });
  groupId = group.id;
  deviceId = (await device()).id;
});

describe("ending and terminating sessions", () => {
  it("refuses ending another person's session; the owner ends their own (ended-by-user, audited)", async () => {
    const s = await session(owner);
    expect(await codeOf(endMySession(other, actorFor(other), s.id))).toBe("forbidden");
    expect(await codeOf(endMySession(approver, actorFor(approver), s.id))).toBe("forbidden");
    expect((await db.select().from(deviceSessions).where(eq(deviceSessions.id, s.id)))[0]!.state).toBe("live");

    await endMySession(owner, actorFor(owner), s.id);
    const [row] = await db.select().from(deviceSessions).where(eq(deviceSessions.id, s.id));
    expect(row).toMatchObject({ state: "ended", endReason: "ended-by-user", endedBy: owner.id });
    expect((await audits("session.ended", s.id)).map((a) => a.actorId)).toEqual([owner.id]);
    expect(await codeOf(endMySession(owner, actorFor(owner), s.id))).toBe("conflict");
  });

  it("lets an approver of the session's group terminate it, not someone else nor the owner", async () => {
    const s = await session(owner);
    expect(await codeOf(terminateSession(other, actorFor(other), { sessionId: s.id }))).toBe("forbidden");
    expect(await codeOf(terminateSession(owner, actorFor(owner), { sessionId: s.id }))).toBe("forbidden");
    expect(await audits("session.terminate_requested", s.id)).toEqual([]);

    await terminateSession(approver, actorFor(approver), { sessionId: s.id, reason: "not in the change" });
    const [row] = await db.select().from(deviceSessions).where(eq(deviceSessions.id, s.id));
    expect(row).toMatchObject({ state: "ended", endReason: "terminated", endedBy: approver.id });
    const requested = await audits("session.terminate_requested", s.id);
    expect(requested.map((a) => [a.actorId, a.data])).toEqual([[approver.id, { reason: "not in the change" }]]);
    expect((await audits("session.ended", s.id)).map((a) => a.actorId)).toEqual([approver.id]);
  });
});

describe("reading sessions", () => {
  it("lists every session for admins, the group's for its approvers, and refuses everyone else", async () => {
    const mine = await session(owner, { flagged: true });
    // A session outside the approver's group.
    const elsewhere = await session(other, { accessGroupId: null, state: "ended" });
    await db.insert(deviceSessionCommands).values({ sessionId: mine.id, seq: 0, at: new Date(), offset: 1.5, text: "whoami", source: "typed" });

    const all = await listSessions(carol, {});
    expect(all.map((r) => r.id).sort()).toEqual([mine.id, elsewhere.id].sort());
    expect(all.find((r) => r.id === mine.id)).toMatchObject({ person: "it-ds-owner", commands: 1, flagged: true });
    expect((await listSessions(approver, {})).map((r) => r.id)).toEqual([mine.id]);
    expect((await listSessions(carol, { state: "open" })).map((r) => r.id)).toEqual([mine.id]);
    expect((await listSessions(carol, { query: "it-ds-oth" })).map((r) => r.id)).toEqual([elsewhere.id]);
    expect(await codeOf(listSessions(other, {}))).toBe("forbidden");
    expect(await codeOf(listSessions(owner, {}))).toBe("forbidden");
  });

  it("shows the recording in seq order and the commands; watching someone else's session is audited", async () => {
    const s = await session(owner);
    // Written out of order: the detail orders by seq.
    await db.insert(deviceSessionChunks).values([
      { sessionId: s.id, seq: 1, firstAt: 0.1, lastAt: 0.1, data: '[0.1,"o","$ "]\n', bytes: 2 },
      { sessionId: s.id, seq: 0, firstAt: 0, lastAt: 0, data: '{"version":2,"width":80,"height":24,"timestamp":1,"env":{"TERM":"xterm"}}\n', bytes: 0 },
    ]);
    await db
      .insert(deviceSessionCommands)
      .values({ sessionId: s.id, seq: 0, at: new Date(), offset: 0.4, text: "Set-ADUser bob", source: "typed", action: "alert", rule: "Set-AD*" });

    const own = await sessionDetail(owner, actorFor(owner), s.id);
    expect(own.recording).toBe('{"version":2,"width":80,"height":24,"timestamp":1,"env":{"TERM":"xterm"}}\n[0.1,"o","$ "]\n');
    expect(own.recordingTruncated).toBe(false);
    expect(own.commands).toEqual([expect.objectContaining({ seq: 0, offset: 0.4, text: "Set-ADUser bob", action: "alert", rule: "Set-AD*" })]);
    expect(own).not.toHaveProperty("passwordSealed");
    expect(await audits("session.watched", s.id)).toEqual([]);

    await sessionDetail(approver, actorFor(approver), s.id);
    await sessionDetail(carol, actorFor(carol), s.id);
    expect((await audits("session.watched", s.id)).map((a) => [a.actorId, a.data])).toEqual([
      [approver.id, { live: true }],
      [carol.id, { live: true }],
    ]);
    // Someone else is told it does not exist.
    expect(await codeOf(sessionDetail(other, actorFor(other), s.id))).toBe("not-found");
  });

  it("tells the owner which ready sessions need their password", async () => {
    const own = await session(owner, { state: "ready" });
    const managed = await session(owner, { state: "ready", passwordSealed: "sealed" });
    await session(other);
    const rows = await mySessions(owner);
    expect(rows.map((r) => [r.id, r.needsPassword]).sort()).toEqual(
      [
        [own.id, true],
        [managed.id, false],
      ].sort(),
    );
    expect(rows[0]).not.toHaveProperty("passwordSealed");
  });

  it("searches commands by substring, with % and _ taken literally", async () => {
    const s = await session(owner);
    const at = new Date();
    await db.insert(deviceSessionCommands).values(
      ["echo 100%done", "echo 100xdone", "rm a_b", "rm axb", "Set-ADUser alice"].map((text, seq) => ({
        sessionId: s.id,
        seq,
        at,
        offset: seq,
        text,
        source: "typed",
      })),
    );
    expect((await searchCommands(carol, { query: "100%" }, actorFor(carol))).map((r) => r.command)).toEqual(["echo 100%done"]);
    expect((await searchCommands(carol, { query: "a_b" }, actorFor(carol))).map((r) => r.command)).toEqual(["rm a_b"]);
    const hits = await searchCommands(carol, { query: "set-aduser" }, actorFor(carol));
    expect(hits).toEqual([expect.objectContaining({ command: "Set-ADUser alice", sessionId: s.id, person: "it-ds-owner", requestId: s.requestId })]);
    expect(await searchCommands(carol, { query: "set-aduser", since: new Date(at.getTime() + 60_000) }, actorFor(carol))).toEqual([]);
    expect(await codeOf(searchCommands(approver, { query: "x" }, actorFor(approver)))).toBe("forbidden");
    // Reading what people typed is on the record: who searched what, and how much it found.
    const searched = await db.select({ data: auditEvents.data }).from(auditEvents).where(eq(auditEvents.action, "session.commands_searched"));
    expect(searched.map((e) => e.data)).toEqual(expect.arrayContaining([expect.objectContaining({ query: "set-aduser", results: 1 })]));
  });
});

describe("device endpoints and host keys", () => {
  it("clears the pinned key when the host or port changes, keeps it otherwise, and refuses what is not a host", async () => {
    const pinned = "SHA256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    const d = await device({ sshHost: "web01.interim.test", sshPort: 22, hostKeySha256: pinned, hostKeySeen: pinned });
    await setDeviceEndpoint(carol, actorFor(carol), { deviceId: d.id, sshEnabled: false, sshHost: "web01.interim.test", sshPort: 22 });
    expect((await db.select().from(catalogDevices).where(eq(catalogDevices.id, d.id)))[0]).toMatchObject({ sshEnabled: false, hostKeySha256: pinned });

    await setDeviceEndpoint(carol, actorFor(carol), { deviceId: d.id, sshEnabled: true, sshHost: "web01.interim.test", sshPort: 2222 });
    expect((await db.select().from(catalogDevices).where(eq(catalogDevices.id, d.id)))[0]).toMatchObject({
      sshPort: 2222,
      hostKeySha256: null,
      hostKeySeen: null,
    });
    const [audit] = await audits("device.endpoint_updated", d.id).then((rows) => rows.slice(-1));
    expect(audit!.data).toMatchObject({ before: { sshPort: 22, hostKeySha256: pinned }, after: { sshPort: 2222, hostKeySha256: null } });

    await db.update(catalogDevices).set({ hostKeySha256: pinned }).where(eq(catalogDevices.id, d.id));
    await setDeviceEndpoint(carol, actorFor(carol), { deviceId: d.id, sshEnabled: true, sshHost: "", sshPort: 2222 });
    expect((await db.select().from(catalogDevices).where(eq(catalogDevices.id, d.id)))[0]).toMatchObject({ sshHost: null, hostKeySha256: null });

    for (const sshHost of ["ssh://web01", "web01 -oProxyCommand=x", "-oProxyCommand=x", "user@web01", "web01:22"]) {
      expect(await codeOf(setDeviceEndpoint(carol, actorFor(carol), { deviceId: d.id, sshEnabled: true, sshHost, sshPort: 22 }))).toMatch(
        /A host name or an IP address/,
      );
    }
    expect(await codeOf(setDeviceEndpoint(carol, actorFor(carol), { deviceId: d.id, sshEnabled: true, sshHost: "10.0.0.5", sshPort: 0 }))).not.toBe("OK");
    expect(await codeOf(setDeviceEndpoint(owner, actorFor(owner), { deviceId: d.id, sshEnabled: true, sshHost: null, sshPort: 22 }))).toBe("forbidden");
  });

  it("scans the key the endpoint presents and pins only what the scan showed", async () => {
    const hostKey = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const parsed = utils.parseKey(hostKey.privateKey);
    if (parsed instanceof Error) throw parsed;
    const expected = `SHA256:${createHash("sha256").update(parsed.getPublicSSH()).digest("base64").replace(/=+$/, "")}`;
    const server = new Server({ hostKeys: [hostKey.privateKey] }, (client) => client.on("error", () => {}).on("authentication", (ctx) => ctx.reject()));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const d = await device({ dnsHostName: null });
      await setDeviceEndpoint(carol, actorFor(carol), {
        deviceId: d.id,
        sshEnabled: true,
        sshHost: "127.0.0.1",
        sshPort: (server.address() as AddressInfo).port,
      });
      const wrong = "SHA256:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
      // Nothing scanned yet: nothing to confirm.
      expect(await codeOf(confirmDeviceHostKey(carol, actorFor(carol), { deviceId: d.id, fingerprint: expected }))).toBe("invalid");

      const scan = await scanDeviceHostKey(carol, actorFor(carol), d.id);
      expect(scan).toMatchObject({ fingerprint: expected, pinned: null, differs: false });
      expect((await audits("device.host_key_seen", d.id)).map((a) => a.data)).toEqual([{ device: d.name, fingerprint: expected }]);
      expect((await db.select().from(catalogDevices).where(eq(catalogDevices.id, d.id)))[0]).toMatchObject({ hostKeySeen: expected, hostKeySha256: null });

      expect(await codeOf(confirmDeviceHostKey(carol, actorFor(carol), { deviceId: d.id, fingerprint: wrong }))).toBe("invalid");
      expect((await db.select().from(catalogDevices).where(eq(catalogDevices.id, d.id)))[0]!.hostKeySha256).toBeNull();

      await confirmDeviceHostKey(carol, actorFor(carol), { deviceId: d.id, fingerprint: expected });
      expect((await db.select().from(catalogDevices).where(eq(catalogDevices.id, d.id)))[0]).toMatchObject({
        hostKeySha256: expected,
        hostKeyConfirmedBy: carol.id,
      });
      expect((await audits("device.host_key_confirmed", d.id)).map((a) => a.data)).toEqual([{ device: d.name, fingerprint: expected, previous: null }]);
    } finally {
      server.close();
    }
  });
});

describe("managed accounts and the Sessions tab", () => {
  it("manages only directory accounts, audited", async () => {
    const [synced] = await db
      .insert(catalogCredentials)
      .values({ username: "adm-ds", source: "directory", objectGuid: "6a1b2c3d-0000-4000-8000-000000000001" })
      .returning();
    const [manual] = await db.insert(catalogCredentials).values({ username: "local-ds", source: "manual" }).returning();
    expect(await codeOf(setCredentialManaged(carol, actorFor(carol), { credentialId: manual!.id, managed: true }))).toBe("invalid");
    expect(await codeOf(setCredentialManaged(owner, actorFor(owner), { credentialId: synced!.id, managed: true }))).toBe("forbidden");
    await setCredentialManaged(carol, actorFor(carol), { credentialId: synced!.id, managed: true });
    expect((await db.select().from(catalogCredentials).where(eq(catalogCredentials.id, synced!.id)))[0]!.managed).toBe(true);
    expect((await audits("credential.managed_changed", synced!.id)).map((a) => a.data)).toEqual([{ username: "adm-ds", managed: true }]);
  });

  it("saves the Sessions tab with the group's version, published privileges only, audited", async () => {
    const group = await getAccessGroup(carol, groupId);
    const sessions = {
      enabled: true,
      recording: true,
      maxSessionMinutes: 30,
      idleTimeoutMinutes: 5,
      privilegeIds: [privilegeId],
      rules: { alert: ["Set-AD*"], block: [] },
    };
    expect(
      await codeOf(
        updateSessions(carol, actorFor(carol), { id: groupId, version: group.version, sessions: { ...sessions, privilegeIds: [crypto.randomUUID()] } }),
      ),
    ).toBe("invalid");
    const saved = await updateSessions(carol, actorFor(carol), { id: groupId, version: group.version, sessions });
    expect(saved.version).toBe(group.version + 1);
    expect(saved.sessions).toMatchObject({ enabled: true, maxSessionMinutes: 30, privilegeIds: [privilegeId] });
    const [audit] = (await audits("access_group.updated", groupId)).slice(-1);
    expect(audit!.data).toMatchObject({ tab: "sessions", after: { sessions: { enabled: true, maxSessionMinutes: 30 } } });
    // A stale form is refused.
    expect(await codeOf(updateSessions(carol, actorFor(carol), { id: groupId, version: group.version, sessions }))).toBe("conflict");
  });
});
