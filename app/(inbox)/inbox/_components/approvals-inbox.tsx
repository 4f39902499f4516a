"use client";

import { useEffect, useRef, useState } from "react";
import { describeError } from "@/trpc/errors";
import { useCallQuery } from "@/trpc/use-call-query";
import { EmptyState, ErrorAlert, Loading, QueryError } from "@/components/alerts";
import { ApprovalCard, cardId, type InboxItem } from "./approval-card";
import type { DecideResult } from "./decision-form";

type Outcome = { tone: "success"; text: string } | { tone: "error"; text: string };

function who(item: InboxItem): string {
  return item.requesterName && item.requesterName !== item.requester ? `${item.requesterName} (${item.requester})` : item.requester;
}

/** What the decision did, in the words the approver expects: the level that comes next, or the end. */
export function outcomeText(item: InboxItem, result: DecideResult): string {
  const about = `${item.privilege} for ${who(item)}.`;
  if (result.status === "denied") return `Denied — ${about}`;
  if (result.status === "approved")
    return item.kind === "extension" ? `Approved — the access is extended: ${about}` : `Approved — access is being granted: ${about}`;
  // The last approval of an extension whose access ended (or reached its maximum) meanwhile.
  if (result.status === "failed") return `Approved, but the extension could not be applied (the access has ended or reached its maximum): ${about}`;
  if (result.level > item.level) return `Approved — level ${result.level} next: ${about}`;
  const missing = "needed" in result && result.needed !== undefined ? result.needed - (result.approvals ?? 0) : 1;
  return `Approved — level ${result.level} still needs ${missing} more approval${missing === 1 ? "" : "s"}: ${about}`;
}

/** Brings the card a link points at into view once, and moves focus to it for keyboard and screen-reader users. */
function useBringIntoView(requestId: string | null, present: boolean) {
  const shown = useRef<string | null>(null);
  useEffect(() => {
    if (!requestId || !present || shown.current === requestId) return;
    const card = document.getElementById(cardId(requestId));
    if (!card) return;
    shown.current = requestId;
    card.scrollIntoView({ block: "start" });
    card.focus({ preventScroll: true });
  }, [requestId, present]);
}

export function ApprovalsInbox({ linkedRequestId, initial }: { linkedRequestId: string | null; initial?: InboxItem[] }) {
  const inbox = useCallQuery("approvals.inbox", { initialData: initial, refetchInterval: 10_000 });
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  // Requests decided on this page: a link to one of them is no longer "missing" once it leaves the list.
  const [decided, setDecided] = useState<readonly string[]>([]);
  const linkedPresent = Boolean(linkedRequestId && inbox.data?.some((item) => item.requestId === linkedRequestId));
  useBringIntoView(linkedRequestId, linkedPresent);
  const linkedGone = Boolean(linkedRequestId && inbox.data && !linkedPresent && !decided.includes(linkedRequestId));

  return (
    <section aria-labelledby="inbox-heading">
      <h2 id="inbox-heading" className="mb-3 text-lg font-semibold text-slate-900">
        Waiting for you
        {inbox.data && inbox.data.length > 0 && <span className="ml-2 text-sm font-normal text-slate-500">({inbox.data.length})</span>}
      </h2>

      {/* Always in the page, so screen readers announce each new outcome. */}
      <div role="status" aria-live="polite" className="mb-3 empty:hidden">
        {outcome?.tone === "success" && (
          <p className="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm break-words text-emerald-800">{outcome.text}</p>
        )}
      </div>
      {outcome?.tone === "error" && <ErrorAlert className="mb-3 break-words">{outcome.text}</ErrorAlert>}
      {linkedGone && (
        <p className="mb-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
          The request you followed a link to is not waiting for your decision: it was decided, cancelled or has moved to another level.
        </p>
      )}

      {inbox.isError ? (
        <QueryError message={describeError(inbox.error).message} onRetry={inbox.refetch} />
      ) : !inbox.data ? (
        <Loading label="Loading requests waiting for you…" />
      ) : inbox.data.length === 0 ? (
        <EmptyState title="Nothing waits for your decision">
          Requests you approve appear here when they reach your level. This page checks every few seconds.
        </EmptyState>
      ) : (
        <ul className="grid gap-4 lg:grid-cols-2">
          {inbox.data.map((item) => (
            <li key={item.requestId} className="min-w-0">
              <ApprovalCard
                item={item}
                linked={item.requestId === linkedRequestId}
                onDecided={(result) => {
                  setDecided((ids) => [...ids, item.requestId]);
                  setOutcome({ tone: "success", text: outcomeText(item, result) });
                }}
                onGone={(message) => setOutcome({ tone: "error", text: `${item.privilege} for ${who(item)}: ${message}` })}
              />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
