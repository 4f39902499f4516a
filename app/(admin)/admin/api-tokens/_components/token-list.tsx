"use client";

import { useMutation, useQueryClient, useQuery } from "@tanstack/react-query";
import { EmptyState, ErrorAlert, Loading, QueryError } from "@/components/alerts";
import { ConfirmButton } from "@/components/confirm-button";
import { Card } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { formatDateTime, formatWhen } from "@/components/time";
import { describeError, useTRPC } from "@/trpc/client";

type Token = RouterOutputs["apiTokens"]["list"][number];

const td = "px-4 py-3 align-top sm:px-6";

function statusOf(t: Token): string {
  if (t.status === "revoked") return `Revoked ${formatDateTime(t.revokedAt)}`;
  if (t.status === "expired") return `Expired ${formatDateTime(t.expiresAt)}`;
  return `Expires ${formatDateTime(t.expiresAt)}`;
}

export function TokenList() {
  const trpc = useTRPC();
  const tokens = useQuery(trpc.apiTokens.list.queryOptions());
  if (tokens.isPending) return <Loading label="Loading tokens…" />;
  if (tokens.isError) return <QueryError message={describeError(tokens.error).message} onRetry={() => void tokens.refetch()} />;
  if (tokens.data.length === 0) return <EmptyState title="No API tokens yet" />;
  return (
    <Card>
      <table className="w-full text-left text-sm">
        <caption className="sr-only">API tokens</caption>
        <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase max-sm:sr-only">
          <tr>
            <th className={td}>Token</th>
            <th className={td}>Scopes</th>
            <th className={td}>Status</th>
            <th className={td}>Last used</th>
            <th className={`${td} text-right`}>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {tokens.data.map((t) => (
            <TokenRow key={t.id} token={t} />
          ))}
        </tbody>
      </table>
    </Card>
  );
}

function TokenRow({ token }: { token: Token }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(
    trpc.apiTokens.revoke.mutationOptions({ onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.apiTokens.list.queryKey() }) }),
  );
  return (
    <tr aria-label={token.name} className="max-sm:grid max-sm:gap-y-2 max-sm:p-4">
      <td className={td}>
        <div className="font-medium text-slate-900">{token.name}</div>
        <div className="text-xs text-slate-500">
          by {token.createdBy}, {formatDateTime(token.createdAt)}
        </div>
      </td>
      <td className={td}>
        <ul className="flex flex-wrap gap-1">
          {token.scopes.map((s) => (
            <li key={s} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">
              {s}
            </li>
          ))}
        </ul>
      </td>
      <td className={`${td} text-slate-700`}>{statusOf(token)}</td>
      <td className={`${td} text-slate-700`}>
        {token.lastUsedAt ? `${formatWhen(token.lastUsedAt)} from ${token.lastUsedIp ?? "an unknown address"}` : "Never"}
      </td>
      <td className={`${td} text-right max-sm:text-left`}>
        {token.status === "active" && (
          <ConfirmButton
            label="Revoke"
            confirmLabel={`Revoke “${token.name}” now`}
            pendingLabel="Revoking…"
            pending={revoke.isPending}
            onConfirm={() => revoke.mutateAsync({ tokenId: token.id })}
          />
        )}
        {revoke.isError && <ErrorAlert className="mt-2">{describeError(revoke.error).message}</ErrorAlert>}
      </td>
    </tr>
  );
}
