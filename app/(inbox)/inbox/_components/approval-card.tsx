"use client";

import type { ReactNode } from "react";
import type { RouterOutputs } from "@/components/router-types";
import { Tag } from "@/components/tag";
import { formatMinutes, formatWhen } from "@/components/time";
import { TimelineDisclosure } from "@/components/timeline-disclosure";
import { DecisionForm, type DecideResult } from "./decision-form";

export type InboxItem = RouterOutputs["approvals"]["inbox"][number];

/** The element id a deep link (`/inbox?request=<id>`) scrolls to. */
export function cardId(requestId: string): string {
  return `request-${requestId}`;
}

function Detail({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[7.5rem_minmax(0,1fr)] gap-x-3 py-1">
      <dt className="text-slate-500">{term}</dt>
      <dd className="break-words text-slate-900">{children}</dd>
    </div>
  );
}

function duration(item: InboxItem): ReactNode {
  const shortened = item.approvedDurationMinutes !== null && item.approvedDurationMinutes < item.durationMinutes;
  if (!shortened) return formatMinutes(item.durationMinutes);
  return (
    <>
      {formatMinutes(item.approvedDurationMinutes!)}{" "}
      <span className="text-slate-500">(shortened by an earlier level from the {formatMinutes(item.durationMinutes)} requested)</span>
    </>
  );
}

function extension(item: InboxItem): ReactNode {
  return (
    <>
      extends by {duration(item)}; {item.currentExpiresAt ? <>now ends at {formatWhen(item.currentExpiresAt)}</> : "the access has ended"}
    </>
  );
}

function location(item: InboxItem): string {
  // Regions already carry their country ("FR-IDF").
  return item.locationRegion ?? item.locationCountry ?? "Unknown (no location for the address)";
}

interface ApprovalCardProps {
  item: InboxItem;
  /** The card a link pointed at: highlighted and focused. */
  linked: boolean;
  onDecided: (result: DecideResult) => void;
  onGone: (message: string) => void;
}

export function ApprovalCard({ item, linked, onDecided, onGone }: ApprovalCardProps) {
  return (
    <article
      id={cardId(item.requestId)}
      aria-label={`${item.requester} ${item.privilege}`}
      aria-current={linked ? "true" : undefined}
      // Focusable from script only, so a deep link can move focus here.
      tabIndex={-1}
      className={`scroll-mt-4 rounded-lg border bg-white p-4 shadow-sm outline-none sm:p-5 ${
        linked ? "border-indigo-500 ring-2 ring-indigo-500" : "border-slate-200 focus-visible:ring-2 focus-visible:ring-indigo-500"
      }`}
    >
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h3 className="font-semibold break-words text-slate-900">{item.privilege}</h3>
          <p className="text-sm break-words text-slate-600">
            {item.requesterName || item.requester} <span className="text-slate-500">({item.requester})</span>
          </p>
        </div>
        <div className="flex flex-wrap gap-1.5">
          {linked && <Tag tone="indigo">From your link</Tag>}
          {item.privilegeSet && <Tag tone="violet">Privilege set</Tag>}
          {item.emergency && <Tag tone="red">Emergency</Tag>}
          {item.kind === "extension" && <Tag tone="violet">Extension</Tag>}
          {item.outsideUsualHours && <Tag tone="amber">Outside usual hours</Tag>}
        </div>
      </div>
      {item.startsAt && <p className="mt-2 text-sm font-medium text-sky-800">Scheduled: starts at {formatWhen(item.startsAt)}</p>}

      <dl className="mt-3 divide-y divide-slate-100 text-sm">
        {/* Approving a set grants every one of these privileges (or none, if one cannot be granted). */}
        {item.privilegeSet && <Detail term="Privileges">{(item.setPrivileges ?? []).join(", ")} — all or none</Detail>}
        {item.account && <Detail term="Account">{item.account} (privileged account)</Detail>}
        {item.kind === "extension" ? <Detail term="Extension">{extension(item)}</Detail> : <Detail term="Duration">{duration(item)}</Detail>}
        <Detail term="Justification">{item.justification ? `“${item.justification}”` : <span className="text-slate-500">None given</span>}</Detail>
        {item.changeId && <Detail term="Change ID">{item.changeId}</Detail>}
        {item.governanceCode && <Detail term="Governance code">{item.governanceCode}</Detail>}
        {/* Extensions are not located: they follow the access group's approval rule only. */}
        {(item.kind !== "extension" || item.locationRegion || item.locationCountry) && <Detail term="Location">{location(item)}</Detail>}
        <Detail term="Access group">{item.accessGroup}</Detail>
        <Detail term="Level">
          {item.level} of {item.levels}
        </Detail>
        <Detail term="Requested">{formatWhen(item.requestedAt)}</Detail>
        <Detail term="Decide by">{item.approvalDeadline ? formatWhen(item.approvalDeadline) : "No deadline"}</Detail>
      </dl>

      <TimelineDisclosure requestId={item.requestId} className="mt-3" />

      <DecisionForm item={item} onDecided={onDecided} onGone={onGone} />
    </article>
  );
}
