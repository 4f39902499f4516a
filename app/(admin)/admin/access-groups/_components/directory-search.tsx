"use client";

import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { describeError } from "@/trpc/client";
import { Loading, QueryError } from "@/components/alerts";
import { Dn } from "@/components/dn";
import { Field, controlClass } from "@/components/form-field";

/* The directory search of the Approvers and Users tabs: the box, what shows under it, and who each result is. */

export function DirectorySearchBox({ id, label, value, onChange }: { id: string; label: string; value: string; onChange: (value: string) => void }) {
  return (
    <Field id={id} label={label} hint="Name, account name or display name.">
      <input
        id={id}
        type="search"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        maxLength={64}
        autoComplete="off"
        aria-describedby={`${id}-hint`}
        className={controlClass(false)}
      />
    </Field>
  );
}

/** Nothing until something is typed (`term`), then progress, failure, `noMatch`, or the results in a list named `label`. */
export function DirectoryResults<T>(props: {
  term: string;
  results: UseQueryResult<T[], unknown>;
  noMatch: ReactNode;
  label: string;
  children: (found: T[]) => ReactNode;
}) {
  const { results } = props;
  if (props.term === "") return null;
  if (results.isPending) return <Loading label="Searching the directory…" />;
  if (results.isError) return <QueryError message={describeError(results.error).message} onRetry={() => void results.refetch()} />;
  if (results.data.length === 0) return <p className="text-sm text-slate-600">{props.noMatch}</p>;
  return (
    <ul aria-label={props.label} aria-busy={results.isFetching} className={`divide-y divide-slate-100 ${results.isPlaceholderData ? "opacity-60" : ""}`}>
      {props.children(results.data)}
    </ul>
  );
}

interface Principal {
  name: string;
  displayName: string;
  dn: string;
  disabled: boolean;
}

/** Who a result is. `showName` adds the account name after the display name; `mark` says it is already taken ("listed", "member"). */
export function PrincipalSummary({ principal, showName, mark }: { principal: Principal; showName: boolean; mark: string | null }) {
  return (
    <div className="min-w-0 flex-1 basis-60">
      <p className="text-sm font-medium break-words text-slate-900">
        {principal.displayName} {showName && <span className="font-normal text-slate-500">({principal.name})</span>}
        {principal.disabled && <span className="ml-2 text-xs text-red-700">disabled in the directory</span>}
        {mark && <span className="ml-2 text-xs text-emerald-700">{mark}</span>}
      </p>
      <p className="text-xs text-slate-500">
        <Dn value={principal.dn} />
      </p>
    </div>
  );
}
