import { spawn } from "node:child_process";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { and, asc, eq, sql } from "drizzle-orm";
import { Client, type Server } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import {
  accessGroups,
  auditEvents,
  catalogCredentials,
  catalogDevices,
  deviceSessionChunks,
  deviceSessionCommands,
  deviceSessions,
  grants,
  notificationEvents,
} from "@/db/schema";
import type { SessionUser } from "@/server/auth/permissions";
import { activateGrant } from "@/server/grants/activate";
import { sweepExpired } from "@/server/grants/sweep";
import { finishSession, prepareSession, sweepSessions } from "@/server/sessions/lifecycle";
import { setAccountPassword, unsealSessionPassword } from "@/server/sessions/managed-password";
import { issueConnectToken } from "@/server/sessions/connect-token";
import { requestTimeline } from "@/server/requests/timeline";
import { startSessionInput } from "@/server/sessions/schemas";
import { startSession } from "@/server/sessions/start";
import { startSshGateway } from "@/server/sessions/gateway/ssh-server";
import { sshRun } from "../support/ssh-client";
import { startWorker } from "./worker-process";
import {
  actorFor,
  adminClient,
  adRemoveMember,
  configuredAccessGroup,
  directoryGuid,
  ensureAdUser,
  grantRow,
  resetDatabase,
  isDirectMember,
  localUser,
  publish,
  waitFor,
} from "./fixtures";

/*
 * Recorded sessions end to end against the real parts: Samba (elevation, password resets), the
 * OpenSSH target whose sudo follows AD groups (scripts/ssh-target.sh), the gateway's SSH server,
 * and Postgres. The worker's steps are called in-process so each can be checked in turn.
 */

const TARGET_HOST = process.env.SSH_TARGET_HOST;
const TARGET_PORT = Number(process.env.SSH_TARGET_PORT);
const TARGET_KEY = process.env.SSH_TARGET_HOSTKEY_SHA256;
const PERSON_PASSWORD = process.env.DEMO_PASSWORD ?? "Interim-Demo-2026!";
const rand = () => Math.random().toString(36).slice(2, 7);

let admin: SessionUser;
let alice: SessionUser;
let gateway: Server;
let gatewayPort: number;
let deviceId: string;
let credentialId: string;
let groupId: string;
let linuxAdminsDn: string;
let admAliceDn: string;

beforeAll(async () => {
  if (!TARGET_HOST || !TARGET_PORT || !TARGET_KEY) {
    throw new Error("The SSH target is not configured (SSH_TARGET_HOST/PORT/HOSTKEY_SHA256 from scripts/ad-up.sh → .data/samba/env)");
  }
  await resetDatabase();
  admin = await localUser("carol", true);
  alice = await localUser("alice");
  const privilege = await publish(admin, "JIT Linux Admins", 60);
  linuxAdminsDn = privilege.groupDn;
  const deviceName = `LNX-${rand()}`;
  const [device] = await db
    .insert(catalogDevices)
    .values({
      name: deviceName,
      model: "Debian 12",
      type: "Linux",
      source: "manual",
      sshEnabled: true,
      sshHost: TARGET_HOST,
      sshPort: TARGET_PORT,
      hostKeySha256: TARGET_KEY,
    })
    .returning();
  deviceId = device!.id;
  const admGuid = await directoryGuid("adm-alice");
  const [existing] = await db
    .select()
    .from(catalogCredentials)
    .where(sql`lower(${catalogCredentials.objectGuid}) = ${admGuid.toLowerCase()}`);
  admAliceDn = `CN=adm-alice,OU=Privileged Accounts,OU=Interim,${process.env.LDAP_BASE_DN ?? "DC=interim,DC=test"}`;
  const credential: typeof catalogCredentials.$inferSelect =
    existing ??
    (await db
      .insert(catalogCredentials)
      .values({ username: "adm-alice", source: "directory", objectGuid: admGuid, dn: admAliceDn, present: true })
      .returning()
      .then((r) => r[0]!));
  await db.update(catalogCredentials).set({ managed: true, deviceNames: [] }).where(eq(catalogCredentials.id, credential.id));
  credentialId = credential.id;
  const group = await configuredAccessGroup(admin, {
    name: `Sessions ${rand()}`,
    settings: { allowOthersAccounts: true, autoGrantOnProvisioning: true },
    criteria: { deviceNames: [deviceName], credentialUsernames: ["adm-alice", "it-sess-*"], privilegeNames: [privilege.name] },
    members: [await directoryGuid("alice")],
  });
  groupId = group.id;
  await db
    .update(accessGroups)
    .set({
      sessions: {
        enabled: true,
        recording: true,
        maxSessionMinutes: 30,
        idleTimeoutMinutes: 10,
        privilegeIds: [privilege.id],
        rules: { alert: ["cat /etc/shadow*"], block: ["rm -rf *"] },
      },
    })
    .where(eq(accessGroups.id, groupId));
  await leaveLinuxAdmins();
  gateway = await startSshGateway({ port: 0, host: "127.0.0.1" });
  gatewayPort = (gateway.address() as AddressInfo).port;
});

afterAll(async () => {
  gateway?.close();
  await leaveLinuxAdmins();
  // The demo and other tests log in as adm-alice with the demo password.
  await setAccountPassword(await directoryGuid("adm-alice"), PERSON_PASSWORD);
});

/** A membership left by an interrupted earlier run would count as pre-existing (and be kept at the end). */
async function leaveLinuxAdmins() {
  const c = await adminClient();
  try {
    if (await isDirectMember(linuxAdminsDn, admAliceDn)) await adRemoveMember(c, linuxAdminsDn, admAliceDn);
  } finally {
    await c.unbind();
  }
}

/** Starts a session as alice on adm-alice and runs the worker's steps until it is ready. */
async function readySession(extra: { plannedActivity?: string[]; credentialId?: string } = {}) {
  // A worker started by an earlier test syncs the catalog, which gives adm-alice its AD workstations back.
  await db.update(catalogCredentials).set({ deviceNames: [] }).where(eq(catalogCredentials.id, credentialId));
  const started = await startSession(alice, actorFor(alice), startSessionInput.parse({ deviceId, credentialId, justification: "patching", ...extra }));
  expect(started.status).toBe("approved");
  const ofRequest = await db.select().from(grants).where(eq(grants.requestId, started.requestId));
  for (const g of ofRequest) {
    const outcome = await activateGrant(g.id);
    if (outcome !== "activated") throw new Error(`activation ${outcome}: ${(await grantRow(g.id)).last_error}`);
  }
  expect(await prepareSession(started.sessionId)).toBe("ready");
  const [row] = await db.select().from(deviceSessions).where(eq(deviceSessions.id, started.sessionId));
  return { ...started, row: row!, password: unsealSessionPassword(row!.id, row!.passwordSealed!)! };
}

async function sessionRow(id: string) {
  const [row] = await db.select().from(deviceSessions).where(eq(deviceSessions.id, id));
  return row!;
}

async function finishAndSweep(sessionId: string) {
  await finishSession(sessionId);
  await sweepExpired();
}

describe("a recorded session on a managed account through the SSH gateway", () => {
  it("elevates only while it lives, records input and output, lists commands, blocks a rule's command, and changes the password after", async () => {
    const s = await readySession();
    expect(await isDirectMember(linuxAdminsDn, admAliceDn)).toBe(true);
    const run = await sshRun({
      host: "127.0.0.1",
      port: gatewayPort,
      username: `alice#${s.sessionId.slice(0, 8)}`,
      password: PERSON_PASSWORD,
      lines: ["id -un; sudo -n true && echo SUDO-OK-$((6*7))\r", "cat /etc/shadow >/dev/null\r", "rm -rf /tmp/interim-never\r", "exit\r"],
      pauseMs: 1_500,
    });
    expect(run.error).toBeNull();
    expect(run.output).toContain("adm-alice");
    expect(run.output).toContain("SUDO-OK-42");
    expect(run.output).toContain('Blocked by rule "rm -rf *"');

    await waitFor("the session to end", async () => (await sessionRow(s.sessionId)).state === "ended");
    const ended = await sessionRow(s.sessionId);
    // A blocked line closes the session: what was typed of it never runs.
    expect(ended.endReason).toBe("blocked");
    expect(ended.flagged).toBe(true);

    const commands = await db
      .select()
      .from(deviceSessionCommands)
      .where(eq(deviceSessionCommands.sessionId, s.sessionId))
      .orderBy(asc(deviceSessionCommands.seq));
    expect(commands.map((c) => c.text)).toEqual(["id -un; sudo -n true && echo SUDO-OK-$((6*7))", "cat /etc/shadow >/dev/null", "rm -rf /tmp/interim-never"]);
    expect(commands[0]).toMatchObject({ action: "allow", source: "shell", deviation: false });
    expect(commands[1]).toMatchObject({ action: "alert", rule: "cat /etc/shadow*" });
    expect(commands[2]).toMatchObject({ action: "block", rule: "rm -rf *" });
    // The alert reaches the group's approvers and channels through the outbox.
    const alerts = await db
      .select()
      .from(notificationEvents)
      .where(and(eq(notificationEvents.requestId, s.requestId), eq(notificationEvents.event, "session_alert")));
    expect(alerts.map((a) => String(a.data.comment)).join(" ")).toContain("cat /etc/shadow");
    const chunks = await db.select().from(deviceSessionChunks).where(eq(deviceSessionChunks.sessionId, s.sessionId)).orderBy(asc(deviceSessionChunks.seq));
    const recording = chunks.map((c) => c.data).join("");
    expect(JSON.parse(recording.split("\n")[0]!)).toMatchObject({ version: 2 });
    expect(recording).toContain("SUDO-OK-42");
    expect(chunks.reduce((n, c) => n + c.bytes, 0)).toBe(ended.recordingBytes);

    await finishAndSweep(s.sessionId);
    expect(await isDirectMember(linuxAdminsDn, admAliceDn)).toBe(false);
    expect((await sessionRow(s.sessionId)).passwordRotatedAt).not.toBeNull();
    expect((await sessionRow(s.sessionId)).passwordSealed).toBeNull();
    // The session's password no longer logs in on the device.
    const old = await sshRun({ host: TARGET_HOST!, port: TARGET_PORT, username: "adm-alice", password: s.password, hostKey: TARGET_KEY, exec: "true" });
    expect(old.error).toMatch(/authentication/i);
    const audit = await db.select({ action: auditEvents.action }).from(auditEvents).where(eq(auditEvents.targetId, s.sessionId));
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(["session.requested", "session.ready", "session.connected", "session.ended", "session.command_flagged"]),
    );
    expect(audit.filter((a) => a.action === "session.password_rotated")).toHaveLength(2);
    // The request's timeline tells the session; the link to the recording is for admins.
    const forAdmin = await requestTimeline(admin, s.requestId);
    expect(forAdmin.steps.find((step) => step.label === "Session connected (SSH client)")?.href).toBe(`/admin/recordings/${s.sessionId}`);
    expect(forAdmin.steps.map((step) => step.label)).toEqual(
      expect.arrayContaining(["Command blocked", "Command alert", "Session ended: a command was blocked"]),
    );
    const forAlice = await requestTimeline(alice, s.requestId);
    expect(forAlice.steps.some((step) => step.label.startsWith("Session connected"))).toBe(true);
    expect(forAlice.steps.some((step) => step.href)).toBe(false);
  }, 120_000);

  it("refuses a second connection to a session and a session that is not the person's", async () => {
    const s = await readySession();
    const dave = await localUser("dave");
    const other = await sshRun({ host: "127.0.0.1", port: gatewayPort, username: `dave#${s.sessionId.slice(0, 8)}`, password: PERSON_PASSWORD, exec: "true" });
    expect(other.output).toContain(`No ready session ${s.sessionId.slice(0, 8)}`);
    expect(dave.id).not.toBe(alice.id);
    let resolveSeen: () => void;
    const seen = new Promise<void>((r) => (resolveSeen = r));
    const first = sshRun({
      host: "127.0.0.1",
      port: gatewayPort,
      username: `alice#${s.sessionId.slice(0, 8)}`,
      password: PERSON_PASSWORD,
      lines: ["echo FIRST-IN\r"],
      pauseMs: 800,
      timeoutMs: 20_000,
      onOutput: (o) => o.includes("FIRST-IN") && resolveSeen(),
    });
    await seen;
    const second = await sshRun({
      host: "127.0.0.1",
      port: gatewayPort,
      username: `alice#${s.sessionId.slice(0, 8)}`,
      password: PERSON_PASSWORD,
      exec: "true",
    });
    expect(second.output).toMatch(/No ready session|already connected/);
    // Revoking the access ends the live session within about a second.
    const [g] = await db.select().from(grants).where(eq(grants.requestId, s.requestId));
    await db.update(grants).set({ endReason: "revoked", expiresAt: new Date() }).where(eq(grants.id, g!.id));
    await sweepExpired();
    const out = await first;
    expect(out.output).toContain("the access ended");
    await waitFor("the session to end", async () => (await sessionRow(s.sessionId)).state === "ended");
    expect((await sessionRow(s.sessionId)).endReason).toBe("grant-ended");
    await finishAndSweep(s.sessionId);
  }, 120_000);

  it("refuses a device whose host key changed: audited, the session failed, its access taken back", async () => {
    const s = await readySession();
    await db.update(deviceSessions).set({ hostKeySha256: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }).where(eq(deviceSessions.id, s.sessionId));
    const run = await sshRun({ host: "127.0.0.1", port: gatewayPort, username: `alice#${s.sessionId.slice(0, 8)}`, password: PERSON_PASSWORD, exec: "true" });
    expect(run.output).toContain("host key changed");
    const row = await sessionRow(s.sessionId);
    expect(row).toMatchObject({ state: "failed", endReason: "host-key" });
    const [mismatch] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, s.sessionId), eq(auditEvents.action, "session.host_key_mismatch")));
    expect(mismatch?.data).toMatchObject({ expected: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", received: TARGET_KEY });
    await finishAndSweep(s.sessionId);
    expect(await isDirectMember(linuxAdminsDn, admAliceDn)).toBe(false);
  }, 60_000);

  it("a gateway killed mid-session: the recording is kept up to the kill, the session interrupted, the access ended", async () => {
    const s = await readySession();
    const root = path.resolve(import.meta.dirname, "../..");
    const child = spawn(process.execPath, ["--import", "tsx", "--import", "./scripts/lib/server-only.mjs", "scripts/ssh-gateway.ts"], {
      cwd: root,
      env: { ...process.env, INTERIM_SSH_GATEWAY_PORT: "0", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout!.on("data", (d: Buffer) => (log += d));
    child.stderr!.on("data", (d: Buffer) => (log += d));
    await waitFor("the gateway to listen", async () => /SSH gateway on [\d.]+:\d+/.test(log), 30_000);
    const port = Number(/SSH gateway on [\d.]+:(\d+)/.exec(log)![1]);
    const run = sshRun({
      host: "127.0.0.1",
      port,
      username: `alice#${s.sessionId.slice(0, 8)}`,
      password: PERSON_PASSWORD,
      lines: ["echo BEFORE-THE-KILL\r"],
      pauseMs: 800,
      timeoutMs: 30_000,
    });
    await waitFor("the output to be recorded", async () => {
      const rows = await db.select({ data: deviceSessionChunks.data }).from(deviceSessionChunks).where(eq(deviceSessionChunks.sessionId, s.sessionId));
      return rows.some((r) => r.data.includes("BEFORE-THE-KILL"));
    });
    child.kill("SIGKILL");
    await run;
    expect((await sessionRow(s.sessionId)).state).toBe("live");
    await sweepSessions(new Date(Date.now() + 60_000));
    const row = await sessionRow(s.sessionId);
    expect(row).toMatchObject({ state: "ended", endReason: "interrupted" });
    await finishAndSweep(s.sessionId);
    expect(await isDirectMember(linuxAdminsDn, admAliceDn)).toBe(false);
    expect((await sessionRow(s.sessionId)).passwordRotatedAt).not.toBeNull();
  }, 90_000);

  it("flags a command outside the change's planned activity as a deviation", async () => {
    const s = await readySession({ plannedActivity: ["id*", "exit"] });
    const run = await sshRun({
      host: "127.0.0.1",
      port: gatewayPort,
      username: `alice#${s.sessionId.slice(0, 8)}`,
      password: PERSON_PASSWORD,
      lines: ["id -u\r", "hostname\r", "exit\r"],
      pauseMs: 700,
    });
    expect(run.error).toBeNull();
    await waitFor("the session to end", async () => (await sessionRow(s.sessionId)).state === "ended");
    const commands = await db
      .select()
      .from(deviceSessionCommands)
      .where(eq(deviceSessionCommands.sessionId, s.sessionId))
      .orderBy(asc(deviceSessionCommands.seq));
    expect(commands.map((c) => [c.text, c.deviation])).toEqual([
      ["id -u", false],
      ["hostname", true],
      ["exit", false],
    ]);
    expect((await sessionRow(s.sessionId)).flagged).toBe(true);
    await finishAndSweep(s.sessionId);
  }, 60_000);

  it("a managed account whose password Interim may not set: the session fails with the reason and its access goes", async () => {
    const c = await adminClient();
    const sam = "it-sess-norights";
    const dn = await ensureAdUser(c, sam).finally(() => c.unbind());
    const [credential] = await db
      .insert(catalogCredentials)
      .values({ username: sam, source: "directory", objectGuid: await directoryGuid(sam), dn, managed: true })
      .returning();
    const started = await startSession(alice, actorFor(alice), startSessionInput.parse({ deviceId, credentialId: credential!.id, justification: "x" }));
    const [g] = await db.select().from(grants).where(eq(grants.requestId, started.requestId));
    expect(await activateGrant(g!.id)).toBe("activated");
    expect(await isDirectMember(linuxAdminsDn, dn)).toBe(true);
    expect(await prepareSession(started.sessionId)).toBe("ended");
    const row = await sessionRow(started.sessionId);
    expect(row).toMatchObject({ state: "failed", endReason: "password-refused" });
    expect(row.error).toContain("Reset password");
    await finishAndSweep(started.sessionId);
    expect(await isDirectMember(linuxAdminsDn, dn)).toBe(false);
  }, 60_000);

  it("the worker takes a session from approved to ready by itself, and ends its access after it", async () => {
    const worker = await startWorker();
    try {
      const started = await startSession(alice, actorFor(alice), startSessionInput.parse({ deviceId, credentialId, justification: "worker" }));
      await waitFor("the worker to prepare the session", async () => (await sessionRow(started.sessionId)).state === "ready", 30_000);
      expect(await isDirectMember(linuxAdminsDn, admAliceDn)).toBe(true);
      const run = await sshRun({
        host: "127.0.0.1",
        port: gatewayPort,
        username: `alice#${started.sessionId.slice(0, 8)}`,
        password: PERSON_PASSWORD,
        exec: "sudo -n id -u",
      });
      expect(run.output.trim()).toBe("0");
      await waitFor("the session to end", async () => (await sessionRow(started.sessionId)).state === "ended");
      await waitFor("the worker to finish it", async () => (await sessionRow(started.sessionId)).passwordRotatedAt !== null, 30_000);
      await waitFor("the membership to go", async () => !(await isDirectMember(linuxAdminsDn, admAliceDn)), 30_000);
      const [command] = await db.select().from(deviceSessionCommands).where(eq(deviceSessionCommands.sessionId, started.sessionId));
      expect(command).toMatchObject({ text: "sudo -n id -u", source: "exec", uncertain: false });
    } finally {
      await worker.kill();
    }
  }, 90_000);

  it("a native SSH client signs in with a one-time token instead of a password: once, and only for its session", async () => {
    const s = await readySession();
    const issued = await issueConnectToken(alice, actorFor(alice), s.sessionId);
    const wrong = await sshRun({
      host: "127.0.0.1",
      port: gatewayPort,
      username: "alice",
      password: `${issued.token.slice(0, -1)}${issued.token.endsWith("A") ? "B" : "A"}`,
      exec: "true",
    });
    expect(wrong.error).toMatch(/authentication/i);
    const run = await sshRun({ host: "127.0.0.1", port: gatewayPort, username: "alice", password: issued.token, exec: "id -un" });
    expect(run.output.trim()).toBe("INTERIM\\adm-alice");
    await waitFor("the session to end", async () => (await sessionRow(s.sessionId)).state === "ended");
    const again = await sshRun({ host: "127.0.0.1", port: gatewayPort, username: "alice", password: issued.token, exec: "true" });
    expect(again.error).toMatch(/authentication/i);
    await finishAndSweep(s.sessionId);
  }, 60_000);
});

describe("what block rules hold against (an insider trying to run a blocked command)", () => {
  const via = (sessionId: string) => ({ host: "127.0.0.1", port: gatewayPort, username: `alice#${sessionId.slice(0, 8)}`, password: PERSON_PASSWORD });
  async function blockedRun(lines: string[]) {
    const s = await readySession();
    const run = await sshRun({ ...via(s.sessionId), lines, pauseMs: 700 });
    await waitFor("the session to end", async () => (await sessionRow(s.sessionId)).state === "ended");
    const commands = await db
      .select()
      .from(deviceSessionCommands)
      .where(eq(deviceSessionCommands.sessionId, s.sessionId))
      .orderBy(asc(deviceSessionCommands.seq));
    const row = await sessionRow(s.sessionId);
    await finishAndSweep(s.sessionId);
    return { run, commands, row };
  }

  it("Ctrl-O (bash's accept-line-and-next) is checked like Enter", async () => {
    const { run, commands, row } = await blockedRun(["rm -rf /tmp/interim-nothing; echo RAN-$((40+2))\x0f", "exit\r"]);
    expect(run.output).toContain("Blocked by rule");
    expect(run.output).not.toContain("RAN-42");
    expect(row.endReason).toBe("blocked");
    expect(commands[0]).toMatchObject({ action: "block", rule: "rm -rf *" });
  }, 60_000);

  it("a line padded past what can be checked is not run", async () => {
    const { run, commands } = await blockedRun([`${" ".repeat(8300)}rm -rf /tmp/interim-nothing; echo RAN-$((40+3))\r`, "exit\r"]);
    expect(run.output).not.toContain("RAN-43");
    expect(commands.at(-1)).toMatchObject({ action: "block", rule: "a line longer than 8 KiB (it cannot be checked)" });
  }, 60_000);

  it("an exec request that a rule blocks never reaches the device, and is kept as a blocked command", async () => {
    const s = await readySession();
    const run = await sshRun({ ...via(s.sessionId), exec: "rm -rf /tmp/interim-nothing; echo RAN-$((40+4))" });
    expect(run.output).toContain("Blocked by rule");
    expect(run.output).not.toContain("RAN-44");
    const [command] = await db.select().from(deviceSessionCommands).where(eq(deviceSessionCommands.sessionId, s.sessionId));
    expect(command).toMatchObject({ source: "exec", action: "block", rule: "rm -rf *" });
    expect((await sessionRow(s.sessionId)).flagged).toBe(true);
    await finishAndSweep(s.sessionId);
  }, 60_000);

  it("what is typed at a password prompt stays out of the commands and the recording", async () => {
    const s = await readySession();
    const run = await sshRun({ ...via(s.sessionId), lines: ['read -s -p "Password: " p; echo LEN-${#p}\r', "s3cret-value\r", "exit\r"], pauseMs: 900 });
    expect(run.output).toContain("LEN-12");
    await waitFor("the session to end", async () => (await sessionRow(s.sessionId)).state === "ended");
    const commands = await db
      .select()
      .from(deviceSessionCommands)
      .where(eq(deviceSessionCommands.sessionId, s.sessionId))
      .orderBy(asc(deviceSessionCommands.seq));
    expect(commands.map((c) => c.text)).toEqual(['read -s -p "Password: " p; echo LEN-${#p}', "[hidden: typed at a password prompt]", "exit"]);
    const chunks = await db.select({ data: deviceSessionChunks.data }).from(deviceSessionChunks).where(eq(deviceSessionChunks.sessionId, s.sessionId));
    expect(chunks.map((c) => c.data).join("")).not.toContain("s3cret");
    await finishAndSweep(s.sessionId);
  }, 60_000);
});

describe("the SSH gateway against a password-guessing client", () => {
  it("ends a connection after three refused passwords", async () => {
    let offered = 0;
    const outcome = await new Promise<string>((resolve) => {
      const client = new Client();
      client.on("ready", () => {
        client.end();
        resolve("signed in");
      });
      client.on("error", (err) => resolve(`error: ${err.message}`));
      client.on("close", () => resolve("closed"));
      client.connect({
        host: "127.0.0.1",
        port: gatewayPort,
        username: "it-nobody-guesser",
        readyTimeout: 15_000,
        hostVerifier: () => true,
        // Six guesses on one connection (an unknown name: nobody's AD account counts them).
        authHandler: (_methods, _partial, next) => {
          if (offered >= 6) return next(false as never);
          offered++;
          next({ type: "password", username: "it-nobody-guesser", password: `guess-${offered}` } as never);
        },
      });
    });
    expect(outcome).not.toBe("signed in");
    expect(offered).toBeLessThanOrEqual(4);
  }, 60_000);
});
