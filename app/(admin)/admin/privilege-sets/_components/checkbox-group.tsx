"use client";

import type { ReactNode } from "react";
import { FieldNotes } from "@/components/form-field";

export interface CheckboxOption {
  id: string;
  label: string;
  /** A second line: a DN, a display name, a limit. */
  detail?: ReactNode;
  /** Not offered (a disabled privilege); still shown, and uncheckable, when already chosen. */
  unavailable?: boolean;
}

interface CheckboxGroupProps {
  id: string;
  legend: string;
  hint?: ReactNode;
  error?: string;
  options: readonly CheckboxOption[];
  value: readonly string[];
  onChange: (ids: string[]) => void;
  empty: string;
}

/** A list of checkboxes whose value is the array of checked ids, in a box that scrolls when long. */
export function CheckboxGroup({ id, legend, hint, error, options, value, onChange, empty }: CheckboxGroupProps) {
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  const toggle = (optionId: string, checked: boolean) => onChange(checked ? [...value, optionId] : value.filter((v) => v !== optionId));
  return (
    <fieldset aria-describedby={describedBy} className="space-y-1">
      <legend className="text-sm font-medium text-slate-800">{legend}</legend>
      <FieldNotes id={id} hint={hint} error={error} />
      {options.length === 0 ? (
        <p className="rounded-md border border-dashed border-slate-300 px-3 py-2 text-sm text-slate-600">{empty}</p>
      ) : (
        <ul className={`max-h-64 divide-y divide-slate-100 overflow-y-auto rounded-md border ${error ? "border-red-500" : "border-slate-300"}`}>
          {options.map((o) => {
            const checked = value.includes(o.id);
            const optionId = `${id}-${o.id}`;
            return (
              <li key={o.id} className="flex items-start gap-2 px-3 py-2">
                <input
                  id={optionId}
                  type="checkbox"
                  checked={checked}
                  disabled={o.unavailable && !checked}
                  onChange={(e) => toggle(o.id, e.target.checked)}
                  className="mt-0.5 size-4 shrink-0 rounded border-slate-300 accent-indigo-600"
                />
                <label htmlFor={optionId} className="min-w-0 text-sm text-slate-800">
                  {o.label}
                  {o.detail && <span className="block text-xs break-words text-slate-500">{o.detail}</span>}
                </label>
              </li>
            );
          })}
        </ul>
      )}
    </fieldset>
  );
}
