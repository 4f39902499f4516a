import type { RouterOutputs } from "@/components/router-types";

type CatalogChange = RouterOutputs["catalog"]["sync"]["byId"]["changes"][number];

const GROUPS: { change: CatalogChange["change"]; title: string }[] = [
  { change: "added", title: "Added" },
  { change: "restored", title: "Back in the directory" },
  { change: "updated", title: "Updated" },
  { change: "removed", title: "Removed from the directory" },
];

const FIELD_LABEL: Record<string, string> = {
  name: "Name",
  model: "Model",
  type: "Type",
  dn: "DN",
  website: "Website",
  username: "Username",
  displayName: "Display name",
  deviceNames: "Devices",
};

function show(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "—";
  return String(value);
}

/** What one sync changed, grouped by kind of change, with old → new for updated fields. */
export function SyncChanges({ changes, total }: { changes: CatalogChange[]; total: number }) {
  if (total === 0) return <p className="text-sm text-slate-600">Nothing changed: the catalog already matched the directory.</p>;
  return (
    <div className="space-y-4">
      {changes.length < total && (
        <p className="text-xs text-slate-500">
          Showing the first {changes.length} of {total} changes.
        </p>
      )}
      {GROUPS.map(({ change, title }) => {
        const items = changes.filter((c) => c.change === change);
        if (items.length === 0) return null;
        return (
          <section key={change} aria-label={title}>
            <h4 className="text-sm font-semibold text-slate-800">
              {title} ({items.length})
            </h4>
            <ul className="mt-1 divide-y divide-slate-100 rounded-md border border-slate-200 bg-white">
              {items.map((c, i) => (
                <li key={`${c.kind}-${c.name}-${i}`} className="px-3 py-2 text-sm">
                  <span className="mr-2 text-xs text-slate-500 uppercase">{c.kind === "device" ? "Device" : "Credential"}</span>
                  <span className="font-medium break-words text-slate-900">{c.name}</span>
                  {c.fields && Object.keys(c.fields).length > 0 && (
                    <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-xs">
                      {Object.entries(c.fields).map(([field, diff]) => (
                        <div key={field} className="contents">
                          <dt className="text-slate-500">{FIELD_LABEL[field] ?? field}</dt>
                          <dd className="min-w-0 break-words text-slate-700">
                            <del className="text-red-700">{show(diff.from)}</del> → <ins className="text-emerald-700 no-underline">{show(diff.to)}</ins>
                          </dd>
                        </div>
                      ))}
                    </dl>
                  )}
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
