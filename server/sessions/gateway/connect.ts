import "server-only";
import { hostname } from "node:os";
import { db } from "@/db";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { endSession } from "../lifecycle";
import { connectDevice, HostKeyMismatch, openExec, openShell, type Pty } from "./device";
import { SessionRelay, type PersonSide } from "./relay";
import { claimSession, peekSession } from "./ticket";

/** This process as a gateway (a live session is pinned to one). */
export const GATEWAY_ID = `${hostname()}:${process.pid}`;

export class SessionRefused extends Error {
  override readonly name = "SessionRefused";
}

/**
 * Claims the session, logs in on the device and starts relaying. Whatever fails after the claim
 * ends the session (failed, with the reason), so its access is taken back at once; a changed host
 * key is audited as such.
 */
export async function openSessionOnDevice(opts: {
  sessionId: string;
  userId: string;
  actor: AuditActor;
  via: "browser" | "ssh";
  pty: Pty;
  /** The person's own password, for sessions that are not on a managed account. */
  password: string | null;
  /** An `exec` request instead of a shell. */
  exec?: string;
  person: PersonSide;
  /** The person may still use Interim (checked every ten seconds while the session lives). */
  stillAllowed?: () => Promise<boolean>;
}): Promise<SessionRelay> {
  const peek = await peekSession(opts.sessionId, opts.userId);
  if (peek.needsPassword && !opts.password) throw new SessionRefused(`This session logs in as ${peek.login}: enter that account's password.`);
  const ticket = await claimSession(opts.sessionId, opts.userId, opts.actor, opts.via, GATEWAY_ID);
  if (opts.exec) {
    const verdict = SessionRelay.checkExec(ticket, opts.exec);
    if (verdict.action === "block") {
      await SessionRelay.recordBlockedExec(ticket, opts.exec, verdict.rule ?? null);
      await endSession(ticket.sessionId, "blocked", { error: `The command was blocked by rule "${verdict.rule}".` });
      throw new SessionRefused(`Blocked by rule "${verdict.rule}": the command was not run.`);
    }
  }
  try {
    const client = await connectDevice({
      host: ticket.host,
      port: ticket.port,
      login: ticket.login,
      password: ticket.managedPassword ?? opts.password!,
      hostKey: ticket.hostKey,
    });
    const channel = opts.exec ? await openExec(client, opts.exec, null) : await openShell(client, opts.pty);
    const relay = new SessionRelay(ticket, client, channel, opts.person, opts.pty, Boolean(opts.exec));
    if (opts.exec) relay.recordExec(opts.exec);
    if (opts.stillAllowed) relay.watchAccess(opts.stillAllowed);
    return relay;
  } catch (err) {
    if (err instanceof HostKeyMismatch) {
      await db.transaction((tx) =>
        recordAudit(tx, opts.actor, [
          {
            action: "session.host_key_mismatch",
            targetType: "device_session",
            targetId: ticket.sessionId,
            data: { device: ticket.deviceName, expected: err.expected, received: err.received },
          },
        ]),
      );
      await endSession(ticket.sessionId, "host-key", { failed: true, error: err.message });
      throw new SessionRefused(err.message);
    }
    const message = err instanceof Error ? err.message : String(err);
    await endSession(ticket.sessionId, "failed", { failed: true, error: message });
    throw new SessionRefused(message);
  }
}
