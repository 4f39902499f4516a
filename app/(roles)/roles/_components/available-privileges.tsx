"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { Suspense, useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, Loading, QueryError } from "@/components/alerts";
import { Button } from "@/components/button";
import { controlClass } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { useDebounced } from "@/components/use-debounced";
import { ACCESS_FIRST_INPUT, nextCursor } from "./access-query";
import { PrivilegeCard } from "./privilege-card";
import { SetCard } from "./set-card";

type AccessPage = RouterOutputs["requests"]["access"];

const STATE_TEXT = { active: "active", pending: "waiting for an administrator to activate you", suspended: "suspended" } as const;

function MembershipSummary({ first }: { first: AccessPage }) {
  if (first.memberships.length === 0) return null;
  return (
    <p className="mb-4 text-sm text-slate-600">
      Your access groups:{" "}
      {first.memberships.map((m, i) => (
        <span key={m.id}>
          {i > 0 && ", "}
          <span className="font-medium text-slate-800">{m.name}</span> ({m.enabled ? STATE_TEXT[m.state] : "disabled"})
        </span>
      ))}
      . Your location: {first.location}.
    </p>
  );
}

/** Search by name, description or tag, and one tag to narrow to. */
function Filters({
  search,
  setSearch,
  tag,
  setTag,
  tags,
}: {
  search: string;
  setSearch: (v: string) => void;
  tag: string;
  setTag: (v: string) => void;
  tags: string[];
}) {
  return (
    <div className="mb-4 flex flex-col gap-2 sm:flex-row" role="search">
      <label className="sr-only" htmlFor="privilege-search">
        Search privileges
      </label>
      <input
        id="privilege-search"
        type="search"
        value={search}
        maxLength={100}
        onChange={(e) => setSearch(e.target.value)}
        placeholder="Search privileges"
        className={`${controlClass(false)} sm:max-w-sm`}
      />
      {tags.length > 0 && (
        <>
          <label className="sr-only" htmlFor="privilege-tag">
            Tag
          </label>
          <select id="privilege-tag" value={tag} onChange={(e) => setTag(e.target.value)} className={`${controlClass(false)} sm:max-w-xs`}>
            <option value="">All tags</option>
            {tags.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </>
      )}
    </div>
  );
}

/**
 * What the user's access groups allow right now, a page at a time: favourites first, then what they
 * asked for lately, then by name. Refreshed every minute and when the tab regains focus.
 */
export function AvailablePrivileges() {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [tag, setTag] = useState("");
  const input = { ...ACCESS_FIRST_INPUT, search: useDebounced(search.trim(), 250), tag };
  const access = useInfiniteQuery({
    ...trpc.requests.access.infiniteQueryOptions(input, { getNextPageParam: nextCursor }),
    refetchInterval: 60_000,
    refetchOnWindowFocus: true,
    placeholderData: keepPreviousData,
  });
  // The tags and memberships come with the unfiltered first page; kept while filters change.
  const [known, setKnown] = useState<AccessPage | null>(null);
  const first = access.data?.pages[0];
  if (first && first.tags.length + first.memberships.length > 0 && first !== known && input.search === "" && tag === "") setKnown(first);
  const summary = known ?? first;

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
          {summary && <MembershipSummary first={summary} />}
          {first!.available === 0 && (summary?.sets.length ?? 0) === 0 ? (
            <EmptyState
              title={(summary?.memberships.length ?? 0) === 0 ? "You are not in any access group" : "Your access groups allow no privilege right now"}
            >
              Interim administrators decide who may request what through access groups. Ask yours to add you to the group for the privilege you need.
            </EmptyState>
          ) : (
            <>
              {first!.available > 0 && <Filters search={search} setSearch={setSearch} tag={tag} setTag={setTag} tags={summary?.tags ?? []} />}
              <p className="mb-3 text-sm text-slate-600" aria-live="polite">
                {first!.total === first!.available ? `${first!.available} privileges` : `${first!.total} of ${first!.available} privileges match`}
              </p>
              <div className="grid gap-4 md:grid-cols-2">
                {access.data.pages.flatMap((page) =>
                  page.items.map((item) => (
                    // A boundary per card: React hydrates each one apart and yields between them, so a
                    // page of cards is many short tasks on a phone, not one long one (issue 15's TBT).
                    // Nothing in a card suspends; the fallback never shows.
                    <Suspense key={item.privilege.id}>
                      <PrivilegeCard entry={item} />
                    </Suspense>
                  )),
                )}
              </div>
              {access.hasNextPage && (
                <div className="mt-4">
                  <Button pending={access.isFetchingNextPage} onClick={() => void access.fetchNextPage()}>
                    Show more
                  </Button>
                </div>
              )}
            </>
          )}
          {(summary?.sets.length ?? 0) > 0 && (
            <>
              <h3 className="mt-8 mb-1 text-base font-semibold text-slate-900">Privilege sets</h3>
              <p className="mb-3 text-sm text-slate-600">Several privileges in one request, for a privileged account: granted together, or none of them.</p>
              <div className="grid gap-4 md:grid-cols-2">
                {summary!.sets.map((entry) => (
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
