"use client";

import { useId } from "react";
import { Tag } from "@/components/tag";
import { formatMinutes } from "@/components/time";
import { CardRequest, UnavailableNote } from "./card-request";
import { setTarget, type AvailableSet } from "./request-target";

/** A privilege set the requester may ask for: its privileges are granted together, or none of them. */
export function SetCard({ entry }: { entry: AvailableSet }) {
  const { set, privileges, accounts, ownAccount, verdict } = entry;
  const headingId = useId();
  const formId = useId();
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
      <UnavailableNote verdict={verdict} />
      <CardRequest formId={formId} target={setTarget(entry)} />
    </article>
  );
}
