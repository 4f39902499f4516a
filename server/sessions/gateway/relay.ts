import "server-only";
import type { Client, ClientChannel } from "ssh2";
import { and, eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db";
import { deviceSessionChunks, deviceSessionCommands, deviceSessions, grants } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { scoped } from "@/server/logger";
import { asciicastHeader, RecordingBuffer } from "../asciicast";
import { evaluate } from "../command-rules";
import { emitSessionAlert } from "../alerts";
import { endSession } from "../lifecycle";
import { execCommand, LineEditor, MAX_LINE_BYTES, type Command } from "../line-editor";
import type { Ticket } from "./ticket";

/*
 * One live session in a gateway: bytes between the person (browser terminal or SSH client) and
 * the device, forwarded first and recorded after. Input is split at Enter: the line before it is
 * checked against the group's rules, and a blocked line is cancelled (Ctrl-C to the device) instead
 * of run. Every second the recording and the commands are flushed (a killed gateway loses at most
 * that second), the heartbeat written, and the session's end conditions checked: the person left,
 * idle, maximum reached, its grants ended, someone terminated it.
 */

export interface PersonSide {
  /** Sends to the person; false when their side is full (the device is paused until `onDrain`). */
  write(data: Buffer | string): boolean | void;
  onDrain?(resume: () => void): void;
  /** Closes the person's side with a last line. */
  close(message: string): void;
}

const FLUSH_MS = 1_000;
/** Recording text buffered beyond this is flushed at once rather than at the next tick. */
const FLUSH_EARLY_CHARS = 1_000_000;
const WARN_BEFORE_MS = 60_000;
/** A line longer than the editor keeps cannot be checked: with block rules, it is not run. */
const TOO_LONG = "a line longer than 8 KiB (it cannot be checked)";
/** What a password prompt looks like at the end of the output (ANSI sequences removed). */
const SECRET_PROMPT = /(password|passphrase|passcode|verification code|pin)[^\n]{0,60}:\s*$/i;
const HIDDEN = "[hidden: typed at a password prompt]";
const red = (s: string) => `\r\n\x1b[1;31m[Interim] ${s}\x1b[0m\r\n`;
const yellow = (s: string) => `\r\n\x1b[1;33m[Interim] ${s}\x1b[0m\r\n`;

type Kept = Command & { seq: number; action: "allow" | "alert" | "block"; rule: string | null; deviation: boolean; source: string };
type Chunk = { seq: number; firstAt: number; lastAt: number; data: string; bytes: number };

export class SessionRelay {
  private readonly log = scoped("gateway");
  private readonly recorder: RecordingBuffer;
  private readonly editor = new LineEditor();
  private readonly pendingCommands: Kept[] = [];
  private seq = 0;
  private commandSeq = 0;
  private bytes = 0;
  private lastInput = Date.now();
  private warned = false;
  private ended = false;
  private timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** The current line: its bytes so far, whether it began at a password prompt, whether the device printed since. */
  private lineBytes = 0;
  private lineSecret = false;
  private outputSinceLine = false;
  private outputTail = "";
  private readonly hasBlockRules: boolean;

  /**
   * `lineMode`: the device side has no terminal (an `exec` request): input is held until its line
   * is checked, so a blocked line never reaches the device, not even at end of input.
   */
  constructor(
    private readonly ticket: Ticket,
    private readonly client: Client,
    private readonly channel: ClientChannel,
    private readonly person: PersonSide,
    pty: { term: string; cols: number; rows: number },
    private readonly lineMode = false,
  ) {
    const startedAt = ticket.connectedAt.getTime();
    this.hasBlockRules = ticket.rules.block.length > 0;
    this.recorder = new RecordingBuffer({ startedAt });
    this.headerText = asciicastHeader({ width: pty.cols, height: pty.rows, startedAt, term: pty.term, title: `${ticket.login}@${ticket.deviceName}` });
    channel.on("data", (d: Buffer) => this.fromDevice(d));
    channel.stderr.on("data", (d: Buffer) => this.fromDevice(d));
    channel.on("close", () => void this.end("exit"));
    client.on("error", (err) => void this.end("failed", err.message));
    client.on("close", () => void this.end("exit"));
    person.onDrain?.(() => channel.resume());
    this.timer = setInterval(() => this.tick().catch((err) => this.log.error({ err, sessionId: ticket.sessionId }, "session check failed")), FLUSH_MS);
  }

  private readonly headerText: string;
  private readonly unwritten: Chunk[] = [];
  private ticks = 0;
  private stillAllowed: (() => Promise<boolean>) | null = null;

  /** Checked every ten seconds: the person may still use Interim (signed in, account usable in AD). */
  watchAccess(check: () => Promise<boolean>) {
    this.stillAllowed = check;
  }

  private fromDevice(data: Buffer) {
    // Backpressure: a person who stops reading pauses the device rather than filling this process.
    if (this.person.write(data) === false) this.channel.pause();
    if (this.ticket.recording) this.recorder.output(data);
    this.bytes += data.length;
    this.outputSinceLine = true;
    // Only the end of the output matters (is it a password prompt?): a few hundred bytes, not the whole chunk.
    this.outputTail = (
      this.outputTail +
      data
        .subarray(-400)
        .toString("utf8")
        .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
    ).slice(-200);
    if (this.recorder.pending > FLUSH_EARLY_CHARS) void this.flush();
  }

  /**
   * Keystrokes from the person. Each byte goes through the line editor first; a byte that ends a
   * line (Enter, Ctrl-J, Ctrl-O — whatever the editor takes for one) is forwarded only once the
   * line passed the rules. A blocked line ends the session: what was typed of it never runs.
   */
  input(data: Buffer) {
    if (this.ended) return;
    this.lastInput = Date.now();
    let from = 0;
    for (let i = 0; i < data.length; i++) {
      if (this.lineBytes === 0) {
        this.lineSecret = SECRET_PROMPT.test(this.outputTail);
        this.outputSinceLine = false;
      }
      this.lineBytes++;
      const commands = this.editor.feed(data.subarray(i, i + 1), Date.now());
      if (!commands.length) continue;
      const tooLong = this.lineBytes > MAX_LINE_BYTES;
      // Nothing echoed since a password prompt: a secret, kept out of the trail (still checked).
      const secret = this.lineSecret && !this.outputSinceLine;
      this.lineBytes = 0;
      let blocked: { rule: string } | null = null;
      for (const c of commands) {
        const v =
          tooLong && this.hasBlockRules
            ? { action: "block" as const, rule: TOO_LONG, deviation: false }
            : evaluate(c.text, this.ticket.rules, secret ? [] : this.ticket.planned);
        this.keep(secret ? { ...c, text: HIDDEN } : c, v, "shell");
        if (v.action === "block") blocked = { rule: v.rule ?? "" };
      }
      if (blocked) {
        // Not forwarded: the line's held bytes and the key that would run it stay here.
        this.held = Buffer.alloc(0);
        if (this.ticket.recording) this.recorder.marker(`blocked by rule "${blocked.rule}"`);
        this.person.write(red(`Blocked by rule "${blocked.rule}": the command was not run, and the session is closed.`));
        void this.end("blocked");
        return;
      }
      this.send(data.subarray(from, i + 1), secret);
      from = i + 1;
    }
    // In line mode a line still being typed waits for its end (forwarded with it above).
    if (!this.lineMode) this.send(data.subarray(from), this.lineSecret && !this.outputSinceLine);
    else if (from < data.length) this.held = Buffer.concat([this.held, data.subarray(from)]);
  }

  /** Line mode: the bytes of the line not yet checked. */
  private held = Buffer.alloc(0);

  private send(data: Buffer, secret: boolean) {
    const bytes = this.held.length ? Buffer.concat([this.held, data]) : data;
    this.held = Buffer.alloc(0);
    if (!bytes.length) return;
    this.channel.write(bytes);
    if (this.ticket.recording && !secret) this.recorder.input(bytes);
  }

  /** An `exec` request: the command exactly; refused before it reaches the device when a rule blocks it. */
  static checkExec(ticket: Ticket, command: string) {
    if (Buffer.byteLength(command) > MAX_LINE_BYTES && ticket.rules.block.length) return { action: "block" as const, rule: TOO_LONG, deviation: false };
    return evaluate(command, ticket.rules, ticket.planned);
  }

  /** A refused `exec` request, kept like a blocked line: the command, its audit event and the alert. */
  static async recordBlockedExec(ticket: Ticket, command: string, rule: string | null) {
    const at = new Date();
    await db.transaction(async (tx) => {
      await tx.insert(deviceSessionCommands).values({
        sessionId: ticket.sessionId,
        seq: 0,
        at,
        offset: Math.max(0, (at.getTime() - ticket.connectedAt.getTime()) / 1000),
        text: command,
        source: "exec",
        action: "block",
        rule,
      });
      await tx.update(deviceSessions).set({ flagged: true }).where(eq(deviceSessions.id, ticket.sessionId));
      await recordAudit(tx, SYSTEM_ACTOR, [
        {
          action: "session.command_flagged",
          targetType: "device_session",
          targetId: ticket.sessionId,
          data: { command: command.slice(0, 500), action: "block", rule, deviation: false },
        },
      ]);
      await emitSessionAlert(tx, ticket, [{ text: command, action: "block", rule, deviation: false }]);
    });
  }

  recordExec(command: string) {
    this.keep(execCommand(command, Date.now()), evaluate(command, this.ticket.rules, this.ticket.planned), "exec");
  }

  private keep(c: Command, v: ReturnType<typeof evaluate>, source: string) {
    this.pendingCommands.push({ ...c, seq: this.commandSeq++, action: v.action, rule: v.rule ?? null, deviation: v.deviation, source });
  }

  resize(cols: number, rows: number) {
    this.channel.setWindow(rows, cols, 0, 0);
    if (this.ticket.recording) this.recorder.resize(cols, rows);
  }

  /** The person left (closed the tab, the SSH client disconnected). */
  personLeft() {
    void this.end("exit");
  }

  private async tick() {
    if (this.ended) return;
    const now = Date.now();
    await this.flush();
    const [s] = await db.select({ state: deviceSessions.state }).from(deviceSessions).where(eq(deviceSessions.id, this.ticket.sessionId));
    if (!s || s.state !== "live") return this.end("terminated", null, false);
    // The session lasts as long as its grants: an extension (through the usual rules) moves its end.
    const [live] = await db
      .select({ n: sql<number>`count(*)::int`, endsAt: sql<string | null>`min(${grants.expiresAt})` })
      .from(grants)
      .where(and(eq(grants.requestId, this.ticket.requestId), inArray(grants.state, ["active", "replicating"]), sql`${grants.endReason} is null`));
    if (!live?.n) return this.end("grant-ended");
    const endsAt = live.endsAt ? new Date(live.endsAt) : this.ticket.endsAt;
    if (endsAt.getTime() !== this.ticket.endsAt.getTime()) {
      if (endsAt > this.ticket.endsAt) this.warned = false;
      this.ticket.endsAt = endsAt;
      await db.update(deviceSessions).set({ endsAt }).where(eq(deviceSessions.id, this.ticket.sessionId));
    }
    if (now >= endsAt.getTime()) return this.end("maximum");
    if (now - this.lastInput >= this.ticket.idleMs) return this.end("idle");
    if (this.stillAllowed && ++this.ticks % 10 === 0 && !(await this.stillAllowed())) return this.end("signed-out");
    if (!this.warned && endsAt.getTime() - now <= WARN_BEFORE_MS) {
      this.warned = true;
      this.person.write(
        yellow(`This session ends at ${endsAt.toISOString().slice(11, 19)} UTC (in about a minute). Extend it on /roles if you need more time.`),
      );
    }
  }

  /** Writes the buffered recording and commands; one at a time, in order. */
  flush(): Promise<void> {
    this.flushing = this.flushing
      .then(() => this.flushNow())
      .catch((err) => this.log.error({ err, sessionId: this.ticket.sessionId }, "recording flush failed"));
    return this.flushing;
  }

  private async flushNow() {
    // What a failed write leaves (the database away a moment) goes with the next one: nothing is dropped.
    if (this.seq === 0 && this.ticket.recording) this.unwritten.push({ seq: this.seq++, firstAt: 0, lastAt: 0, data: this.headerText + "\n", bytes: 0 });
    const taken = this.ticket.recording ? this.recorder.takeChunk() : null;
    if (taken) this.unwritten.push({ seq: this.seq++, firstAt: taken.firstAt, lastAt: taken.lastAt, data: taken.text, bytes: taken.bytes });
    const chunks = [...this.unwritten];
    const chunkBytes = chunks.reduce((n, c) => n + c.bytes, 0);
    const commands = [...this.pendingCommands];
    const start = this.ticket.connectedAt.getTime();
    await db.transaction(async (tx) => {
      if (chunks.length) await tx.insert(deviceSessionChunks).values(chunks.map((c) => ({ sessionId: this.ticket.sessionId, ...c })));
      if (commands.length) {
        await tx.insert(deviceSessionCommands).values(
          commands.map((c) => ({
            sessionId: this.ticket.sessionId,
            seq: c.seq,
            at: new Date(c.at),
            offset: Math.max(0, (c.at - start) / 1000),
            text: c.text,
            source: c.source,
            uncertain: c.uncertain,
            action: c.action,
            rule: c.rule,
            deviation: c.deviation,
          })),
        );
      }
      const flagged = commands.filter((c) => c.action !== "allow" || c.deviation);
      await tx
        .update(deviceSessions)
        .set({
          heartbeatAt: sql`now()`,
          lastInputAt: new Date(this.lastInput),
          recordingBytes: sql`${deviceSessions.recordingBytes} + ${chunkBytes}`,
          ...(flagged.length ? { flagged: true } : {}),
        })
        .where(eq(deviceSessions.id, this.ticket.sessionId));
      if (flagged.length) {
        await recordAudit(
          tx,
          SYSTEM_ACTOR,
          flagged.map((c) => ({
            action: "session.command_flagged" as const,
            targetType: "device_session" as const,
            targetId: this.ticket.sessionId,
            data: {
              command: c.text.slice(0, 500),
              action: c.action === "block" ? ("block" as const) : ("alert" as const),
              rule: c.rule,
              deviation: c.deviation,
            },
          })),
        );
        await emitSessionAlert(tx, this.ticket, flagged);
      }
    });
    this.unwritten.splice(0, chunks.length);
    this.pendingCommands.splice(0, commands.length);
  }

  /** Ends once: closes both sides, flushes what is left, and (unless someone else ended it) ends the session row. */
  async end(reason: string, error: string | null = null, markEnded = true) {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    const words: Record<string, string> = {
      idle: "Session closed: idle for too long.",
      maximum: "Session closed: its maximum length was reached.",
      "grant-ended": "Session closed: the access ended (expired or revoked).",
      terminated: "Session closed by an administrator or an approver.",
      "signed-out": "Session closed: your Interim sign-in ended or your account can no longer be used.",
      blocked: "Session closed: a command was blocked.",
    };
    this.person.close(words[reason] ? red(words[reason]) : "");
    this.channel.close();
    this.client.end();
    if (this.ticket.recording) this.recorder.end();
    await this.flush();
    if (markEnded) await endSession(this.ticket.sessionId, reason, { error });
    this.log.info({ sessionId: this.ticket.sessionId, reason, bytes: this.bytes }, "session ended");
  }
}
