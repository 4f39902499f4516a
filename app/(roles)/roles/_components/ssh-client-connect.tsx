"use client";

import { useMutation } from "@tanstack/react-query";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { formatWhen } from "@/components/time";

/**
 * A ready session through a native SSH client: a one-time token (shown once, valid five minutes)
 * and the command line for Interim's SSH gateway. The token is the password at the prompt.
 */
export function SshClientConnect({ sessionId, device }: { sessionId: string; device: string }) {
  const trpc = useTRPC();
  const issue = useMutation(trpc.deviceSessions.connectToken.mutationOptions());
  if (issue.data) {
    if (!issue.data.gatewayEnabled) return <p className="text-xs text-slate-600">Interim&apos;s SSH gateway is not enabled here: use the browser terminal.</p>;
    return (
      <div className="mt-2 space-y-1 rounded border border-slate-200 bg-slate-50 p-2 text-xs" aria-label={`SSH client access to ${device}`}>
        <p>Run, then give the token as the password (once, until {formatWhen(issue.data.expiresAt)}):</p>
        <code className="block break-all select-all">{issue.data.command}</code>
        <code className="block break-all select-all" aria-label="One-time token">
          {issue.data.token}
        </code>
      </div>
    );
  }
  return (
    <>
      {issue.error && <ErrorAlert>{describeError(issue.error).message}</ErrorAlert>}
      <Button variant="secondary" pending={issue.isPending} onClick={() => issue.mutate({ sessionId })} aria-label={`Connect to ${device} with an SSH client`}>
        SSH client
      </Button>
    </>
  );
}
