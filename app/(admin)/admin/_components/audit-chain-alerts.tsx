"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { formatDateTime, formatWhen } from "@/components/time";

type Alert = RouterOutputs["auditChain"]["open"][number];

/**
 * One red line per audit-chain alert the worker raised (an edited, deleted or rewritten event):
 * it stays until an admin acknowledges it, saying what was checked or done (audited).
 */
export function AuditChainAlerts() {
  const trpc = useTRPC();
  const alerts = useQuery({ ...trpc.auditChain.open.queryOptions(), refetchInterval: 15_000 });
  if (!alerts.data?.length) return null;
  return (
    <section aria-label="Audit trail alerts" className="mb-6 space-y-2">
      {alerts.data.map((a) => (
        <AlertLine key={a.id} alert={a} />
      ))}
    </section>
  );
}

function AlertLine({ alert: a }: { alert: Alert }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState("");
  const acknowledge = useMutation(
    trpc.auditChain.acknowledge.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.auditChain.open.pathKey() }) }),
  );
  const error = acknowledge.isError ? describeError(acknowledge.error) : null;
  return (
    <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <p className="min-w-0 break-words">
          <strong>Audit trail tampered with:</strong> {a.message} Seen{" "}
          <time dateTime={new Date(a.firstSeenAt).toISOString()} title={formatDateTime(a.firstSeenAt)}>
            {formatWhen(a.firstSeenAt)}
          </time>
          . Run <code>npm run audit:verify</code> for the whole picture.
        </p>
        {!open && (
          <Button variant="secondary" onClick={() => setOpen(true)}>
            Acknowledge
          </Button>
        )}
      </div>
      {open && (
        <form
          className="mt-3 flex flex-col gap-2 sm:flex-row sm:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            acknowledge.mutate({ id: a.id, note });
          }}
        >
          <div className="grow">
            <TextField
              id={`ack-${a.id}`}
              label="What was checked or done"
              value={note}
              maxLength={500}
              required
              onChange={(e) => setNote(e.target.value)}
              error={error?.fieldErrors?.note?.[0]}
            />
          </div>
          <div className="flex gap-2">
            <Button type="submit" variant="primary" pending={acknowledge.isPending}>
              Acknowledge alert
            </Button>
            <Button onClick={() => setOpen(false)}>Cancel</Button>
          </div>
        </form>
      )}
      {error && !error.fieldErrors?.note && <ErrorAlert className="mt-2">{error.message}</ErrorAlert>}
    </div>
  );
}
