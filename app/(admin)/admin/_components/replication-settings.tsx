"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useForm, useWatch } from "react-hook-form";
import { z } from "zod";
import { useTRPC } from "@/trpc/client";
import { ErrorAlert, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { applyServerErrors } from "@/components/form-errors";
import { TextAreaField, TextField } from "@/components/form-field";
import { Card } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { REPLICATION_MODES, replicationSettingsInput } from "@/server/directory/schemas";

type Settings = RouterOutputs["directory"]["status"]["replication"];
type Mode = (typeof REPLICATION_MODES)[number];

const MODES: Record<Mode, { label: string; hint: string }> = {
  verify: {
    label: "Verify on every domain controller",
    hint: "A grant counts as active once every DC shows the membership, and a removal as complete once none does. Interim reads each DC every few seconds.",
  },
  wait: {
    label: "Wait for the replication latency",
    hint: "A grant counts as active once the latency below has passed since the change, without reading the other DCs.",
  },
  both: { label: "Both", hint: "Every DC shows the change and the latency has passed." },
};

// The form edits the DC list as lines of text; the server's schema checks the rest.
const formSchema = z
  .object({ mode: z.enum(REPLICATION_MODES), latencySeconds: z.string(), maxWaitSeconds: z.string(), dcUrls: z.string() })
  .transform((v) => ({ ...v, dcUrls: v.dcUrls.split(/[\s,]+/).filter(Boolean) }))
  // (z.coerce types its input as unknown; what flows in is the strings and the list above.)
  .pipe(
    replicationSettingsInput as unknown as z.ZodType<
      z.output<typeof replicationSettingsInput>,
      { mode: Mode; latencySeconds: string; maxWaitSeconds: string; dcUrls: string[] }
    >,
  );
type FormValues = z.input<typeof formSchema>;

const FIELDS = ["latencySeconds", "maxWaitSeconds", "dcUrls"] as const;

function formValuesOf(s: Pick<Settings, "mode" | "latencySeconds" | "maxWaitSeconds" | "dcUrls">): FormValues {
  return { mode: s.mode, latencySeconds: String(s.latencySeconds), maxWaitSeconds: String(s.maxWaitSeconds), dcUrls: s.dcUrls.join("\n") };
}

/** How Interim decides that a change has reached every domain controller. */
export function ReplicationSettings({ settings, discovered }: { settings: Settings; discovered: string[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    control,
    formState: { errors, isDirty },
    reset,
  } = useForm<FormValues, unknown, z.output<typeof formSchema>>({
    resolver: zodResolver(formSchema),
    defaultValues: formValuesOf(settings),
  });
  // Another tab (or admin) saved: adopt the server's values, unless this form holds unsaved edits.
  // (Not a remount keyed by the values: that would also drop the "saved" note of this form's own save.)
  const serverValues = JSON.stringify(settings);
  useEffect(() => {
    if (!isDirty) reset(formValuesOf(JSON.parse(serverValues) as Settings));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the server's values change
  }, [serverValues]);
  const save = useMutation(
    trpc.directory.updateReplication.mutationOptions({
      onSuccess: (saved) => {
        reset(formValuesOf(saved));
        void queryClient.invalidateQueries({ queryKey: trpc.directory.status.queryKey() });
      },
      onError: (err) => setFormError(applyServerErrors(err, setError, FIELDS)),
    }),
  );
  const mode = useWatch({ control, name: "mode" });

  return (
    <Card>
      <h2 className="border-b border-slate-100 px-4 py-3 text-base font-semibold sm:px-6">Replication</h2>
      <form
        noValidate
        aria-label="Replication settings"
        className="space-y-5 px-4 py-4 sm:px-6"
        onSubmit={handleSubmit((values) => {
          setFormError(null);
          save.reset();
          save.mutate(values);
        })}
      >
        <p className="text-sm text-slate-600">
          Interim writes each membership to one domain controller; the others learn it through replication. Until then a grant is
          <em> replicating</em> (its time already runs), and a removed membership may still work through a DC that has not heard of the removal. With a single
          domain controller nothing waits.
        </p>
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium text-slate-800">When a change counts as done</legend>
          {REPLICATION_MODES.map((m) => (
            <div key={m} className="flex items-start gap-2">
              <input
                id={`replication-mode-${m}`}
                type="radio"
                value={m}
                aria-describedby={`replication-mode-${m}-hint`}
                className="mt-0.5 size-4 shrink-0 accent-indigo-600"
                {...register("mode")}
              />
              <div>
                <label htmlFor={`replication-mode-${m}`} className="text-sm font-medium text-slate-800">
                  {MODES[m].label}
                </label>
                <p id={`replication-mode-${m}-hint`} className="text-xs text-slate-500">
                  {MODES[m].hint}
                </p>
              </div>
            </div>
          ))}
        </fieldset>
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            id="replication-latency"
            label="Replication latency (seconds)"
            inputMode="numeric"
            error={errors.latencySeconds?.message}
            hint={mode === "verify" ? "Not used when verifying only." : "How long a change takes to reach every DC (AD within a site: about 15 s)."}
            {...register("latencySeconds")}
          />
          <TextField
            id="replication-max-wait"
            label="Maximum wait (seconds)"
            inputMode="numeric"
            error={errors.maxWaitSeconds?.message}
            hint="A change some DC never confirms (a DC is down) counts as done after this long; the audit trail names that DC."
            {...register("maxWaitSeconds")}
          />
        </div>
        <TextAreaField
          id="replication-dcs"
          label="Domain controllers to check"
          rows={3}
          className="font-mono text-[13px]"
          placeholder="ldaps://dc2.example.com:636"
          error={errors.dcUrls?.message}
          hint={
            discovered.length
              ? `One LDAPS URL per line. Empty: the DCs found in the directory (${discovered.join(", ")}).`
              : "One LDAPS URL per line. Empty: the DCs found in the directory when it is checked."
          }
          {...register("dcUrls")}
        />
        <ErrorAlert>{formError}</ErrorAlert>
        {save.isSuccess && !isDirty && <SuccessNote>Replication settings saved.</SuccessNote>}
        <Button type="submit" variant="primary" pending={save.isPending} disabled={!isDirty}>
          {save.isPending ? "Saving…" : "Save replication settings"}
        </Button>
      </form>
    </Card>
  );
}
