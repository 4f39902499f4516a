"use client";

import { useId } from "react";
import { formatMinutes } from "@/components/time";
import { CardRequest, UnavailableNote } from "./card-request";
import { privilegeTarget, type AvailableEntry } from "./request-target";

export function PrivilegeCard({ entry }: { entry: AvailableEntry }) {
  const { privilege, verdict, accounts } = entry;
  const headingId = useId();
  const formId = useId();

  return (
    <article aria-labelledby={headingId} className="flex flex-col rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <h3 id={headingId} className="text-base font-semibold text-slate-900">
          {privilege.name}
        </h3>
        <span className="rounded-md bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">Up to {privilege.maxDurationMinutes} min</span>
      </div>
      <p className="mt-1 text-sm text-slate-600">{privilege.description || "No description."}</p>
      <p className="mt-2 text-xs text-slate-500">
        Default {formatMinutes(privilege.defaultDurationMinutes)}
        {privilege.allowExtension ? " · can be extended" : ""}
        {accounts.length > 0 ? ` · also for ${accounts.map((a) => a.username).join(", ")}` : ""}
        {verdict.ok ? ` · via ${verdict.group}${verdict.requiresApproval ? " (needs approval)" : ""}` : ""}
      </p>
      <UnavailableNote verdict={verdict} />
      <CardRequest formId={formId} target={privilegeTarget(entry)} />
    </article>
  );
}
