"use client";

import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, Loading, QueryError } from "@/components/alerts";
import { Card } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { formatDateTime, formatWhen } from "@/components/time";
import { EVENT_LABELS } from "@/server/notifications/schemas";

type Delivery = RouterOutputs["accessGroups"]["notifications"]["deliveries"][number];

const STATE: Record<Delivery["state"], { label: string; tone: string }> = {
  queued: { label: "Queued", tone: "bg-amber-50 text-amber-800 ring-amber-600/30" },
  sending: { label: "Sending", tone: "bg-sky-50 text-sky-800 ring-sky-600/30" },
  sent: { label: "Sent", tone: "bg-emerald-50 text-emerald-800 ring-emerald-600/30" },
  failed: { label: "Failed", tone: "bg-red-50 text-red-800 ring-red-600/30" },
};

const th = "px-3 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase";
// Below `sm` each row becomes a small card, with the column names shown inline.
const td = "px-3 py-3 align-top text-sm max-sm:min-w-0 max-sm:p-0";

function MobileLabel({ children }: { children: string }) {
  return <span className="block text-xs text-slate-500 sm:hidden">{children}</span>;
}

function When({ at }: { at: Date | string }) {
  return (
    <time dateTime={new Date(at).toISOString()} title={formatDateTime(at)}>
      {formatWhen(at)}
    </time>
  );
}

/** The group's last 50 deliveries, newest first, refreshed while the tab is open. */
export function RecentDeliveries({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const deliveries = useQuery({ ...trpc.accessGroups.notifications.deliveries.queryOptions({ id: groupId }), refetchInterval: 10_000 });
  return (
    <section aria-labelledby="deliveries-heading" className="mt-10 space-y-3">
      <div>
        <h3 id="deliveries-heading" className="text-lg font-semibold text-slate-900">
          Recent deliveries
        </h3>
        <p className="mt-1 max-w-3xl text-sm text-slate-600">
          The last 50 messages sent for this group&apos;s requests. Failed sends are retried with a growing delay before they are marked failed.
        </p>
      </div>
      {deliveries.isPending ? (
        <Loading label="Loading deliveries…" />
      ) : deliveries.isError ? (
        <QueryError message={describeError(deliveries.error).message} onRetry={() => void deliveries.refetch()} />
      ) : deliveries.data.length === 0 ? (
        <EmptyState title="Nothing sent yet">Messages appear here once a request to this group triggers one of the events chosen above.</EmptyState>
      ) : (
        <Card className="overflow-x-auto">
          <table className="w-full divide-y divide-slate-200 max-sm:block sm:min-w-[820px]">
            <caption className="sr-only">Recent deliveries, newest first</caption>
            <thead className="bg-slate-50 max-sm:sr-only">
              <tr>
                <th scope="col" className={th}>
                  Event
                </th>
                <th scope="col" className={th}>
                  Channel
                </th>
                <th scope="col" className={th}>
                  Recipient
                </th>
                <th scope="col" className={th}>
                  State
                </th>
                <th scope="col" className={th}>
                  Attempts
                </th>
                <th scope="col" className={th}>
                  Last error
                </th>
                <th scope="col" className={th}>
                  Times
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 max-sm:block">
              {deliveries.data.map((d) => (
                <DeliveryRow key={d.id} delivery={d} />
              ))}
            </tbody>
          </table>
        </Card>
      )}
    </section>
  );
}

function DeliveryRow({ delivery: d }: { delivery: Delivery }) {
  const state = STATE[d.state];
  return (
    <tr className="max-sm:grid max-sm:grid-cols-2 max-sm:gap-x-4 max-sm:gap-y-3 max-sm:p-4">
      <td className={`${td} font-medium text-slate-900`}>
        <MobileLabel>Event</MobileLabel>
        {EVENT_LABELS[d.event]}
      </td>
      <td className={td}>
        <MobileLabel>Channel</MobileLabel>
        {d.channel === "email" ? "Email" : "Webhook"}
      </td>
      <td className={`${td} max-w-56 break-words text-slate-700 max-sm:col-span-2 max-sm:max-w-none`}>
        <MobileLabel>Recipient</MobileLabel>
        {d.recipient}
      </td>
      <td className={td}>
        <MobileLabel>State</MobileLabel>
        <span className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${state.tone}`}>{state.label}</span>
      </td>
      <td className={`${td} tabular-nums`}>
        <MobileLabel>Attempts</MobileLabel>
        {d.attempts}
      </td>
      <td className={`${td} max-w-64 text-xs break-words text-slate-700 max-sm:col-span-2 max-sm:max-w-none`}>
        <MobileLabel>Last error</MobileLabel>
        {d.lastError ?? <span className="text-slate-500">None</span>}
      </td>
      <td className={`${td} text-xs whitespace-nowrap text-slate-600 max-sm:col-span-2 max-sm:whitespace-normal`}>
        <MobileLabel>Times</MobileLabel>
        <div>
          Created <When at={d.createdAt} />
        </div>
        {d.sentAt ? (
          <div>
            Sent <When at={d.sentAt} />
          </div>
        ) : d.state === "queued" ? (
          <div>
            Next try <When at={d.nextAttemptAt} />
          </div>
        ) : null}
      </td>
    </tr>
  );
}
