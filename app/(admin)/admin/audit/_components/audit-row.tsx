"use client";

import { useId, useState } from "react";
import type { RouterOutputs } from "@/components/router-types";
import { formatDateTime } from "@/components/time";
import { AuditTarget } from "./audit-target";

export type AuditEventRow = RouterOutputs["audit"]["list"][number];

export const td = "px-4 py-2.5 align-top text-sm";

export function AuditRow({ event: e }: { event: AuditEventRow }) {
  const [open, setOpen] = useState(false);
  const detailsId = useId();
  return (
    <>
      <tr className={open ? "bg-slate-50" : undefined}>
        <td className={`${td} whitespace-nowrap text-slate-700 tabular-nums`}>
          <time dateTime={e.at.toISOString()}>{formatDateTime(e.at)}</time>
          <div className="text-xs text-slate-400">#{e.seq}</div>
        </td>
        <td className={td}>
          <span className="text-slate-900" title={e.actorId ?? e.actorName ?? undefined}>
            {e.names.actor}
          </span>
          {e.actorType === "system" && <div className="text-xs text-slate-500">system</div>}
        </td>
        <td className={`${td} font-mono text-xs whitespace-nowrap text-slate-800`}>{e.action}</td>
        <td className={td}>
          <AuditTarget event={e} />
        </td>
        <td className={`${td} text-right`}>
          <button
            type="button"
            aria-expanded={open}
            aria-controls={detailsId}
            onClick={() => setOpen((o) => !o)}
            className="rounded-md px-2 py-1 text-sm font-medium whitespace-nowrap text-indigo-700 hover:bg-indigo-50"
          >
            {open ? "Hide details" : "Details"}
            <span className="sr-only"> of event {e.seq}</span>
          </button>
        </td>
      </tr>
      {open && (
        <tr id={detailsId} className="bg-slate-50">
          <td colSpan={5} className="px-4 pb-4">
            <pre className="max-h-80 overflow-auto rounded-md bg-slate-900 p-3 text-xs leading-relaxed text-slate-100">{JSON.stringify(e.data, null, 2)}</pre>
            <dl className="mt-2 grid gap-x-6 gap-y-1 text-xs text-slate-600 sm:grid-cols-[auto_1fr]">
              <dt className="font-medium">Target</dt>
              <dd className="font-mono break-all">
                {e.targetType} {e.targetId ?? "—"}
              </dd>
              <dt className="font-medium">IP</dt>
              <dd className="font-mono">{e.ip ?? "—"}</dd>
              <dt className="font-medium">User agent</dt>
              <dd className="break-all">{e.userAgent ?? "—"}</dd>
              <dt className="font-medium">Hash</dt>
              <dd className="font-mono break-all">{e.hash}</dd>
            </dl>
          </td>
        </tr>
      )}
    </>
  );
}
