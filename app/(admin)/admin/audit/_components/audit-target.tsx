"use client";

import { useState } from "react";
import type { AuditEventRow } from "./audit-row";

const TYPE_LABELS: Record<string, string> = {
  user: "person",
  privilege: "privilege",
  privilege_set: "privilege set",
  access_group: "access group",
  device: "device",
  catalog_device: "device",
  credential: "account",
  catalog_credential: "account",
  request: "request",
  grant: "grant",
  device_session: "session",
  group: "AD group",
  catalog_sync: "catalog sync",
  directory: "directory",
  notification: "notification",
  audit_trail: "audit trail",
};

/** The target by name (its id on hover and one click from the clipboard), its kind below; a deleted one says so. */
export function AuditTarget({ event: e }: { event: AuditEventRow }) {
  const [copied, setCopied] = useState(false);
  const kind = TYPE_LABELS[e.targetType] ?? e.targetType.replace(/_/g, " ");
  const name = e.names.target ?? (e.targetId ? null : kind);
  const copy = async () => {
    if (!e.targetId) return;
    await navigator.clipboard.writeText(e.targetId);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <>
      <span className="text-slate-900" title={e.targetId ?? undefined}>
        {name ?? <span className="font-mono text-xs text-slate-600">{e.targetId}</span>}
      </span>
      <div className="flex flex-wrap items-center gap-x-2 text-xs text-slate-500">
        <span>{kind}</span>
        {e.names.targetGone && <span className="rounded bg-amber-50 px-1.5 text-amber-800 ring-1 ring-amber-200">deleted</span>}
        {e.targetId && (
          <button type="button" onClick={() => void copy()} className="rounded px-1 text-indigo-700 hover:bg-indigo-50" title={e.targetId}>
            {copied ? "Copied" : "Copy id"}
            <span className="sr-only"> of {name ?? kind}</span>
          </button>
        )}
      </div>
    </>
  );
}
