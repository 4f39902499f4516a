import type { RouterOutputs } from "@/components/router-types";

type Preview = Extract<RouterOutputs["configuration"]["preview"], { ok: true }>;
export type ObjectChange = Preview["changes"][number];

const KIND_LABEL: Record<ObjectChange["kind"], string> = {
  directory: "Directory",
  privilege: "Privilege",
  privilegeSet: "Privilege set",
  accessGroup: "Access group",
};

const CHANGE_STYLE: Record<ObjectChange["change"], string> = {
  added: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  changed: "bg-amber-50 text-amber-800 ring-amber-200",
  removed: "bg-red-50 text-red-800 ring-red-200",
};

/** A value as one short line of text (lists and objects as compact YAML-ish JSON). */
function show(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value === "" ? "(empty)" : value;
  return JSON.stringify(value);
}

function FieldRow({ field }: { field: ObjectChange["fields"][number] }) {
  const list = field.added !== undefined || field.removed !== undefined;
  return (
    <div className="border-t border-slate-100 py-2 first:border-t-0">
      <dt className="font-mono text-xs text-slate-700">{field.path}</dt>
      <dd className="mt-1 text-sm break-words">
        {list ? (
          <ul className="space-y-0.5">
            {(field.added ?? []).map((v, i) => (
              <li key={`a${i}`} className="text-emerald-800">
                <span aria-hidden="true">+ </span>
                <span className="sr-only">added: </span>
                {show(v)}
              </li>
            ))}
            {(field.removed ?? []).map((v, i) => (
              <li key={`r${i}`} className="text-red-800">
                <span aria-hidden="true">− </span>
                <span className="sr-only">removed: </span>
                {show(v)}
              </li>
            ))}
            {!field.added?.length && !field.removed?.length && <li className="text-slate-600">order changed</li>}
          </ul>
        ) : (
          <>
            <span className="text-red-800 line-through decoration-red-300">{show(field.before)}</span>
            <span aria-label="becomes" className="mx-1.5 text-slate-400">
              →
            </span>
            <span className="text-emerald-800">{show(field.after)}</span>
          </>
        )}
      </dd>
    </div>
  );
}

/** What an import would change: one card per object, each changed field before → after. */
export function DiffView({ changes }: { changes: ObjectChange[] }) {
  if (changes.length === 0) return <p className="text-sm text-slate-600">The document matches the current configuration: nothing would change.</p>;
  return (
    <ul className="space-y-3">
      {changes.map((c) => (
        <li key={`${c.kind}:${c.key}`} className="rounded-lg border border-slate-200 bg-white p-3 shadow-sm">
          <div className="flex flex-wrap items-center gap-2">
            <span className={`rounded px-1.5 py-0.5 text-xs font-medium ring-1 ${CHANGE_STYLE[c.change]}`}>{c.change}</span>
            <span className="text-xs text-slate-500">{KIND_LABEL[c.kind]}</span>
            <span className="font-medium break-all text-slate-900">{c.name}</span>
          </div>
          {c.fields.length > 0 && (
            <dl className="mt-2">
              {c.fields.map((f) => (
                <FieldRow key={f.path} field={f} />
              ))}
            </dl>
          )}
        </li>
      ))}
    </ul>
  );
}
