"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";
import { Button } from "@/components/button";
import { controlClass } from "@/components/form-field";

export interface AuditFilterValues {
  q: string;
  action: string;
  actor: string;
  from: string;
  to: string;
}

export const NO_FILTERS: AuditFilterValues = { q: "", action: "", actor: "", from: "", to: "" };

const label = "block text-sm font-medium text-slate-800";

export function AuditFilters({ value, onChange }: { value: AuditFilterValues; onChange: (v: AuditFilterValues) => void }) {
  const trpc = useTRPC();
  const actions = useQuery({ ...trpc.audit.actions.queryOptions(), staleTime: Infinity });
  const set = (patch: Partial<AuditFilterValues>) => onChange({ ...value, ...patch });
  const filtered = value.q || value.action || value.actor || value.from || value.to;

  return (
    <fieldset className="mb-4 grid gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-2 lg:grid-cols-[1fr_1fr_1fr_1fr_auto] lg:items-end">
      <legend className="sr-only">Filters</legend>
      <div className="space-y-1 sm:col-span-2 lg:col-span-5">
        <label htmlFor="audit-q" className={label}>
          Search the trail
        </label>
        <input
          id="audit-q"
          type="search"
          value={value.q}
          maxLength={100}
          placeholder="Words of the action, actor, target or event data"
          onChange={(e) => set({ q: e.target.value })}
          className={controlClass(false)}
        />
      </div>
      <div className="space-y-1">
        <label htmlFor="audit-action" className={label}>
          Action
        </label>
        <select id="audit-action" value={value.action} onChange={(e) => set({ action: e.target.value })} className={controlClass(false)}>
          <option value="">All actions</option>
          {actions.data?.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </div>
      <div className="space-y-1">
        <label htmlFor="audit-actor" className={label}>
          Actor
        </label>
        <input
          id="audit-actor"
          type="search"
          value={value.actor}
          maxLength={128}
          placeholder="Username or interim-worker"
          onChange={(e) => set({ actor: e.target.value })}
          className={controlClass(false)}
        />
      </div>
      <div className="space-y-1">
        <label htmlFor="audit-from" className={label}>
          From
        </label>
        <input id="audit-from" type="datetime-local" value={value.from} onChange={(e) => set({ from: e.target.value })} className={controlClass(false)} />
      </div>
      <div className="space-y-1">
        <label htmlFor="audit-to" className={label}>
          To
        </label>
        <input id="audit-to" type="datetime-local" value={value.to} onChange={(e) => set({ to: e.target.value })} className={controlClass(false)} />
      </div>
      <Button variant="ghost" className="justify-self-start" onClick={() => onChange(NO_FILTERS)} disabled={!filtered}>
        Clear filters
      </Button>
    </fieldset>
  );
}
