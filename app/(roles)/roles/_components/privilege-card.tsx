"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId } from "react";
import { useTRPC } from "@/trpc/client";
import { Tag } from "@/components/tag";
import { formatMinutes } from "@/components/time";
import { CardRequest, UnavailableNote } from "./card-request";
import { privilegeTarget, type AvailableEntry } from "./request-target";

/** Three accounts by name; more as a count (the form lists them all). */
function accountsText({ accountCount, accountSample }: AvailableEntry): string {
  if (accountCount === 0) return "";
  if (accountCount <= 3) return ` · also for ${accountSample.join(", ")}`;
  return ` · also for ${accountCount} privileged accounts`;
}

/** Stars a privilege: starred ones come first on this page, for this person only. */
function FavouriteButton({ entry }: { entry: AvailableEntry }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toggle = useMutation(
    trpc.requests.favourite.mutationOptions({ onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.requests.access.pathKey() }) }),
  );
  const on = toggle.isPending ? toggle.variables.favourite : entry.favourite;
  return (
    <button
      type="button"
      aria-pressed={on}
      aria-label={on ? `Remove ${entry.privilege.name} from favourites` : `Add ${entry.privilege.name} to favourites`}
      title={on ? "Favourite: listed first" : "Add to favourites"}
      onClick={() => toggle.mutate({ privilegeId: entry.privilege.id, favourite: !on })}
      className="-m-1 rounded p-1 text-lg leading-none text-amber-500 hover:bg-amber-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
    >
      {on ? "★" : "☆"}
    </button>
  );
}

export function PrivilegeCard({ entry }: { entry: AvailableEntry }) {
  const { privilege, verdict } = entry;
  const headingId = useId();
  const formId = useId();

  return (
    <article aria-labelledby={headingId} className="flex flex-col rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="flex min-w-0 items-start gap-2">
          <FavouriteButton entry={entry} />
          <h3 id={headingId} className="text-base font-semibold break-words text-slate-900">
            {privilege.name}
          </h3>
        </div>
        <span className="rounded-md bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">Up to {privilege.maxDurationMinutes} min</span>
      </div>
      <p className="mt-1 text-sm text-slate-600">{privilege.description || "No description."}</p>
      {(privilege.tags.length > 0 || entry.recent) && (
        <div className="mt-2 flex flex-wrap gap-1.5">
          {entry.recent && <Tag tone="sky">Recently requested</Tag>}
          {privilege.tags.map((t) => (
            <Tag key={t} tone="slate">
              {t}
            </Tag>
          ))}
        </div>
      )}
      <p className="mt-2 text-xs text-slate-500">
        Default {formatMinutes(privilege.defaultDurationMinutes)}
        {privilege.allowExtension ? " · can be extended" : ""}
        {accountsText(entry)}
        {verdict.ok ? ` · via ${verdict.group}${verdict.requiresApproval ? " (needs approval)" : ""}` : ""}
      </p>
      <UnavailableNote verdict={verdict} />
      <CardRequest formId={formId} target={privilegeTarget(entry)} />
    </article>
  );
}
