"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, ErrorAlert, Loading, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { buttonClass } from "@/components/button-styles";
import { CheckboxField, Field, TextAreaField, TextField } from "@/components/form-field";
import { Card } from "@/components/page-heading";
import { Countdown } from "@/components/countdown";
import type { RouterOutputs } from "@/components/router-types";
import { Tag } from "@/components/tag";
import { formatWhen } from "@/components/time";
import { SshClientConnect } from "./ssh-client-connect";

type MySession = RouterOutputs["deviceSessions"]["mine"][number];

const OPEN = new Set(["requested", "preparing", "ready", "live"]);
export const SESSION_STATE_LABEL: Record<MySession["state"], string> = {
  requested: "Waiting for approval",
  preparing: "Preparing",
  ready: "Ready to connect",
  live: "Connected",
  ended: "Ended",
  failed: "Failed",
};

/** /roles: start a recorded session on a device, and the person's sessions. */
export function SessionsSection() {
  return (
    <section aria-labelledby="sessions-heading" className="mt-10 space-y-6">
      <div>
        <h2 id="sessions-heading" className="text-lg font-semibold text-slate-900">
          Sessions
        </h2>
        <p className="text-sm text-slate-600">A recorded SSH session on a device, with the access it needs for exactly as long as you are connected.</p>
      </div>
      <StartSession />
      <MySessions />
    </section>
  );
}

function StartSession() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const targets = useQuery(trpc.deviceSessions.targets.queryOptions());
  const [deviceId, setDeviceId] = useState("");
  const [account, setAccount] = useState("own");
  const [justification, setJustification] = useState("");
  const [changeId, setChangeId] = useState("");
  const [governanceCode, setGovernanceCode] = useState("");
  const [emergency, setEmergency] = useState(false);
  const [planned, setPlanned] = useState("");
  const [started, setStarted] = useState<string | null>(null);
  const start = useMutation(
    trpc.deviceSessions.start.mutationOptions({
      onSuccess: async (r) => {
        setStarted(r.status === "pending" ? "Session requested: it starts once approved." : "Session requested: it is being prepared.");
        setJustification("");
        setPlanned("");
        await queryClient.invalidateQueries({ queryKey: trpc.deviceSessions.mine.queryKey() });
      },
    }),
  );
  if (targets.isPending) return <Loading label="Loading the devices you may connect to…" />;
  if (targets.isError) return <ErrorAlert>{describeError(targets.error).message}</ErrorAlert>;
  if (!targets.data.length) {
    return <EmptyState title="No devices for sessions">None of your access groups allows sessions on a device with an SSH endpoint.</EmptyState>;
  }
  const target = targets.data.find((t) => t.id === deviceId) ?? null;
  const fieldErrors = start.error ? describeError(start.error).fieldErrors : null;

  function submit(e: FormEvent) {
    e.preventDefault();
    setStarted(null);
    start.mutate({
      deviceId,
      credentialId: account === "own" ? null : account,
      justification,
      changeId,
      governanceCode,
      emergency,
      plannedActivity: planned
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean),
    });
  }

  return (
    <Card>
      <form noValidate onSubmit={submit} className="space-y-4" aria-labelledby="start-session-heading">
        <h3 id="start-session-heading" className="font-semibold text-slate-900">
          Start a session
        </h3>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field id="session-device" label="Device" error={fieldErrors?.deviceId?.[0]}>
            <select
              id="session-device"
              className="w-full rounded-md border border-slate-300 bg-white px-2 py-2 text-sm"
              value={deviceId}
              onChange={(e) => {
                setDeviceId(e.target.value);
                setAccount("own");
              }}
            >
              <option value="">Pick a device</option>
              {targets.data.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name} ({t.host})
                </option>
              ))}
            </select>
          </Field>
          <Field id="session-account" label="Account" error={fieldErrors?.credentialId?.[0]}>
            <select
              id="session-account"
              className="w-full rounded-md border border-slate-300 bg-white px-2 py-2 text-sm"
              value={account}
              disabled={!target}
              onChange={(e) => setAccount(e.target.value)}
            >
              {(!target || target.ownAccount) && <option value="own">My own account</option>}
              {target?.accounts.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.username}
                  {a.managed ? " (managed: password set by Interim)" : ""}
                </option>
              ))}
            </select>
          </Field>
        </div>
        {target && (
          <p className="text-xs text-slate-600">
            Access group {target.accessGroup}: at most {target.maxSessionMinutes} minutes, ends after {target.idleTimeoutMinutes} idle minutes
            {target.recording ? ", recorded" : ""}
            {target.requiresApproval ? ", needs approval" : ""}.
          </p>
        )}
        <TextAreaField
          id="session-justification"
          label="Justification"
          hint="Required when the group asks for one."
          rows={2}
          value={justification}
          error={fieldErrors?.justification?.[0]}
          onChange={(e) => setJustification(e.target.value)}
        />
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            id="session-change-id"
            label="Change ID"
            hint="If the group asks for one."
            value={changeId}
            error={fieldErrors?.changeId?.[0]}
            onChange={(e) => setChangeId(e.target.value)}
          />
          <TextField
            id="session-governance"
            label="Governance code"
            hint="If the group asks for one."
            value={governanceCode}
            error={fieldErrors?.governanceCode?.[0]}
            onChange={(e) => setGovernanceCode(e.target.value)}
          />
        </div>
        <TextAreaField
          id="session-planned"
          label="Planned activity (one command pattern per line)"
          hint="The commands you expect to run, e.g. systemctl restart nginx. A command outside them is flagged for review."
          rows={3}
          value={planned}
          error={fieldErrors?.plannedActivity?.[0]}
          onChange={(e) => setPlanned(e.target.value)}
        />
        <CheckboxField
          id="session-emergency"
          label="Emergency"
          hint="Only where the group allows emergency access: approvers review afterwards."
          checked={emergency}
          onChange={(e) => setEmergency(e.target.checked)}
        />
        {start.error && <ErrorAlert>{describeError(start.error).message}</ErrorAlert>}
        {started && <SuccessNote>{started}</SuccessNote>}
        <Button type="submit" variant="primary" pending={start.isPending} disabled={!deviceId}>
          Start session
        </Button>
      </form>
    </Card>
  );
}

function timeLeft(s: MySession): Date | null {
  const ends = [s.endsAt, s.grantsEndAt].filter((d): d is Date => d !== null).map((d) => new Date(d));
  return ends.length ? new Date(Math.min(...ends.map((d) => d.getTime()))) : null;
}

function MySessions() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const mine = useQuery({ ...trpc.deviceSessions.mine.queryOptions(), refetchInterval: 5_000 });
  const end = useMutation(
    trpc.deviceSessions.end.mutationOptions({ onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.deviceSessions.mine.queryKey() }) }),
  );
  if (mine.isPending) return <Loading label="Loading your sessions…" />;
  if (mine.isError) return <ErrorAlert>{describeError(mine.error).message}</ErrorAlert>;
  return (
    <section aria-labelledby="my-sessions-heading" className="space-y-3">
      <h3 id="my-sessions-heading" className="font-semibold text-slate-900">
        My sessions
      </h3>
      {end.error && <ErrorAlert>{describeError(end.error).message}</ErrorAlert>}
      {mine.data.length === 0 ? (
        <p className="text-sm text-slate-600">No sessions yet.</p>
      ) : (
        <ul className="space-y-2">
          {mine.data.map((s) => {
            const left = OPEN.has(s.state) ? timeLeft(s) : null;
            return (
              <li key={s.id} aria-label={`Session on ${s.device} as ${s.login}`} className="rounded-md border border-slate-200 bg-white p-3 text-sm">
                <div className="flex flex-wrap items-center justify-between gap-2">
                  <div className="min-w-0">
                    <p className="font-medium break-words text-slate-900">
                      {s.device} <span className="font-normal text-slate-600">as {s.login}</span>
                    </p>
                    <p className="text-xs text-slate-600">
                      <Tag tone={s.state === "live" ? "sky" : s.state === "ready" ? "indigo" : s.state === "failed" ? "red" : "slate"}>
                        {SESSION_STATE_LABEL[s.state]}
                      </Tag>{" "}
                      {s.flagged && <Tag tone="amber">Flagged</Tag>} asked {formatWhen(s.createdAt)}
                      {s.endReason && ` · ended: ${s.endReason}`}
                    </p>
                    {s.error && <p className="text-xs text-red-700">{s.error}</p>}
                    {left && <Countdown until={left} prefix="Time left" className="text-xs text-slate-700" />}
                  </div>
                  <div className="flex gap-2">
                    {(s.state === "ready" || s.state === "live") && (
                      <Link href={`/roles/sessions/${s.id}`} className={buttonClass("primary")} aria-label={`Connect to ${s.device}`}>
                        Connect
                      </Link>
                    )}
                    {s.state === "ready" && !s.needsPassword && <SshClientConnect sessionId={s.id} device={s.device} />}
                    {OPEN.has(s.state) && (
                      <Button
                        variant="danger"
                        pending={end.isPending && end.variables?.sessionId === s.id}
                        onClick={() => end.mutate({ sessionId: s.id })}
                        aria-label={`End session on ${s.device}`}
                      >
                        End
                      </Button>
                    )}
                  </div>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
