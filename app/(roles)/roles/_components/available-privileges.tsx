"use client";

import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, Loading, QueryError } from "@/components/alerts";
import type { RouterOutputs } from "@/components/router-types";
import { PrivilegeCard } from "./privilege-card";
import { SetCard } from "./set-card";

type Access = RouterOutputs["requests"]["access"];

const STATE_TEXT = { active: "active", pending: "waiting for an administrator to activate you", suspended: "suspended" } as const;

function MembershipSummary({ access }: { access: Access }) {
  if (access.memberships.length === 0) return null;
  return (
    <p className="mb-4 text-sm text-slate-600">
      Your access groups:{" "}
      {access.memberships.map((m, i) => (
        <span key={m.id}>
          {i > 0 && ", "}
          <span className="font-medium text-slate-800">{m.name}</span> ({m.enabled ? STATE_TEXT[m.state] : "disabled"})
        </span>
      ))}
      . Your location: {access.location}.
    </p>
  );
}

/** What the user's access groups allow right now; refreshed every minute and when the tab regains focus. */
export function AvailablePrivileges() {
  const trpc = useTRPC();
  const access = useQuery({ ...trpc.requests.access.queryOptions(), refetchInterval: 60_000, refetchOnWindowFocus: true });

  return (
    // A div, not a <section>: each card is the smallest region holding its privilege's heading, so a
    // locator such as `article, li, section` filtered by that heading finds the card, not this list.
    <div className="mb-10">
      <h2 id="available-heading" className="mb-3 text-lg font-semibold text-slate-900">
        Available privileges
      </h2>
      {access.isPending ? (
        <Loading label="Loading privileges…" />
      ) : access.isError ? (
        <QueryError message={describeError(access.error).message} onRetry={() => void access.refetch()} />
      ) : (
        <>
          <MembershipSummary access={access.data} />
          {access.data.privileges.length === 0 && access.data.sets.length === 0 ? (
            <EmptyState title={access.data.memberships.length === 0 ? "You are not in any access group" : "Your access groups allow no privilege right now"}>
              Interim administrators decide who may request what through access groups. Ask yours to add you to the group for the privilege you need.
            </EmptyState>
          ) : (
            <div className="grid gap-4 md:grid-cols-2">
              {access.data.privileges.map((entry) => (
                <PrivilegeCard key={entry.privilege.id} entry={entry} />
              ))}
            </div>
          )}
          {access.data.sets.length > 0 && (
            <>
              <h3 className="mt-8 mb-1 text-base font-semibold text-slate-900">Privilege sets</h3>
              <p className="mb-3 text-sm text-slate-600">Several privileges in one request, for a privileged account: granted together, or none of them.</p>
              <div className="grid gap-4 md:grid-cols-2">
                {access.data.sets.map((entry) => (
                  <SetCard key={entry.set.id} entry={entry} />
                ))}
              </div>
            </>
          )}
        </>
      )}
    </div>
  );
}
