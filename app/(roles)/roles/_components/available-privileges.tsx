"use client";

import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/app/_trpc/client";
import { EmptyState, Loading, QueryError } from "@/components/alerts";
import { PrivilegeCard } from "./privilege-card";

export function AvailablePrivileges() {
  const trpc = useTRPC();
  const privileges = useQuery(trpc.privileges.available.queryOptions());

  return (
    // A div, not a <section>: each card is the smallest region holding its privilege's heading, so a
    // locator such as `article, li, section` filtered by that heading finds the card, not this list.
    <div className="mb-10">
      <h2 id="available-heading" className="mb-3 text-lg font-semibold text-slate-900">
        Available privileges
      </h2>
      {privileges.isPending ? (
        <Loading label="Loading privileges…" />
      ) : privileges.isError ? (
        <QueryError message={describeError(privileges.error).message} onRetry={() => void privileges.refetch()} />
      ) : privileges.data.length === 0 ? (
        <EmptyState title="No privileges are published yet">
          An Interim administrator publishes Active Directory groups as privileges. Ask yours to publish the one you need.
        </EmptyState>
      ) : (
        <div className="grid gap-4 md:grid-cols-2">
          {privileges.data.map((p) => (
            <PrivilegeCard key={p.id} privilege={p} />
          ))}
        </div>
      )}
    </div>
  );
}
