"use client";

import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/trpc/client";
import { Loading, QueryError } from "@/components/alerts";
import { Button } from "@/components/button";
import { Card } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { formatDateTime } from "@/components/time";
import { CommandTabs } from "./command-tabs";

type Plan = RouterOutputs["directory"]["setup"];
type Check = Plan["checks"][number];

const STATE: Record<Check["state"], { label: string; className: string }> = {
  ok: { label: "In place", className: "bg-emerald-50 text-emerald-800 ring-emerald-600/30" },
  missing: { label: "Missing", className: "bg-red-50 text-red-800 ring-red-600/30" },
  "not-needed": { label: "Not needed now", className: "bg-slate-100 text-slate-700 ring-slate-500/30" },
};

const VERDICT: Record<Check["objects"][number]["verdict"], string> = {
  allowed: "granted",
  denied: "denied by an explicit deny",
  "not-granted": "not granted",
  absent: "not found in the directory",
  unreadable: "permissions could not be read",
};

export function SetupAssistant() {
  const trpc = useTRPC();
  const plan = useQuery(trpc.directory.setup.queryOptions());
  if (plan.isPending) return <Loading label="Checking the service account's permissions…" />;
  if (plan.isError) return <QueryError message={describeError(plan.error).message} onRetry={() => void plan.refetch()} />;
  const { account, checks, checkedAt } = plan.data;
  const missing = checks.filter((c) => c.state === "missing").length;
  return (
    <div className="space-y-6">
      <Card className="flex flex-wrap items-center justify-between gap-3 px-4 py-3 sm:px-6">
        <p className="text-sm text-slate-700">
          Service account <span className="font-mono text-[13px]">{`${account.netbiosName}\\${account.sam}`}</span> ({account.sid}).{" "}
          {missing === 0 ? "Everything the configuration needs is in place." : `${missing} delegation${missing === 1 ? "" : "s"} missing.`} Checked{" "}
          {formatDateTime(checkedAt)}.
        </p>
        <Button pending={plan.isFetching} onClick={() => void plan.refetch()}>
          {plan.isFetching ? "Checking…" : "Check again"}
        </Button>
      </Card>
      {checks.map((c) => (
        <CheckCard key={c.id} check={c} />
      ))}
    </div>
  );
}

function CheckCard({ check }: { check: Check }) {
  const state = STATE[check.state];
  const headingId = `setup-${check.id}`;
  return (
    <Card>
      <section aria-labelledby={headingId} className="space-y-3 px-4 py-4 sm:px-6">
        <div className="flex flex-wrap items-start justify-between gap-2">
          <h2 id={headingId} className="text-base font-semibold text-slate-900">
            {check.title}
          </h2>
          <span className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${state.className}`}>{state.label}</span>
        </div>
        <p className="text-sm text-slate-700">{check.why}</p>
        <p className="text-sm text-slate-900">
          <span className="font-medium">{check.neededBecause}.</span> {check.detail}.
        </p>
        {check.warning && <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-600/20 ring-inset">{check.warning}</p>}
        {check.objects.length > 0 && (
          <details className="text-sm">
            <summary className="cursor-pointer text-slate-700">
              Objects checked: {check.counts.ok} of {check.counts.checked} in place
              {check.counts.checked > check.objects.length ? ` (the first ${check.objects.length} shown, missing ones first)` : ""}
            </summary>
            <ul className="mt-2 space-y-1">
              {check.objects.map((o) => (
                <li key={o.dn} className="break-all">
                  <span className="font-mono text-[13px]">{o.dn}</span> —{" "}
                  <span className={o.verdict === "allowed" ? "text-emerald-800" : "text-red-800"}>{VERDICT[o.verdict]}</span>
                </li>
              ))}
            </ul>
          </details>
        )}
        {check.byHand.length > 0 && (
          <div className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-600/20 ring-inset">
            <p>These names hold characters that could change what a pasted command does (quotes, $, %, …); delegate on them by hand:</p>
            <ul className="mt-1 list-disc pl-5">
              {check.byHand.map((dn) => (
                <li key={dn} className="font-mono text-[13px] break-all">
                  {dn}
                </li>
              ))}
            </ul>
          </div>
        )}
        {check.delegations.map((d) => (
          <CommandTabs key={d.target} target={d.target} commands={d.commands} />
        ))}
      </section>
    </Card>
  );
}
