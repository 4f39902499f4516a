"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { Card } from "@/components/page-heading";
import { TextField } from "@/components/form-field";
import { describeError, useTRPC } from "@/trpc/client";
import { API_SCOPE_LABELS, API_SCOPES, API_TOKEN_EXPIRY_DAYS, API_TOKEN_NAME_MAX, type ApiScope } from "@/shared/api-scopes";

export interface CreatedToken {
  name: string;
  secret: string;
}

/** Name, scopes and expiry of a new token; the answer carries its secret, handed up once. */
export function CreateTokenForm({ onCreated }: { onCreated: (t: CreatedToken) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ApiScope[]>([]);
  const [days, setDays] = useState<number>(90);
  const create = useMutation(
    trpc.apiTokens.create.mutationOptions({
      onSuccess: (t) => {
        void queryClient.invalidateQueries({ queryKey: trpc.apiTokens.list.queryKey() });
        onCreated({ name: t.name, secret: t.secret });
      },
    }),
  );
  const errors = create.error ? describeError(create.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name, scopes, expiresInDays: days });
  };
  const toggle = (s: ApiScope, on: boolean) => setScopes((cur) => (on ? [...cur, s] : cur.filter((x) => x !== s)));
  return (
    <Card className="p-4 sm:p-6">
      <form onSubmit={submit} className="space-y-4" aria-labelledby="new-token-heading" noValidate>
        <h2 id="new-token-heading" className="text-base font-semibold text-slate-900">
          New token
        </h2>
        <TextField
          id="token-name"
          label="Name"
          hint="What uses it, e.g. “deploy pipeline”: the audit trail shows it."
          maxLength={API_TOKEN_NAME_MAX}
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errors?.fieldErrors?.name?.[0]}
        />
        <fieldset aria-describedby={errors?.fieldErrors?.scopes ? "token-scopes-error" : undefined}>
          <legend className="text-sm font-medium text-slate-800">Scopes</legend>
          <div className="mt-2 grid gap-2 sm:grid-cols-2">
            {API_SCOPES.map((s) => (
              <label key={s} className="flex items-start gap-2 text-sm text-slate-700">
                <input type="checkbox" className="mt-1" checked={scopes.includes(s)} onChange={(e) => toggle(s, e.target.checked)} />
                <span>
                  <code className="text-xs">{s}</code> — {API_SCOPE_LABELS[s]}
                </span>
              </label>
            ))}
          </div>
          {errors?.fieldErrors?.scopes && (
            <p id="token-scopes-error" className="mt-1 text-sm text-red-700">
              {errors.fieldErrors.scopes[0]}
            </p>
          )}
        </fieldset>
        <div className="space-y-1">
          <label htmlFor="token-expiry" className="block text-sm font-medium text-slate-800">
            Expires after
          </label>
          <select
            id="token-expiry"
            value={days}
            onChange={(e) => setDays(Number(e.target.value))}
            className="block rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
          >
            {API_TOKEN_EXPIRY_DAYS.map((d) => (
              <option key={d} value={d}>
                {d} days
              </option>
            ))}
          </select>
        </div>
        {errors && !errors.fieldErrors && <ErrorAlert>{errors.message}</ErrorAlert>}
        <Button type="submit" variant="primary" pending={create.isPending}>
          Create token
        </Button>
      </form>
    </Card>
  );
}
