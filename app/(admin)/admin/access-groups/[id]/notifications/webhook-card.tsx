"use client";

import { Controller, type Control, type FieldErrors, type UseFormRegister } from "react-hook-form";
import { ConfirmButton } from "@/components/confirm-button";
import { CheckboxField, Field, TextField, controlClass } from "@/components/form-field";
import { WEBHOOK_KINDS, type NotificationSettings } from "@/server/notifications/schemas";
import { formatDateTime } from "@/components/time";
import { EventCheckboxes } from "./event-checkboxes";
import { WEBHOOK_KIND_LABELS, type NotificationsFormValues } from "./notifications-form";

type WebhookErrors = NonNullable<FieldErrors<NotificationsFormValues>["webhooks"]>[number];

/** One webhook of the list: where it posts, in which format, and which events it receives. */
export function WebhookCard({
  index,
  fieldKey,
  control,
  register,
  errors,
  onRemove,
  secret,
}: {
  index: number;
  /** The field array's key for this row: stable ids for its controls while rows move. */
  fieldKey: string;
  control: Control<NotificationsFormValues, unknown, NotificationSettings>;
  register: UseFormRegister<NotificationsFormValues>;
  errors: WebhookErrors | undefined;
  onRemove: () => void;
  /** A saved webhook's signing secret: when issued (never the secret), and how to rotate it. Null until saved. */
  secret: { issuedAt: Date | null; pending: boolean; error: string | null; rotate: () => Promise<unknown> } | null;
}) {
  const n = index + 1;
  const id = (part: string) => `webhook-${fieldKey}-${part}`;
  const kindError = errors?.kind?.message;
  return (
    <li aria-label={`Webhook ${n}`} className="space-y-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h4 className="text-sm font-semibold text-slate-900">Webhook {n}</h4>
        <ConfirmButton
          label={`Remove webhook ${n}`}
          confirmLabel={`Yes, remove webhook ${n}`}
          pendingLabel="Removing…"
          pending={false}
          onConfirm={async () => onRemove()}
        />
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          id={id("name")}
          label="Name"
          maxLength={80}
          autoComplete="off"
          error={errors?.name?.message}
          hint="Shown in the deliveries below."
          {...register(`webhooks.${index}.name`)}
        />
        <Field id={id("kind")} label="Kind" error={kindError}>
          <select
            id={id("kind")}
            aria-invalid={kindError ? true : undefined}
            aria-describedby={kindError ? `${id("kind")}-error` : undefined}
            className={controlClass(Boolean(kindError))}
            {...register(`webhooks.${index}.kind`)}
          >
            {WEBHOOK_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {WEBHOOK_KIND_LABELS[kind]}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <TextField
        id={id("url")}
        label="URL"
        type="url"
        inputMode="url"
        autoComplete="off"
        spellCheck={false}
        maxLength={2000}
        placeholder="https://"
        error={errors?.url?.message}
        hint="Slack and Teams: the incoming-webhook URL they give you. Treat it as a secret."
        {...register(`webhooks.${index}.url`)}
      />
      <Controller
        control={control}
        name={`webhooks.${index}.events`}
        render={({ field, fieldState }) => (
          <EventCheckboxes
            idPrefix={id("events")}
            legend={`Events sent to webhook ${n}`}
            value={field.value}
            onChange={field.onChange}
            onBlur={field.onBlur}
            error={fieldState.error?.message}
          />
        )}
      />
      <div className="space-y-1">
        <p className="text-sm font-medium text-slate-800">Signing secret</p>
        {secret === null ? (
          <p className="text-xs text-slate-500">Issued when the webhook is saved, and shown once.</p>
        ) : (
          <div className="flex flex-wrap items-center gap-3">
            <p className="text-xs text-slate-600">
              {secret.issuedAt ? `Issued ${formatDateTime(secret.issuedAt)}.` : "None yet (saved before webhooks were signed): its deliveries are unsigned."}
            </p>
            <ConfirmButton
              label={secret.issuedAt ? `Rotate secret of webhook ${n}` : `Issue a secret for webhook ${n}`}
              confirmLabel="Yes, issue a new secret"
              pendingLabel="Issuing…"
              variant="primary"
              pending={secret.pending}
              onConfirm={secret.rotate}
            />
          </div>
        )}
        {secret?.error && <p className="text-sm text-red-700">{secret.error}</p>}
      </div>
      <CheckboxField
        id={id("enabled")}
        label="Enabled"
        hint="A disabled webhook keeps its settings but receives nothing."
        {...register(`webhooks.${index}.enabled`)}
      />
    </li>
  );
}
