"use client";

import { useId, useState } from "react";
import { SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { Tag } from "@/components/tag";
import { formatMinutes, formatWhen } from "@/components/time";
import { RequestForm } from "./request-form";
import { setTarget, type AvailableSet } from "./request-target";

/** A privilege set the requester may ask for: its privileges are granted together, or none of them. */
export function SetCard({ entry }: { entry: AvailableSet }) {
  const { set, privileges, accounts, ownAccount, verdict } = entry;
  const headingId = useId();
  const formId = useId();
  const [open, setOpen] = useState(false);
  const [submitted, setSubmitted] = useState<string | null>(null);
  const forAccounts = [...(ownAccount ? ["your own account"] : []), ...accounts.map((a) => a.username)];

  return (
    <article aria-labelledby={headingId} className="flex flex-col rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <h3 id={headingId} className="text-base font-semibold break-words text-slate-900">
          {set.name}
        </h3>
        <div className="flex flex-wrap gap-1.5">
          <Tag tone="violet">Privilege set</Tag>
          <span className="rounded-md bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">Up to {set.maxDurationMinutes} min</span>
        </div>
      </div>
      <p className="mt-1 text-sm text-slate-600">{set.description || "No description."}</p>
      <div className="mt-2 text-sm text-slate-700">
        <span className="text-slate-500">Grants together, all or none:</span>
        <ul aria-label={`Privileges of ${set.name}`} className="mt-1 flex flex-wrap gap-1.5">
          {privileges.map((p) => (
            <li key={p.id} className="rounded-md bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-800">
              {p.name}
            </li>
          ))}
        </ul>
      </div>
      <p className="mt-2 text-xs text-slate-500">
        Default {formatMinutes(set.defaultDurationMinutes)} · for {forAccounts.join(", ")}
        {verdict.ok ? ` · via ${verdict.group}${verdict.requiresApproval ? " (needs approval)" : ""}` : ""}
      </p>
      {!verdict.ok && (
        <p className="mt-2 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
          Not available right now: {verdict.reason}
          {verdict.nextWindowStartsAt ? ` Opens again ${formatWhen(verdict.nextWindowStartsAt)}.` : ""}
        </p>
      )}

      {open ? (
        <RequestForm
          id={formId}
          target={setTarget(entry)}
          onCancel={() => setOpen(false)}
          onSubmitted={(message) => {
            setOpen(false);
            setSubmitted(message);
          }}
        />
      ) : (
        <div className="mt-4 flex flex-wrap items-center gap-3">
          <Button
            variant="primary"
            onClick={() => {
              setSubmitted(null);
              setOpen(true);
            }}
          >
            Request
          </Button>
          {submitted && <SuccessNote className="py-1.5">{submitted}</SuccessNote>}
        </div>
      )}
    </article>
  );
}
