"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { ConfirmButton } from "@/components/confirm-button";
import { Countdown } from "@/components/countdown";
import { StateBadge, type GrantState } from "@/components/state-badge";
import { Tag } from "@/components/tag";
import { formatMinutes, formatWhen } from "@/components/time";
import { TimelineDisclosure } from "@/components/timeline-disclosure";
import { useNow } from "@/components/use-now";
import type { ExtendResult } from "./extend-form";
import { dcList, isScheduled, removalPending, rowId, unconfirmedOn, waitingFor, type MyRequest } from "./my-request";
import { ProgressSteps } from "./progress-steps";

// Loaded when someone extends: the form (zod, react-hook-form) need not be in the page's first scripts.
const ExtendForm = dynamic(() => import("./extend-form").then((m) => m.ExtendForm), {
  loading: () => <p className="mt-3 text-sm text-slate-500">Loading the form…</p>,
});

/** A request without a grant (never approved) still needs one of the grant badges. */
function displayState(r: MyRequest): GrantState {
  if (r.grantState) return r.grantState;
  if (r.status === "failed") return "failed";
  if (r.status === "denied" || r.status === "cancelled") return "revoked";
  if (r.status === "expired") return "expired";
  return "pending";
}

function waitingText(r: MyRequest): string {
  const level = r.levels > 0 ? ` — level ${r.currentLevel} of ${r.levels}` : "";
  const group = r.accessGroup ? ` (access group ${r.accessGroup})` : "";
  const start = r.startsAt ? ` Access is scheduled to start at ${formatWhen(r.startsAt)}.` : "";
  return `Waiting for approval${level}${group}.${start}`;
}

/** Where a change stands across the domain controllers, while it spreads (or when one never confirmed it). */
function replicationNote(r: MyRequest): string | null {
  if (r.grantState === "replicating")
    return `Added in the directory; waiting for ${dcList(waitingFor(r))} before access counts as granted. The time runs from the add.`;
  if (removalPending(r)) return `Removing — waiting for ${dcList(waitingFor(r))} to drop the membership.`;
  const unconfirmed = unconfirmedOn(r);
  if (r.grantState === "active" && unconfirmed.length)
    return `${dcList(unconfirmed)} did not confirm the membership in time: signing in through it may not give this access yet.`;
  return null;
}

function outcome(r: MyRequest): string | null {
  // A rolled-back privilege set says which privilege failed and that the others were taken back.
  if (r.status === "failed" && r.outcomeComment) return r.outcomeComment;
  if (r.status === "denied") return `Denied${r.decidedAt ? ` at ${formatWhen(r.decidedAt)}` : ""}${r.outcomeComment ? `: “${r.outcomeComment}”` : "."}`;
  if (r.status === "cancelled" && !r.grantId) return `You cancelled this request${r.decidedAt ? ` at ${formatWhen(r.decidedAt)}` : ""}.`;
  if (r.status === "expired") return "Nobody decided before the deadline; the request expired.";
  if (r.status === "pending" && !r.grantId) return waitingText(r);
  if (r.grantState === "revoked" && !r.activatedAt) return `Cancelled before access was granted${r.removedAt ? ` at ${formatWhen(r.removedAt)}` : ""}.`;
  if (r.endReason === "ended_early") return r.grantState === "revoked" ? `You ended this early at ${formatWhen(r.removedAt)}.` : "Ending now at your request…";
  if (r.endReason === "revoked")
    return r.grantState === "revoked" ? `Revoked by an administrator at ${formatWhen(r.removedAt)}.` : "Revoked by an administrator; removing now…";
  if (r.grantState === "expired") return `Expired and removed at ${formatWhen(r.removedAt)}.`;
  if (r.grantState === "failed") return "Interim could not add you to the group. Try again later or contact an administrator.";
  return null;
}

/** Minutes the grant may still be extended by: the privilege's maximum in total less what it already spans. */
function roomToExtend(r: MyRequest): number {
  if (!r.activatedAt || !r.expiresAt) return 0;
  // Rounded up, as the server counts it (server/grants/extend.ts).
  const spans = Math.ceil((new Date(r.expiresAt).getTime() - new Date(r.activatedAt).getTime()) / 60_000);
  return Math.max(0, r.maxTotalMinutes - spans);
}

/** Why a link to extend this grant cannot be followed; null when it can. */
function whyNotExtendable(r: MyRequest, room: number): string | null {
  if (r.grantState !== "active" || r.endReason) return "it is not active.";
  if (r.privilegeSet) return "access granted as a privilege set cannot be extended; ask for the set again when it ends.";
  if (!r.allowExtension) return `"${r.privilege}" cannot be extended.`;
  if (r.pendingExtension) return "an extension is already waiting for approval.";
  if (room <= 0) return `it has reached its maximum of ${formatMinutes(r.maxTotalMinutes)} in total.`;
  return null;
}

function ScheduledStart({ startsAt }: { startsAt: Date }) {
  const now = useNow();
  const started = now !== null && startsAt.getTime() <= now;
  return (
    <span className="text-sm font-medium text-slate-800">
      {started ? "Starting now…" : `Scheduled — starts at ${formatWhen(startsAt)}`}
      {/* A countdown helps for today; days ahead, the date says more. */}
      {now !== null && !started && startsAt.getTime() - now < 86_400_000 && (
        <Countdown until={startsAt} prefix=" · in" className="font-normal text-slate-600" />
      )}
    </span>
  );
}

const HOUR_MS = 3_600_000;

/**
 * When access truly ends. Removing a member does not shrink Kerberos tickets already issued, so
 * access can persist in them up to the max ticket age after removal; a TTL membership made the
 * KDC cap every ticket at the TTL instead.
 */
function kerberosNote(r: MyRequest, facts: { maxTicketAgeHours: number; ttlGrantIds: string[] }, state: GrantState): string | null {
  const ttl = r.grantId !== null && facts.ttlGrantIds.includes(r.grantId);
  const n = facts.maxTicketAgeHours;
  const plus = (d: Date | string) => formatWhen(new Date(new Date(d).getTime() + n * HOUR_MS));
  if ((state === "active" || state === "replicating") && r.expiresAt && !r.endReason) {
    return ttl
      ? `Membership with a TTL: the KDC caps Kerberos tickets at it, so access ends at ${formatWhen(r.expiresAt)}.`
      : `Kerberos tickets issued before removal stay valid up to ${n} h: access can persist in them until ${plus(r.expiresAt)}.`;
  }
  if ((state === "expired" || state === "revoked") && r.activatedAt && r.removedAt) {
    const removed = `Removed from AD at ${formatWhen(r.removedAt)}.`;
    if (!ttl) return `${removed} Tickets issued before may work until ${plus(r.removedAt)}.`;
    if (!r.endReason || r.endReason === "expired") return `${removed} Kerberos tickets were capped at the membership's TTL: none outlived it.`;
    // Ended early: tickets keep the TTL they were issued with (the grant's planned end, never past its window).
    const planned = new Date(r.activatedAt).getTime() + r.durationMinutes * 60_000;
    const ttlEnd = r.windowEndsAt ? Math.min(planned, new Date(r.windowEndsAt).getTime()) : planned;
    const until = Math.min(ttlEnd, new Date(r.removedAt).getTime() + n * HOUR_MS);
    return `${removed} Tickets issued before keep the membership's TTL and may work until ${formatWhen(new Date(until))}.`;
  }
  return null;
}

/** A set request's privileges, each with its grant's state once granted. */
function SetGrants({ request: r }: { request: MyRequest }) {
  if (!r.privilegeSet) return null;
  if (r.setGrants.length === 0) {
    return <p className="mt-2 text-sm text-slate-600">Privileges: {(r.setPrivileges ?? []).join(", ")}</p>;
  }
  return (
    <ul aria-label={`Privileges of ${r.privilege}`} className="mt-3 divide-y divide-slate-100 rounded-md border border-slate-200">
      {r.setGrants.map((g) => (
        <li key={g.grantId} className="flex flex-wrap items-center justify-between gap-2 px-3 py-2 text-sm">
          <span className="min-w-0 break-words text-slate-800">{g.privilege}</span>
          <StateBadge state={g.state} />
        </li>
      ))}
    </ul>
  );
}

interface AccessRowProps {
  request: MyRequest;
  /** A link pointed at this request: highlighted. */
  linked?: boolean;
  /** A link asked to extend this grant: the extend form starts open. */
  extendLinked?: boolean;
}

export function AccessRow({ request: r, linked = false, extendLinked = false }: AccessRowProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const endEarly = useMutation(
    trpc.grants.endEarly.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.requests.mine.pathKey() }),
    }),
  );

  const cancel = useMutation(
    trpc.requests.cancel.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.requests.mine.pathKey() }),
    }),
  );

  // One query for all rows (react-query shares it): the max ticket age comes from the server's env.
  const kerberos = useQuery(trpc.grants.kerberos.queryOptions());

  const state = displayState(r);
  const scheduled = isScheduled(r);
  const ending = Boolean(r.endReason);
  const canEnd = r.grantId && !ending && (state === "active" || state === "replicating" || state === "pending" || state === "provisioning");
  const note = outcome(r);
  const replication = replicationNote(r);
  const ticketNote = kerberos.data && !scheduled ? kerberosNote(r, kerberos.data, state) : null;
  const room = roomToExtend(r);
  const notExtendable = whyNotExtendable(r, room);
  const canExtend = notExtendable === null && r.grantId !== null && r.expiresAt !== null;

  const [extending, setExtending] = useState(extendLinked && canExtend);
  const [extended, setExtended] = useState<ExtendResult | null>(null);

  return (
    <li
      id={rowId(r.requestId)}
      aria-label={r.privilege}
      aria-current={linked ? "true" : undefined}
      // Focusable from script only, so a link can move focus here.
      tabIndex={-1}
      className={`scroll-mt-4 rounded-lg border bg-white p-4 shadow-sm outline-none sm:p-5 ${
        linked ? "border-indigo-500 ring-2 ring-indigo-500" : "border-slate-200 focus-visible:ring-2 focus-visible:ring-indigo-500"
      }`}
    >
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h3 className="font-semibold break-words text-slate-900">{r.privilege}</h3>
          <p className="text-xs text-slate-500">
            {formatMinutes(r.durationMinutes)} · requested {formatWhen(r.requestedAt)}
            {r.account ? ` · for ${r.account}` : ""}
            {r.accessGroup ? ` · via ${r.accessGroup}` : ""}
            {r.extendedMinutes ? ` · extended by ${formatMinutes(r.extendedMinutes)}` : ""}
          </p>
        </div>
        <div className="flex flex-wrap gap-1.5">
          {linked && <Tag tone="indigo">From your link</Tag>}
          {r.privilegeSet && <Tag tone="violet">Privilege set</Tag>}
          {r.emergency && <Tag tone="red">Emergency</Tag>}
          {scheduled ? <Tag tone="sky">Scheduled</Tag> : <StateBadge state={state} />}
        </div>
      </div>

      {r.justification && <p className="mt-2 text-sm break-words text-slate-600">“{r.justification}”</p>}

      <SetGrants request={r} />

      <ProgressSteps request={r} />

      {(state === "active" || canEnd) && (
        <div className="mt-4 flex flex-wrap items-center justify-between gap-3">
          {scheduled && r.startsAt ? (
            <ScheduledStart startsAt={new Date(r.startsAt)} />
          ) : (state === "active" || state === "replicating") && r.expiresAt ? (
            <Countdown until={new Date(r.expiresAt)} className="text-sm font-medium text-slate-800" />
          ) : (
            <span className="text-sm text-slate-500">Waiting for the directory…</span>
          )}
          <div className="flex flex-wrap gap-2">
            {canExtend && !extending && (
              <Button
                onClick={() => {
                  setExtended(null);
                  setExtending(true);
                }}
              >
                Extend
              </Button>
            )}
            {canEnd && (
              <ConfirmButton
                // A set is held as one: ending it ends every privilege in it.
                label={scheduled ? "Cancel scheduled access" : r.privilegeSet ? "End all now" : "End now"}
                confirmLabel={scheduled ? "Confirm cancel" : r.privilegeSet ? "Confirm end all now" : "Confirm end now"}
                pendingLabel={scheduled ? "Cancelling…" : "Ending…"}
                pending={endEarly.isPending}
                onConfirm={() => endEarly.mutateAsync({ grantId: r.grantId! })}
              />
            )}
          </div>
        </div>
      )}

      {extending && canExtend && (
        <ExtendForm
          grantId={r.grantId!}
          privilege={r.privilege}
          room={room}
          maxTotalMinutes={r.maxTotalMinutes}
          windowEndsAt={r.windowEndsAt ? new Date(r.windowEndsAt) : null}
          onCancel={() => setExtending(false)}
          onDone={(result) => {
            setExtending(false);
            setExtended(result);
          }}
        />
      )}
      {extendLinked && !canExtend && (
        <p className="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
          You followed a link to extend this access, but it cannot be extended: {notExtendable ?? "it is not active."}
        </p>
      )}
      {/* The server's word once the list has refreshed: the extension waits, or the end has moved. */}
      <div role="status" className="empty:hidden">
        {r.pendingExtension ? (
          <p className="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
            Extension of {formatMinutes(r.pendingExtension.minutes)} waiting for approval.
          </p>
        ) : extended?.status === "approved" ? (
          <p className="mt-3 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
            Extended until {formatWhen(extended.expiresAt)}.
          </p>
        ) : null}
      </div>

      {r.status === "pending" && !r.grantId && (
        <div className="mt-4 flex justify-end">
          <ConfirmButton
            label="Cancel request"
            confirmLabel="Confirm cancel"
            pendingLabel="Cancelling…"
            pending={cancel.isPending}
            onConfirm={() => cancel.mutateAsync({ requestId: r.requestId })}
          />
        </div>
      )}

      {note && <p className="mt-3 text-sm text-slate-600">{note}</p>}
      {replication && <p className="mt-2 text-sm text-sky-900">{replication}</p>}
      {ticketNote && <p className="mt-2 text-xs text-slate-500">{ticketNote}</p>}
      {r.lastError && (
        <p className="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm break-words text-amber-900">
          <span className="font-medium">Last error{(r.attempts ?? 0) > 1 ? ` (attempt ${r.attempts})` : ""}:</span> {r.lastError}
        </p>
      )}
      {endEarly.isError && <ErrorAlert className="mt-3">{describeError(endEarly.error).message}</ErrorAlert>}
      {cancel.isError && <ErrorAlert className="mt-3">{describeError(cancel.error).message}</ErrorAlert>}

      <TimelineDisclosure requestId={r.requestId} className="mt-3 border-t border-slate-100 pt-2" />
    </li>
  );
}
