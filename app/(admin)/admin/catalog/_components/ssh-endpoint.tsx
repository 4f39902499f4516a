"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { CheckboxField, TextField } from "@/components/form-field";
import type { CatalogCredential } from "./credential-form";
import type { CatalogDevice } from "./device-form";

/** Short status for the devices table: where sessions connect and whether the key is pinned. */
export function SshSummary({ device: d }: { device: CatalogDevice }) {
  if (!d.sshEnabled) return <span className="text-slate-500">Off</span>;
  const host = d.sshHost ?? d.dnsHostName ?? "no host";
  return (
    <span className="break-all">
      {host}:{d.sshPort}
      <span className={`block text-xs ${d.hostKeySha256 ? "text-emerald-700" : "text-amber-700"}`}>
        {d.hostKeySha256 ? "Host key pinned" : "Host key not confirmed"}
      </span>
    </span>
  );
}

/** The device's SSH endpoint for sessions: enabled, host (default: AD's dNSHostName), port; scan → confirm the host key. */
export function SshEndpointEditor({ device }: { device: CatalogDevice }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.catalog.devices.pathKey() });
  const [enabled, setEnabled] = useState(device.sshEnabled);
  const [host, setHost] = useState(device.sshHost ?? "");
  const [port, setPort] = useState(String(device.sshPort));
  const [note, setNote] = useState<string | null>(null);
  const [scanned, setScanned] = useState<{ fingerprint: string; differs: boolean } | null>(null);
  const save = useMutation(
    trpc.catalog.devices.setEndpoint.mutationOptions({
      onSuccess: async (row) => {
        setNote(row.hostKeySha256 ? "SSH endpoint saved." : "SSH endpoint saved. Scan and confirm its host key before sessions can use it.");
        setScanned(null);
        await refresh();
      },
    }),
  );
  const scan = useMutation(trpc.catalog.devices.scanHostKey.mutationOptions({ onSuccess: (r) => setScanned(r), onSettled: () => setNote(null) }));
  const confirm = useMutation(
    trpc.catalog.devices.confirmHostKey.mutationOptions({
      onSuccess: async () => {
        setScanned(null);
        setNote("Host key confirmed and pinned.");
        await refresh();
      },
    }),
  );
  const error = save.error ?? scan.error ?? confirm.error;
  const fieldErrors = save.error ? describeError(save.error).fieldErrors : null;

  function submit(e: FormEvent) {
    e.preventDefault();
    setNote(null);
    save.mutate({ deviceId: device.id, sshEnabled: enabled, sshHost: host.trim() || null, sshPort: Number(port) });
  }

  return (
    <section aria-label={`SSH endpoint of ${device.name}`} className="mt-4 space-y-3 rounded-md border border-slate-200 bg-slate-50 p-3">
      <h4 className="text-sm font-semibold text-slate-900">SSH endpoint</h4>
      <form noValidate onSubmit={submit} className="space-y-3">
        <CheckboxField id={`ssh-enabled-${device.id}`} label="Sessions on this device" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        <div className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_8rem]">
          <TextField
            id={`ssh-host-${device.id}`}
            label="SSH host"
            placeholder={device.dnsHostName ?? "host name or IP address"}
            hint={device.dnsHostName ? `Empty: ${device.dnsHostName} (from Active Directory).` : "No host name from Active Directory: type one."}
            value={host}
            error={fieldErrors?.sshHost?.[0]}
            onChange={(e) => setHost(e.target.value)}
          />
          <TextField
            id={`ssh-port-${device.id}`}
            label="SSH port"
            type="number"
            inputMode="numeric"
            min={1}
            max={65535}
            value={port}
            error={fieldErrors?.sshPort?.[0]}
            onChange={(e) => setPort(e.target.value)}
          />
        </div>
        <p className="text-xs text-slate-500">Another host or port is another machine: saving one clears the pinned host key.</p>
        <Button type="submit" pending={save.isPending}>
          Save SSH endpoint
        </Button>
      </form>
      <div className="space-y-2 text-sm">
        <p>
          Pinned host key:{" "}
          {device.hostKeySha256 ? <code className="break-all text-xs">{device.hostKeySha256}</code> : <span className="text-slate-500">none</span>}
        </p>
        <Button onClick={() => scan.mutate({ deviceId: device.id })} pending={scan.isPending} disabled={!device.sshHost && !device.dnsHostName}>
          Scan host key
        </Button>
        {scanned && (
          <div role="status" className="space-y-2 rounded-md border border-amber-200 bg-amber-50 p-2">
            <p>
              The device presents <code className="break-all text-xs">{scanned.fingerprint}</code>.
              {scanned.differs && <strong className="block text-red-800">This differs from the pinned key: confirm only if you know why it changed.</strong>}
            </p>
            <p className="text-xs">Compare it with the key on the device (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) before confirming.</p>
            <Button variant="primary" pending={confirm.isPending} onClick={() => confirm.mutate({ deviceId: device.id, fingerprint: scanned.fingerprint })}>
              Confirm host key
            </Button>
          </div>
        )}
      </div>
      {error && <ErrorAlert>{describeError(error).message}</ErrorAlert>}
      {note && <SuccessNote>{note}</SuccessNote>}
    </section>
  );
}

/** Interim sets a managed account's password before and after each session. */
export function ManagedToggle({ credential: c }: { credential: CatalogCredential }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const set = useMutation(
    trpc.catalog.credentials.setManaged.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.catalog.credentials.pathKey() }) }),
  );
  if (!c.objectGuid) return <span className="text-xs text-slate-500">Not a directory account</span>;
  return (
    <div>
      <label className="inline-flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={c.managed}
          disabled={set.isPending}
          onChange={(e) => set.mutate({ credentialId: c.id, managed: e.target.checked })}
          aria-label={`Managed: Interim sets ${c.username}'s password`}
        />
        Managed
      </label>
      {set.error && <p className="text-xs text-red-700">{describeError(set.error).message}</p>}
    </div>
  );
}
