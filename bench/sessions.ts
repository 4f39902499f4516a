/**
 * Sessions phase (issue 14, item 11): recorded SSH sessions through the gateway, each figure next
 * to a direct ssh2 login to the same target with the same account and password in the same run.
 *
 *   a. session start: startSession (policy, auto-approval) → activateGrant (member add on the DC;
 *      the replication wait the directory settings ask for) → prepareSession (unicodePwd reset) →
 *      one-time token → SSH to the gateway → the gateway's login on the target → shell prompt.
 *      The worker's steps run in this process, one after the other, as the integration tests call
 *      them (no queue pick-up in the figure). Each session is ended properly: exit, finish, sweep.
 *   b. keystroke echo at a shell prompt (readline echoes), gateway vs direct, samples interleaved.
 *   c. C concurrent recorded sessions each printing B bytes, the recordings checked byte for byte
 *      against what the clients received and typed; the gateway's CPU from /proc/<pid>/stat.
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import { db } from "@/db";
import { deviceSessionChunks, deviceSessions, grants } from "@/db/schema";
import { activateGrant } from "@/server/grants/activate";
import { checkReplication } from "@/server/grants/replication";
import { sweepExpired } from "@/server/grants/sweep";
import { parseAsciicast } from "@/server/sessions/asciicast";
import { issueConnectToken } from "@/server/sessions/connect-token";
import { endSession, finishSession, prepareSession } from "@/server/sessions/lifecycle";
import { unsealSessionPassword } from "@/server/sessions/managed-password";
import { startSession } from "@/server/sessions/start";
import { GatewayProcess } from "./lib/gateway";
import { hasDirectMembership, serviceClient, safeUnbind } from "./lib/ldap";
import { Shell } from "./lib/ssh";
import { log, ms, pct, pool, sleep, summarize, type Summary } from "./lib/stats";
import type { BenchAccount, SessionsFixture } from "./sessions-setup";

type Problems = string[];
type Ldap = Awaited<ReturnType<typeof serviceClient>>;

export interface SessionsOptions {
  starts: number;
  echoSamples: number;
  concurrent: number;
  outputBytes: number;
}

export interface SessionsResult {
  start: {
    sessions: number;
    startMs: Summary;
    rawLoginMs: Summary;
    steps: { submitMs: Summary; activateMs: Summary; replicationMs: Summary; prepareMs: Summary; tokenMs: Summary; gatewayToPromptMs: Summary };
    endMs: Summary;
  };
  echo: {
    samples: number;
    gatewayMs: Summary;
    directMs: Summary;
    p99DifferenceMs: number;
    targetMs: number;
    meetsTarget: boolean;
    gatewayCpuMsPerKeystroke: number;
  };
  concurrent: {
    sessions: number;
    outputBytesPerSession: number;
    prepareSeconds: number;
    connectSeconds: number;
    wallSeconds: number;
    megabytes: number;
    throughputMBps: number;
    gatewayCpuSeconds: number;
    cpuSecondsPerSession: number;
    cpuSecondsPerMB: number;
    gatewayRssMbBefore: number;
    gatewayRssMbAfter: number;
    recordingsVerified: number;
    recordedBytes: number;
    raw: { wallSeconds: number; throughputMBps: number; clientsComplete: number };
  };
  cleanup: { sessions: number; membershipsLeft: number; passwordsRotated: number };
  gatewayProblems: string[];
}

interface Ready {
  sessionId: string;
  requestId: string;
  account: BenchAccount;
  ms: { submit: number; activate: number; replication: number; prepare: number };
}

/** Every session this phase opened, so that an interrupted run still ends them (access removed, password changed). */
const opened = new Set<string>();

async function readySession(fx: SessionsFixture, account: BenchAccount, label: string): Promise<Ready> {
  const t0 = performance.now();
  const started = await startSession(fx.requester, fx.requesterActor, { deviceId: fx.deviceId, credentialId: account.credentialId, justification: label });
  opened.add(started.sessionId);
  if (started.status !== "approved") throw new Error(`session for ${account.sam}: ${started.status}, expected approved (the bench group needs no approval)`);
  const t1 = performance.now();
  const ofRequest = await db.select({ id: grants.id }).from(grants).where(eq(grants.requestId, started.requestId));
  for (const g of ofRequest) {
    const outcome = await activateGrant(g.id);
    if (outcome !== "activated") throw new Error(`activation of ${account.sam}'s grant: ${outcome}`);
  }
  const t2 = performance.now();
  // What the directory settings ask for (a single DC without explicit DCs: nothing to wait for).
  for (;;) {
    const states = await db.select({ state: grants.state }).from(grants).where(eq(grants.requestId, started.requestId));
    if (states.every((g) => g.state === "active")) break;
    if (performance.now() - t2 > 120_000) throw new Error(`${account.sam}'s grant still ${states.map((g) => g.state).join(", ")} after 120 s`);
    await checkReplication();
    await sleep(20);
  }
  const t3 = performance.now();
  const prepared = await prepareSession(started.sessionId);
  if (prepared !== "ready") throw new Error(`prepareSession for ${account.sam}: ${prepared}`);
  const t4 = performance.now();
  return {
    sessionId: started.sessionId,
    requestId: started.requestId,
    account,
    ms: { submit: t1 - t0, activate: t2 - t1, replication: t3 - t2, prepare: t4 - t3 },
  };
}

/** The password the product set for the session (the bench logs in directly with it for the raw twins). */
async function sessionPassword(sessionId: string): Promise<string> {
  const [row] = await db.select({ sealed: deviceSessions.passwordSealed }).from(deviceSessions).where(eq(deviceSessions.id, sessionId));
  const password = row?.sealed ? unsealSessionPassword(sessionId, row.sealed) : null;
  if (!password) throw new Error(`session ${sessionId} has no password (any more)`);
  return password;
}

async function throughGateway(fx: SessionsFixture, gw: GatewayProcess, s: Ready) {
  const t0 = performance.now();
  const token = await issueConnectToken(fx.requester, fx.requesterActor, s.sessionId);
  const t1 = performance.now();
  const shell = await Shell.open({ host: "127.0.0.1", port: gw.port, username: `${fx.requester.username}#${s.sessionId.slice(0, 8)}`, password: token.token });
  const t2 = await shell.waitForPrompt();
  return { shell, tokenMs: t1 - t0, toPromptMs: t2 - t1 };
}

const direct = (fx: SessionsFixture, account: BenchAccount, password: string) =>
  Shell.open({ host: fx.target.host, port: fx.target.port, username: account.sam, password, hostKey: fx.target.hostKey });

async function rawLogin(fx: SessionsFixture, account: BenchAccount, password: string): Promise<number> {
  const t0 = performance.now();
  const shell = await direct(fx, account, password);
  const t1 = await shell.waitForPrompt();
  await shell.exit();
  return t1 - t0;
}

async function waitEnded(sessionIds: string[], timeoutMs = 60_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const open = await db
      .select({ id: deviceSessions.id, state: deviceSessions.state })
      .from(deviceSessions)
      .where(and(inArray(deviceSessions.id, sessionIds), inArray(deviceSessions.state, ["requested", "preparing", "ready", "live"])));
    if (!open.length) return;
    if (performance.now() > deadline) throw new Error(`${open.length} session(s) still open ${timeoutMs} ms after their shells closed`);
    await sleep(20);
  }
}

/** finish (the grants end through the revoke path, the password changes again) and the sweep that removes the membership. */
async function finishAll(sessionIds: string[]) {
  await pool(sessionIds, 4, (id) => finishSession(id));
  for (let i = 0; i < 20; i++) {
    const swept = await sweepExpired();
    if (swept.claimed === 0) break;
  }
}

/** Memberships gone from the DC and passwords changed after the end, for sessions the bench finished. */
async function checkEnded(fx: SessionsFixture, ldap: Ldap, ready: Ready[], problems: Problems) {
  let membershipsLeft = 0;
  let passwordsRotated = 0;
  for (const s of ready) {
    if (await hasDirectMembership(ldap, s.account.dn, fx.groupDn)) {
      membershipsLeft++;
      problems.push(`sessions: ${s.account.sam} is still in the sudo group after its session ${s.sessionId} was finished and swept`);
    }
    const [row] = await db
      .select({ rotated: deviceSessions.passwordRotatedAt, sealed: deviceSessions.passwordSealed })
      .from(deviceSessions)
      .where(eq(deviceSessions.id, s.sessionId));
    if (row?.rotated && !row.sealed) passwordsRotated++;
    else problems.push(`sessions: ${s.account.sam}'s password was not changed after session ${s.sessionId}`);
    opened.delete(s.sessionId);
  }
  return { membershipsLeft, passwordsRotated };
}

async function sessionStarts(fx: SessionsFixture, gw: GatewayProcess, ldap: Ldap, n: number, problems: Problems) {
  const account = fx.accounts[0]!;
  const start: number[] = [];
  const raw: number[] = [];
  const steps = {
    submit: [] as number[],
    activate: [] as number[],
    replication: [] as number[],
    prepare: [] as number[],
    token: [] as number[],
    toPrompt: [] as number[],
  };
  const end: number[] = [];
  const cleanup = { sessions: 0, membershipsLeft: 0, passwordsRotated: 0 };
  // One unmeasured session first: the gateway's first connection, the target's home directory.
  for (let i = -1; i < n; i++) {
    const s = await readySession(fx, account, "bench: session start");
    const password = await sessionPassword(s.sessionId);
    // The direct login goes first every other time, so that neither side always meets a warm cache.
    const directFirst = i % 2 === 1;
    const rawMs = directFirst ? await rawLogin(fx, account, password) : NaN;
    const gwSide = await throughGateway(fx, gw, s);
    const startMs = s.ms.submit + s.ms.activate + s.ms.replication + s.ms.prepare + gwSide.tokenMs + gwSide.toPromptMs;
    const rawAfter = directFirst ? rawMs : await rawLogin(fx, account, password);
    const e0 = performance.now();
    await gwSide.shell.exit();
    await waitEnded([s.sessionId]);
    await finishAll([s.sessionId]);
    const e1 = performance.now();
    const c = await checkEnded(fx, ldap, [s], problems);
    if (i < 0) continue;
    cleanup.sessions++;
    cleanup.membershipsLeft += c.membershipsLeft;
    cleanup.passwordsRotated += c.passwordsRotated;
    start.push(startMs);
    raw.push(rawAfter);
    steps.submit.push(s.ms.submit);
    steps.activate.push(s.ms.activate);
    steps.replication.push(s.ms.replication);
    steps.prepare.push(s.ms.prepare);
    steps.token.push(gwSide.tokenMs);
    steps.toPrompt.push(gwSide.toPromptMs);
    end.push(e1 - e0);
    if ((i + 1) % 5 === 0) log(`  ${i + 1}/${n} sessions: start p50 ${ms(summarize(start).p50)}, direct login p50 ${ms(summarize(raw).p50)}`);
  }
  return {
    result: {
      sessions: n,
      startMs: summarize(start),
      rawLoginMs: summarize(raw),
      steps: {
        submitMs: summarize(steps.submit),
        activateMs: summarize(steps.activate),
        replicationMs: summarize(steps.replication),
        prepareMs: summarize(steps.prepare),
        tokenMs: summarize(steps.token),
        gatewayToPromptMs: summarize(steps.toPrompt),
      },
      endMs: summarize(end),
    },
    cleanup,
  };
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

async function echoLatency(fx: SessionsFixture, gw: GatewayProcess, ldap: Ldap, samples: number, problems: Problems) {
  const account = fx.accounts[0]!;
  const s = await readySession(fx, account, "bench: echo");
  const gwSide = await throughGateway(fx, gw, s);
  const raw = await direct(fx, account, await sessionPassword(s.sessionId));
  await raw.waitForPrompt();
  const viaGateway: number[] = [];
  const viaDirect: number[] = [];
  const cpu0 = gw.cpuSeconds();
  for (let i = 0; i < samples; i++) {
    const ch = LETTERS[i % LETTERS.length]!;
    // Interleaved, alternating which goes first: both see the same moments of a shared machine.
    if (i % 2 === 0) {
      viaGateway.push(await gwSide.shell.echo(ch));
      viaDirect.push(await raw.echo(ch));
    } else {
      viaDirect.push(await raw.echo(ch));
      viaGateway.push(await gwSide.shell.echo(ch));
    }
    if ((i + 1) % 40 === 0) {
      // Ctrl-U empties the line before it wraps; its redraw is not measured.
      gwSide.shell.write("\x15");
      raw.write("\x15");
      await sleep(100);
    }
  }
  const cpu1 = gw.cpuSeconds();
  gwSide.shell.write("\x15");
  raw.write("\x15");
  await sleep(100);
  await raw.exit();
  await gwSide.shell.exit();
  await waitEnded([s.sessionId]);
  await finishAll([s.sessionId]);
  const cleanup = await checkEnded(fx, ldap, [s], problems);
  const g = summarize(viaGateway);
  const d = summarize(viaDirect);
  const TARGET_MS = 2;
  return {
    result: {
      samples,
      gatewayMs: g,
      directMs: d,
      p99DifferenceMs: g.p99 - d.p99,
      targetMs: TARGET_MS,
      meetsTarget: g.p99 - d.p99 <= TARGET_MS,
      gatewayCpuMsPerKeystroke: ((cpu1 - cpu0) * 1000) / samples,
    },
    cleanup: { sessions: 1, ...cleanup },
  };
}

/** `head -c B /dev/zero | tr '\0' X | fold -w 100`, with X written as \130 so the command's own echo holds none. */
const streamCommand = (bytes: number) => `head -c ${bytes} /dev/zero | tr '\\0' '\\130' | fold -w 100; exit\r`;
const X = 0x58;

function countX(shell: Shell): () => number {
  let n = 0;
  shell.observe((chunk) => {
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === X) n++;
  });
  return () => n;
}

async function concurrentSessions(fx: SessionsFixture, gw: GatewayProcess, ldap: Ldap, opts: SessionsOptions, problems: Problems) {
  const C = opts.concurrent;
  if (fx.accounts.length < C) throw new Error(`need ${C} managed bench accounts, have ${fx.accounts.length}`);
  const p0 = performance.now();
  const ready = await pool(fx.accounts.slice(0, C), 4, (a) => readySession(fx, a, "bench: concurrent"));
  const prepareSeconds = (performance.now() - p0) / 1000;
  log(`  ${C} sessions ready in ${prepareSeconds.toFixed(1)} s (4 at a time); connecting …`);
  const c0 = performance.now();
  const shells = await pool(ready, 10, async (s) => (await throughGateway(fx, gw, s)).shell);
  const connectSeconds = (performance.now() - c0) / 1000;
  log(
    `  ${C} shells at their prompt through the gateway in ${connectSeconds.toFixed(1)} s; streaming ${opts.outputBytes.toLocaleString("en-US")} bytes each …`,
  );

  const command = streamCommand(opts.outputBytes);
  const counters = shells.map(countX);
  const before = shells.map((sh) => ({ received: sh.received, sent: sh.sent }));
  const gatewayRssMbBefore = gw.rssMb();
  const cpu0 = gw.cpuSeconds();
  const t0 = performance.now();
  for (const sh of shells) sh.write(command);
  await Promise.race([
    Promise.all(shells.map((sh) => sh.closed)),
    sleep(600_000).then(() => problems.push("sessions: the streaming sessions did not all end within 10 min")),
  ]);
  const wallSeconds = (performance.now() - t0) / 1000;
  await waitEnded(ready.map((s) => s.sessionId));
  const gatewayCpuSeconds = gw.cpuSeconds() - cpu0;
  const gatewayRssMbAfter = gw.rssMb();
  const streamed = shells.reduce((n, sh, i) => n + sh.received - before[i]!.received, 0);

  // Each recording against what its client saw: every byte received is an "o" byte, every byte typed an "i" byte.
  let verified = 0;
  let recordedBytes = 0;
  for (const [i, s] of ready.entries()) {
    const sh = shells[i]!;
    const got = counters[i]!();
    if (got !== opts.outputBytes) problems.push(`sessions: ${s.account.sam}'s client received ${got} of ${opts.outputBytes} streamed bytes`);
    const chunks = await db
      .select({ data: deviceSessionChunks.data, bytes: deviceSessionChunks.bytes })
      .from(deviceSessionChunks)
      .where(eq(deviceSessionChunks.sessionId, s.sessionId))
      .orderBy(asc(deviceSessionChunks.seq));
    const [row] = await db.select({ recordingBytes: deviceSessions.recordingBytes }).from(deviceSessions).where(eq(deviceSessions.id, s.sessionId));
    const chunkBytes = chunks.reduce((n, c) => n + c.bytes, 0);
    recordedBytes += chunkBytes;
    const { events } = parseAsciicast(chunks.map((c) => c.data).join(""));
    const o = events.filter((e) => e[1] === "o").reduce((n, e) => n + Buffer.byteLength(e[2]), 0);
    const inBytes = events.filter((e) => e[1] === "i").reduce((n, e) => n + Buffer.byteLength(e[2]), 0);
    const issues = [
      o !== sh.received && `"o" events hold ${o} bytes, the client received ${sh.received}`,
      inBytes !== sh.sent && `"i" events hold ${inBytes} bytes, the client typed ${sh.sent}`,
      chunkBytes !== sh.received + sh.sent && `the chunks count ${chunkBytes} bytes, the client received + typed ${sh.received + sh.sent}`,
      row?.recordingBytes !== chunkBytes && `recording_bytes ${row?.recordingBytes} ≠ the chunks' ${chunkBytes}`,
    ].filter(Boolean);
    if (issues.length) problems.push(`sessions: recording of ${s.account.sam} (${s.sessionId}): ${issues.join("; ")}`);
    else verified++;
  }

  // The raw twin: the same accounts and passwords (still valid until finish), the same command, all at once, straight to the target.
  const passwords = await Promise.all(ready.map((s) => sessionPassword(s.sessionId)));
  const rawShells = await pool(ready, 10, async (s, i) => {
    const sh = await direct(fx, s.account, passwords[i]!);
    await sh.waitForPrompt();
    return sh;
  });
  const rawCounters = rawShells.map(countX);
  const rawBefore = rawShells.map((sh) => sh.received);
  const r0 = performance.now();
  for (const sh of rawShells) sh.write(command);
  await Promise.race([Promise.all(rawShells.map((sh) => sh.closed)), sleep(600_000)]);
  const rawWall = (performance.now() - r0) / 1000;
  const rawStreamed = rawShells.reduce((n, sh, i) => n + sh.received - rawBefore[i]!, 0);
  const clientsComplete = rawCounters.filter((c) => c() === opts.outputBytes).length;
  if (clientsComplete !== C) problems.push(`sessions: raw twin: ${C - clientsComplete} direct client(s) did not receive all their bytes`);

  await finishAll(ready.map((s) => s.sessionId));
  const cleanup = await checkEnded(fx, ldap, ready, problems);
  const megabytes = streamed / 1e6;
  return {
    result: {
      sessions: C,
      outputBytesPerSession: opts.outputBytes,
      prepareSeconds,
      connectSeconds,
      wallSeconds,
      megabytes,
      throughputMBps: megabytes / wallSeconds,
      gatewayCpuSeconds,
      cpuSecondsPerSession: gatewayCpuSeconds / C,
      cpuSecondsPerMB: gatewayCpuSeconds / megabytes,
      gatewayRssMbBefore,
      gatewayRssMbAfter,
      recordingsVerified: verified,
      recordedBytes,
      raw: { wallSeconds: rawWall, throughputMBps: rawStreamed / 1e6 / rawWall, clientsComplete },
    },
    cleanup: { sessions: C, ...cleanup },
  };
}

export async function sessionsBench(fx: SessionsFixture, opts: SessionsOptions, problems: Problems): Promise<SessionsResult> {
  const gw = new GatewayProcess();
  const ldap = await serviceClient();
  const stopOnSignal = () => gw.killNow();
  process.once("exit", stopOnSignal);
  try {
    await gw.start();
    log(`gateway: pid ${gw.pid} on 127.0.0.1:${gw.port} (scripts/ssh-gateway.ts)`);
    log(`sessions a: ${opts.starts} sequential session starts (+1 warm-up), each next to a direct login …`);
    const start = await sessionStarts(fx, gw, ldap, opts.starts, problems);
    log(`  start ${pct(start.result.startMs)}; direct login ${pct(start.result.rawLoginMs)}`);
    log(`sessions b: keystroke echo, ${opts.echoSamples} samples through the gateway and direct, interleaved …`);
    const echo = await echoLatency(fx, gw, ldap, opts.echoSamples, problems);
    log(`  gateway ${pct(echo.result.gatewayMs)}; direct ${pct(echo.result.directMs)}`);
    log(`sessions c: ${opts.concurrent} concurrent recorded sessions …`);
    const conc = await concurrentSessions(fx, gw, ldap, opts, problems);
    log(
      `  ${conc.result.megabytes.toFixed(1)} MB in ${conc.result.wallSeconds.toFixed(2)} s (${conc.result.throughputMBps.toFixed(1)} MB/s); direct ${conc.result.raw.throughputMBps.toFixed(1)} MB/s; gateway CPU ${conc.result.gatewayCpuSeconds.toFixed(2)} s`,
    );
    const parts = [start.cleanup, echo.cleanup, conc.cleanup];
    return {
      start: start.result,
      echo: echo.result,
      concurrent: conc.result,
      cleanup: {
        sessions: parts.reduce((n, p) => n + p.sessions, 0),
        membershipsLeft: parts.reduce((n, p) => n + p.membershipsLeft, 0),
        passwordsRotated: parts.reduce((n, p) => n + p.passwordsRotated, 0),
      },
      gatewayProblems: gw.problems,
    };
  } finally {
    await gw.stop().catch(() => {});
    process.off("exit", stopOnSignal);
    // Interrupted: whatever the bench opened still ends properly (membership removed, password changed).
    const left = [...opened];
    if (left.length) {
      log(`ending ${left.length} session(s) the interrupted phase left open …`);
      for (const id of left) await endSession(id, "bench-aborted").catch(() => false);
      await finishAll(left).catch((err: unknown) =>
        problems.push(`sessions: cleaning up after a failure: ${err instanceof Error ? err.message : String(err)}`),
      );
      opened.clear();
    }
    await safeUnbind(ldap);
  }
}
