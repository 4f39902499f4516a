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
import { execCommand, LineEditor, type Command } from "../line-editor";
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
  write(data: Buffer | string): void;
  /** Closes the person's side with a last line. */
  close(message: string): void;
}

const FLUSH_MS = 1_000;
const WARN_BEFORE_MS = 60_000;
const ENTER = new Set([0x0d, 0x0a]);
const red = (s: string) => `\r\n\x1b[1;31m[Interim] ${s}\x1b[0m\r\n`;
const yellow = (s: string) => `\r\n\x1b[1;33m[Interim] ${s}\x1b[0m\r\n`;

export class SessionRelay {
  private readonly log = scoped("gateway");
  private readonly recorder: RecordingBuffer;
  private readonly editor = new LineEditor();
  private readonly pendingCommands: (Command & { action: "allow" | "alert" | "block"; rule: string | null; deviation: boolean; source: string })[] = [];
  private seq = 0;
  private commandSeq = 0;
  private bytes = 0;
  private lastInput = Date.now();
  private warned = false;
  private ended = false;
  private timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ticket: Ticket,
    private readonly client: Client,
    private readonly channel: ClientChannel,
    private readonly person: PersonSide,
    pty: { term: string; cols: number; rows: number },
  ) {
    const startedAt = ticket.connectedAt.getTime();
    this.recorder = new RecordingBuffer({ startedAt });
    this.headerText = asciicastHeader({ width: pty.cols, height: pty.rows, startedAt, term: pty.term, title: `${ticket.login}@${ticket.deviceName}` });
    channel.on("data", (d: Buffer) => this.fromDevice(d));
    channel.stderr.on("data", (d: Buffer) => this.fromDevice(d));
    channel.on("close", () => void this.end("exit"));
    client.on("error", (err) => void this.end("failed", err.message));
    client.on("close", () => void this.end("exit"));
    this.timer = setInterval(() => void this.tick(), FLUSH_MS);
  }

  private readonly headerText: string;

  private fromDevice(data: Buffer) {
    this.person.write(data);
    if (this.ticket.recording) this.recorder.output(data);
    this.bytes += data.length;
  }

  /** Keystrokes from the person: forwarded at once, except an Enter whose line a rule blocks. */
  input(data: Buffer) {
    if (this.ended) return;
    this.lastInput = Date.now();
    let start = 0;
    for (let i = 0; i < data.length; i++) {
      if (!ENTER.has(data[i]!)) continue;
      const before = data.subarray(start, i);
      if (before.length) this.forward(before, this.editor.feed(before, Date.now()));
      const enter = data.subarray(i, i + 1);
      const commands = this.editor.feed(enter, Date.now());
      const verdicts = commands.map((c) => ({ c, v: evaluate(c.text, this.ticket.rules, this.ticket.planned) }));
      const blocked = verdicts.find((x) => x.v.action === "block");
      for (const { c, v } of verdicts) this.keep(c, v, "shell");
      if (blocked) {
        this.channel.write("\x03"); // cancel the line in the device's shell
        this.person.write(red(`Blocked by rule "${blocked.v.rule}": the command was not run.`));
        if (this.ticket.recording) this.recorder.marker(`blocked: ${blocked.c.text}`);
      } else {
        this.channel.write(enter);
        if (this.ticket.recording) this.recorder.input(enter);
      }
      start = i + 1;
    }
    const rest = data.subarray(start);
    if (rest.length) this.forward(rest, this.editor.feed(rest, Date.now()));
  }

  private forward(data: Buffer, commands: Command[]) {
    this.channel.write(data);
    if (this.ticket.recording) this.recorder.input(data);
    for (const c of commands) this.keep(c, evaluate(c.text, this.ticket.rules, this.ticket.planned), "shell");
  }

  /** An `exec` request: the command exactly; refused before it reaches the device when a rule blocks it. */
  static checkExec(ticket: Ticket, command: string) {
    return evaluate(command, ticket.rules, ticket.planned);
  }

  recordExec(command: string) {
    this.keep(execCommand(command, Date.now()), evaluate(command, this.ticket.rules, this.ticket.planned), "exec");
  }

  private keep(c: Command, v: ReturnType<typeof evaluate>, source: string) {
    this.pendingCommands.push({ ...c, action: v.action, rule: v.rule ?? null, deviation: v.deviation, source });
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
    const chunks: { seq: number; firstAt: number; lastAt: number; data: string; bytes: number }[] = [];
    if (this.seq === 0 && this.ticket.recording) chunks.push({ seq: this.seq++, firstAt: 0, lastAt: 0, data: this.headerText + "\n", bytes: 0 });
    const chunk = this.ticket.recording ? this.recorder.takeChunk() : null;
    if (chunk) chunks.push({ seq: this.seq++, firstAt: chunk.firstAt, lastAt: chunk.lastAt, data: chunk.text, bytes: chunk.bytes });
    const commands = this.pendingCommands.splice(0);
    const start = this.ticket.connectedAt.getTime();
    await db.transaction(async (tx) => {
      if (chunks.length) await tx.insert(deviceSessionChunks).values(chunks.map((c) => ({ sessionId: this.ticket.sessionId, ...c })));
      if (commands.length) {
        await tx.insert(deviceSessionCommands).values(
          commands.map((c) => ({
            sessionId: this.ticket.sessionId,
            seq: this.commandSeq++,
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
          recordingBytes: sql`${deviceSessions.recordingBytes} + ${chunk?.bytes ?? 0}`,
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
