"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ErrorAlert, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { ConfirmButton } from "@/components/confirm-button";
import { controlClass } from "@/components/form-field";
import { Card } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { describeError, errorCode, useTRPC } from "@/trpc/client";
import { DiffView } from "./diff-view";

type Preview = RouterOutputs["configuration"]["preview"];
type Applied = RouterOutputs["configuration"]["applyImport"];

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function Issues({ issues }: { issues: Extract<Preview, { ok: false }>["issues"] }) {
  return (
    <ErrorAlert>
      <p className="font-medium">The document cannot be applied ({plural(issues.length, "problem")}); nothing was changed:</p>
      <ul className="mt-1 list-disc space-y-0.5 pl-5">
        {issues.map((i, n) => (
          <li key={n} className="break-words">
            <code className="text-xs">{i.path}</code>: {i.message}
          </li>
        ))}
      </ul>
    </ErrorAlert>
  );
}

function Result({ applied }: { applied: Applied }) {
  const { added, changed, removed } = applied.summary;
  return (
    <SuccessNote className="space-y-2">
      <p>
        Applied: {added} added, {changed} changed, {removed} removed. Each change is in the audit trail.
      </p>
      {applied.issuedSecrets.length > 0 && (
        <div>
          <p className="font-medium">New webhook signing secrets (shown this once: give each to its receiver now):</p>
          <ul className="mt-1 space-y-1">
            {applied.issuedSecrets.map((s) => (
              <li key={`${s.accessGroup}:${s.webhookId}`} className="break-all">
                {s.accessGroup} → {s.name}: <code className="text-xs">{s.secret}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
    </SuccessNote>
  );
}

/** Paste or upload a document, preview its changes, apply them after a confirmation. */
export function ConfigurationImport() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const textId = useId();
  const fileId = useId();
  const [yaml, setYaml] = useState("");
  const [readError, setReadError] = useState<string | null>(null);
  const preview = useMutation(trpc.configuration.preview.mutationOptions());
  const apply = useMutation(
    trpc.configuration.applyImport.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.configuration.export.queryKey() }),
    }),
  );
  const previewed = preview.data?.ok ? preview.data : null;

  const edit = (text: string) => {
    setYaml(text);
    // A preview is of one text: editing it means previewing again before applying.
    preview.reset();
    apply.reset();
  };

  const upload = async (file: File | undefined) => {
    setReadError(null);
    if (!file) return;
    try {
      edit(await file.text());
    } catch {
      setReadError(`${file.name} could not be read.`);
    }
  };

  const applyError = apply.error ? describeError(apply.error).message : null;
  return (
    <section aria-labelledby="config-import-heading" className="mb-10">
      <h2 id="config-import-heading" className="mb-1 text-lg font-semibold text-slate-900">
        Import
      </h2>
      <p className="mb-3 max-w-3xl text-sm text-slate-600">
        The document replaces the whole configuration: objects it leaves out are removed (privileges and sets that were requested cannot be: disable them
        instead). Nothing changes until you apply, and a document with any problem is refused as a whole.
      </p>
      <Card className="space-y-4 p-4">
        <div>
          <label htmlFor={fileId} className="block text-sm font-medium text-slate-800">
            Upload a YAML file
          </label>
          <input
            id={fileId}
            type="file"
            accept=".yaml,.yml,application/yaml,text/yaml,text/plain"
            className="mt-1 block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm"
            onChange={(e) => void upload(e.target.files?.[0])}
          />
          {readError && <ErrorAlert className="mt-2">{readError}</ErrorAlert>}
        </div>
        <div>
          <label htmlFor={textId} className="block text-sm font-medium text-slate-800">
            or paste it
          </label>
          <textarea
            id={textId}
            value={yaml}
            onChange={(e) => edit(e.target.value)}
            rows={12}
            spellCheck={false}
            className={`${controlClass(Boolean(preview.data && !preview.data.ok))} mt-1 w-full font-mono text-xs`}
            placeholder="version: 1"
          />
        </div>
        <Button variant="primary" pending={preview.isPending} disabled={!yaml.trim()} onClick={() => preview.mutate({ yaml })}>
          {preview.isPending ? "Checking…" : "Preview changes"}
        </Button>
        {preview.error && <ErrorAlert>{describeError(preview.error).message}</ErrorAlert>}
        {preview.data && !preview.data.ok && <Issues issues={preview.data.issues} />}
        {previewed && !apply.data && (
          <div className="space-y-3" aria-live="polite">
            <h3 className="text-base font-semibold text-slate-900">
              Changes: {previewed.summary.added} added, {previewed.summary.changed} changed, {previewed.summary.removed} removed
            </h3>
            <DiffView changes={previewed.changes} />
            {applyError && (
              <ErrorAlert>
                {applyError}
                {errorCode(apply.error) === "CONFLICT" && " Press “Preview changes” again to see the current differences."}
              </ErrorAlert>
            )}
            {previewed.changes.length > 0 && (
              <ConfirmButton
                label={`Apply ${plural(previewed.changes.length, "change")}…`}
                confirmLabel={`Yes, apply ${plural(previewed.changes.length, "change")}`}
                pendingLabel="Applying…"
                variant="primary"
                pending={apply.isPending}
                onConfirm={() => apply.mutateAsync({ yaml, expectedHash: previewed.hash })}
              />
            )}
          </div>
        )}
        {apply.data && <Result applied={apply.data} />}
      </Card>
    </section>
  );
}
