"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Controller, useFieldArray, useForm } from "react-hook-form";
import { useTRPC } from "@/trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import type { NotificationSettings } from "@/server/notifications/schemas";
import { TAB_QUERY, TabBody, TabHeading, TabSaveBar, useGroupTab, useTabSave, type GroupTab } from "../../_components/group-tab";
import { EventCheckboxes } from "./event-checkboxes";
import {
  APPROVER_EMAIL_EVENTS,
  APPROVER_EVENT_HINTS,
  MAX_EXTRA_RECIPIENTS,
  MAX_WEBHOOKS,
  notificationsFormSchema,
  notificationsToForm,
  placeServerErrors,
  REQUESTER_EMAIL_EVENTS,
  type NotificationsFormValues,
} from "./notifications-form";
import { IssuedSecrets, type ShownSecret } from "./issued-secrets";
import { RecentDeliveries } from "./recent-deliveries";
import { WebhookCard } from "./webhook-card";

type NotificationsData = RouterOutputs["accessGroups"]["notifications"]["get"];

export function NotificationsTab({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.accessGroups.notifications.get.queryOptions({ id: groupId }),
    ...TAB_QUERY,
    // The shared refresh after a save on another tab (group-tab.tsx) does not refetch this read:
    // dropped when the tab closes, it cannot open on a version that is already stale.
    gcTime: 0,
  });
  const tab = useGroupTab(groupId, query);
  // Kept above the form, which remounts after a save: the secrets it issued must stay on screen.
  const [secrets, setSecrets] = useState<ShownSecret[]>([]);
  const showSecrets = (issued: readonly ShownSecret[]) =>
    setSecrets((shown) => [...issued, ...shown.filter((s) => !issued.some((i) => i.webhookId === s.webhookId))]);
  return (
    <>
      <section aria-labelledby="notifications-heading">
        <TabHeading id="notifications-heading" title="Notifications">
          Who hears about this group&apos;s requests, and how: email to the people concerned and to extra addresses, and webhooks to chat channels or other
          systems.
        </TabHeading>
        <IssuedSecrets secrets={secrets} onDismiss={() => setSecrets([])} />
        <TabBody query={query} what="notifications" tab={tab}>
          {(data) => <NotificationsForm initial={data} tab={tab} onSecrets={showSecrets} />}
        </TabBody>
      </section>
      {/* Once the group is known to exist: a deleted group has no deliveries to show. */}
      {query.data && <RecentDeliveries groupId={groupId} />}
    </>
  );
}

function NotificationsForm({ initial, tab, onSecrets }: { initial: NotificationsData; tab: GroupTab; onSecrets: (issued: readonly ShownSecret[]) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const save = useTabSave(tab, initial.version, "Notifications saved");
  const {
    register,
    handleSubmit,
    control,
    setError,
    getValues,
    formState: { errors, isDirty },
  } = useForm<NotificationsFormValues, unknown, NotificationSettings>({
    resolver: zodResolver(notificationsFormSchema),
    defaultValues: notificationsToForm(initial.notifications),
  });
  const recipients = useFieldArray({ control, name: "extraRecipients" });
  const webhooks = useFieldArray({ control, name: "webhooks" });

  const update = useMutation(
    trpc.accessGroups.notifications.update.mutationOptions({
      onSuccess: (saved) => {
        onSecrets(saved.issuedSecrets);
        // Not among the reads the shared refresh refetches: the form remounts on what was just saved.
        queryClient.setQueryData(trpc.accessGroups.notifications.get.queryKey({ id: initial.id }), (old) =>
          old
            ? {
                ...old,
                version: saved.version,
                notifications: saved.notifications,
                secretsIssued: { ...old.secretsIssued, ...Object.fromEntries(saved.issuedSecrets.map((s) => [s.webhookId, new Date()])) },
              }
            : old,
        );
        return save.callbacks.onSuccess();
      },
      onError: async (err) => {
        const found = await tab.problemFor(err, initial.version);
        const placed = placeServerErrors(found.fieldErrors, setError);
        save.setProblem(placed ? { ...found, message: "Check the highlighted fields." } : found);
      },
    }),
  );

  const rotate = useMutation(trpc.accessGroups.notifications.rotateSecret.mutationOptions({ onSuccess: (issued) => onSecrets([issued]) }));
  const saved = new Set(initial.notifications.webhooks.map((w) => w.id));
  /** Saved webhooks can have their secret rotated; new ones get theirs when saved. */
  const secretOf = (webhookId: string) =>
    saved.has(webhookId)
      ? {
          issuedAt: initial.secretsIssued[webhookId] ?? null,
          pending: rotate.isPending && rotate.variables?.webhookId === webhookId,
          error: rotate.error && rotate.variables?.webhookId === webhookId ? rotate.error.message : null,
          rotate: () => rotate.mutateAsync({ id: initial.id, webhookId }),
        }
      : null;

  const recipientsError = errors.extraRecipients?.root?.message ?? errors.extraRecipients?.message;
  const webhooksError = errors.webhooks?.root?.message ?? errors.webhooks?.message;

  return (
    <form
      noValidate
      className="max-w-3xl space-y-8"
      onSubmit={handleSubmit((notifications) => {
        save.start();
        update.mutate({ id: initial.id, version: initial.version, notifications });
      })}
    >
      {!initial.emailConfigured && (
        <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          <strong className="font-semibold">Email is off:</strong> SMTP_URL is not set; webhooks still work. The email choices below are kept for when it is.
        </p>
      )}

      <fieldset className="space-y-4">
        <legend className="text-base font-semibold text-slate-900">Email the people concerned</legend>
        <p className="-mt-2 text-xs text-slate-500">Sent to the email address the directory holds for each person; someone without one gets nothing.</p>
        <Controller
          control={control}
          name="emailEvents"
          render={({ field, fieldState }) => (
            <div className="space-y-4">
              <EventCheckboxes
                idPrefix="notifications-email-requester"
                legend="To the requester"
                events={REQUESTER_EMAIL_EVENTS}
                value={field.value}
                onChange={field.onChange}
                onBlur={field.onBlur}
              />
              <EventCheckboxes
                idPrefix="notifications-email-approvers"
                legend="To approvers"
                events={APPROVER_EMAIL_EVENTS}
                hints={APPROVER_EVENT_HINTS}
                columns={false}
                value={field.value}
                onChange={field.onChange}
                onBlur={field.onBlur}
                error={fieldState.error?.message}
              />
            </div>
          )}
        />
      </fieldset>

      <fieldset className="space-y-4">
        <legend className="text-base font-semibold text-slate-900">Extra addresses</legend>
        <p className="-mt-2 text-xs text-slate-500">
          A security team&apos;s mailbox or a team list: each receives the events chosen below for every request to this group.
        </p>
        {recipients.fields.length === 0 ? (
          <p className="text-sm text-slate-600">No extra addresses.</p>
        ) : (
          <ol className="space-y-3">
            {recipients.fields.map((r, i) => {
              const n = i + 1;
              const rowError = errors.extraRecipients?.[i];
              return (
                <li key={r.id} className="flex items-start gap-2">
                  <div className="min-w-0 flex-1">
                    <TextField
                      id={`notifications-extra-${r.id}`}
                      type="email"
                      inputMode="email"
                      autoComplete="off"
                      spellCheck={false}
                      maxLength={254}
                      label={`Address ${n}`}
                      placeholder="soc@example.com"
                      error={rowError?.address?.message ?? rowError?.message}
                      {...register(`extraRecipients.${i}.address`)}
                    />
                  </div>
                  <Button variant="ghost" className="mt-6" aria-label={`Remove address ${n}`} onClick={() => recipients.remove(i)}>
                    Remove
                  </Button>
                </li>
              );
            })}
          </ol>
        )}
        {recipientsError && <ErrorAlert>{recipientsError}</ErrorAlert>}
        <div className="flex flex-wrap items-center gap-3">
          <Button onClick={() => recipients.append({ address: "" })} disabled={recipients.fields.length >= MAX_EXTRA_RECIPIENTS}>
            Add address
          </Button>
          {recipients.fields.length >= MAX_EXTRA_RECIPIENTS && <p className="text-xs text-slate-500">At most {MAX_EXTRA_RECIPIENTS} addresses.</p>}
        </div>
        <Controller
          control={control}
          name="extraEvents"
          render={({ field, fieldState }) => (
            <EventCheckboxes
              idPrefix="notifications-extra-events"
              legend="Events sent to the extra addresses"
              value={field.value}
              onChange={field.onChange}
              onBlur={field.onBlur}
              error={fieldState.error?.message}
            />
          )}
        />
      </fieldset>

      <fieldset className="space-y-4">
        <legend className="text-base font-semibold text-slate-900">Webhooks</legend>
        <p className="-mt-2 text-xs text-slate-500">
          Each enabled webhook receives a POST for the events it lists: a JSON body (Generic), or a message formatted for a Slack or Microsoft Teams channel.
          Every delivery is signed with the webhook&apos;s own secret (<code className="font-mono">X-Interim-Timestamp</code>,{" "}
          <code className="font-mono">X-Interim-Signature</code>), shown once when the webhook is first saved. Addresses inside the network (loopback, private,
          link-local, cloud metadata) are refused unless the operator allows them in INTERIM_WEBHOOK_ALLOW.
        </p>
        {webhooks.fields.length === 0 ? (
          <p className="text-sm text-slate-600">No webhooks.</p>
        ) : (
          <ol className="space-y-4">
            {webhooks.fields.map((w, i) => (
              <WebhookCard
                key={w.id}
                index={i}
                fieldKey={w.id}
                control={control}
                register={register}
                errors={errors.webhooks?.[i]}
                onRemove={() => webhooks.remove(i)}
                secret={secretOf(getValues(`webhooks.${i}.id`))}
              />
            ))}
          </ol>
        )}
        {webhooksError && <ErrorAlert>{webhooksError}</ErrorAlert>}
        <div className="flex flex-wrap items-center gap-3">
          <Button
            onClick={() => webhooks.append({ id: newId(), name: "", kind: "generic", url: "", events: [], enabled: true })}
            disabled={webhooks.fields.length >= MAX_WEBHOOKS}
          >
            Add webhook
          </Button>
          {webhooks.fields.length >= MAX_WEBHOOKS && <p className="text-xs text-slate-500">At most {MAX_WEBHOOKS} webhooks.</p>}
        </div>
      </fieldset>

      <TabSaveBar problem={save.problem} tab={tab} pending={update.isPending} dirty={isDirty}>
        Save notifications
      </TabSaveBar>
    </form>
  );
}

/** A v4 UUID from getRandomValues: randomUUID exists only on HTTPS or localhost pages. */
function newId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
