"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { ConfirmButton } from "@/components/confirm-button";
import { Dn } from "@/components/dn";
import type { RouterOutputs } from "@/components/router-types";
import { ActivationBadge, type ActivationState } from "../../_components/activation-badge";
import { plural } from "../../_components/format";

type Member = RouterOutputs["accessGroups"]["users"]["page"]["items"][number];
type Activation = { state: ActivationState; seen: boolean };

export function MemberRow({ groupId, member, onRemoved }: { groupId: string; member: Member; onRemoved: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const remove = useMutation(
    trpc.accessGroups.users.remove.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.accessGroups.users.page.queryKey({ id: groupId }) }),
          queryClient.invalidateQueries({ queryKey: trpc.accessGroups.groups.page.queryKey() }),
        ]);
        onRemoved();
      },
      onError: (err) => setError(describeError(err).message),
    }),
  );

  return (
    <li aria-label={member.name} className="space-y-2 px-4 py-3">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 flex-1 basis-60 space-y-0.5">
          <p className="flex flex-wrap items-center gap-2">
            <span className="font-medium break-words text-slate-900">{member.displayName || member.name}</span>
            {member.displayName && member.displayName !== member.name && <span className="text-sm text-slate-500">({member.name})</span>}
            <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs font-medium text-slate-700">{member.kind === "user" ? "Person" : "AD group"}</span>
            {member.activation && <ActivationBadge state={member.activation.state} />}
          </p>
          <p className="text-xs text-slate-500">
            <Dn value={member.dn} />
          </p>
          {member.activation && !member.activation.seen && <NotSeenYet />}
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {member.activation && <ActivationButton groupId={groupId} userGuid={member.objectGuid} activation={member.activation} onError={setError} />}
          <ConfirmButton
            label="Remove"
            confirmLabel="Confirm remove"
            pendingLabel="Removing…"
            pending={remove.isPending}
            onConfirm={() => {
              setError(null);
              return remove.mutateAsync({ id: groupId, memberId: member.id });
            }}
          />
        </div>
      </div>
      {member.nested && <NestedPeople groupId={groupId} nested={member.nested} />}
      <ErrorAlert>{error}</ErrorAlert>
    </li>
  );
}

function NotSeenYet() {
  return <p className="text-xs text-slate-500">Not seen by Interim yet: this is the state they get on their first visit.</p>;
}

function NestedPeople({ groupId, nested }: { groupId: string; nested: NonNullable<Member["nested"]> }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const listId = useId();
  const waiting = nested.users.filter((u) => u.activation.state === "pending").length;

  return (
    <div className="rounded-md bg-slate-50 px-3 py-2">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm">
        <Button
          variant="ghost"
          className="-ml-2 px-2 py-1"
          aria-expanded={open}
          aria-controls={listId}
          onClick={() => setOpen((o) => !o)}
          disabled={nested.users.length === 0}
        >
          <span aria-hidden="true" className={`inline-block transition-transform ${open ? "rotate-90" : ""}`}>
            ›
          </span>
          {plural(nested.users.length, "person", "people")}
        </Button>
        {nested.truncated && <span className="text-slate-600">more not shown</span>}
        {waiting > 0 && <span className="text-amber-800">{waiting} waiting for activation</span>}
      </div>
      {open && (
        <ul id={listId} aria-label="People in this group" className="mt-2 divide-y divide-slate-200">
          {nested.users.map((u) => (
            <li key={u.objectGuid} aria-label={u.name} className="flex flex-wrap items-center justify-between gap-2 py-2">
              <div className="min-w-0">
                <p className="flex flex-wrap items-center gap-2 text-sm">
                  <span className="font-medium text-slate-900">{u.displayName || u.name}</span>
                  {u.displayName && u.displayName !== u.name && <span className="text-slate-500">({u.name})</span>}
                  <ActivationBadge state={u.activation.state} />
                  {u.disabled && <span className="text-xs text-red-700">disabled in the directory</span>}
                </p>
                {!u.activation.seen && <NotSeenYet />}
              </div>
              <ActivationButton groupId={groupId} userGuid={u.objectGuid} activation={u.activation} onError={setError} />
            </li>
          ))}
        </ul>
      )}
      <ErrorAlert className="mt-2">{error}</ErrorAlert>
    </div>
  );
}

/** "Activate" a pending or suspended person, "Suspend" an active one. */
function ActivationButton({
  groupId,
  userGuid,
  activation,
  onError,
}: {
  groupId: string;
  userGuid: string;
  activation: Activation;
  onError: (message: string | null) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const set = useMutation(
    trpc.accessGroups.users.setActivation.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.accessGroups.users.page.queryKey({ id: groupId }) }),
      onError: (err) => onError(describeError(err).message),
    }),
  );
  const next = activation.state === "active" ? "suspended" : "active";
  return (
    <Button
      variant={next === "active" ? "primary" : "secondary"}
      pending={set.isPending}
      onClick={() => {
        onError(null);
        set.mutate({ id: groupId, userGuid, state: next });
      }}
    >
      {next === "active" ? "Activate" : "Suspend"}
    </Button>
  );
}
