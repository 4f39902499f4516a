"use client";

import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/trpc/client";
import { Loading, QueryError } from "@/components/alerts";
import { Dn } from "@/components/dn";
import { Card } from "@/components/page-heading";
import { KindTag, When } from "./drift-bits";

const LIMIT = 20;

/** The latest findings that closed: who or what took the member out, or that it left by itself. */
export function ResolvedFindings() {
  const trpc = useTRPC();
  const resolved = useQuery(trpc.drift.resolved.queryOptions({ limit: LIMIT }));

  return (
    <section aria-labelledby="drift-resolved-heading" className="mb-10">
      <details className="group">
        <summary className="cursor-pointer text-lg font-semibold text-slate-900">
          <h2 id="drift-resolved-heading" className="inline">
            Recently resolved
          </h2>
        </summary>
        <div className="mt-3">
          {resolved.isPending ? (
            <Loading label="Loading resolved findings…" />
          ) : resolved.isError ? (
            <QueryError message={describeError(resolved.error).message} onRetry={() => void resolved.refetch()} />
          ) : resolved.data.length === 0 ? (
            <p className="text-sm text-slate-600">Nothing resolved yet.</p>
          ) : (
            <Card>
              <ul className="divide-y divide-slate-100">
                {resolved.data.map((f) => (
                  <li key={f.id} className="px-4 py-3 text-sm sm:px-6">
                    <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
                      <p className="min-w-0 break-words text-slate-900">
                        <span className="font-medium">{f.memberName}</span> in {f.privilege}
                      </p>
                      <When at={f.clearedAt} className="text-xs whitespace-nowrap text-slate-500" />
                    </div>
                    <div className="mt-1 flex flex-wrap items-center gap-2 text-xs text-slate-600">
                      <KindTag kind={f.kind} />
                      <span>
                        {f.resolution === "removed"
                          ? f.resolvedBy
                            ? `Removed by ${f.resolvedBy}`
                            : "Removed automatically"
                          : "Left the group outside Interim"}
                      </span>
                    </div>
                    <Dn value={f.groupDn} className="mt-1 block text-xs text-slate-500" />
                  </li>
                ))}
              </ul>
            </Card>
          )}
        </div>
      </details>
    </section>
  );
}
