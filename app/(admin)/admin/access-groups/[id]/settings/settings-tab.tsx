"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Controller, useForm, type Path } from "react-hook-form";
import type { z } from "zod";
import { useTRPC } from "@/trpc/client";
import { CheckboxField, TextAreaField, TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { settingsInput } from "@/server/access-groups/schemas";
import { isConflict, TAB_QUERY, TabBody, TabHeading, TabSaveBar, useGroupTab, useTabSave, type GroupTab } from "../../_components/group-tab";
import { TimeZoneSelect } from "../../_components/time-zone-select";
import { WeekdayPicker } from "../../_components/weekday-picker";

type SettingsData = RouterOutputs["accessGroups"]["settings"]["get"];
type Input = z.input<typeof settingsInput>;
type Output = z.output<typeof settingsInput>;

type Flag = { [K in keyof SettingsData["settings"]]: SettingsData["settings"][K] extends boolean ? K : never }[keyof SettingsData["settings"]];

const FLAGS: { name: Flag; label: string; hint: string }[] = [
  { name: "requiresJustification", label: "Requires justification", hint: "Requesters say why they need the access." },
  { name: "requiresApproval", label: "Requires approval", hint: "Requests wait for the people on the Approvers tab before access is granted." },
  { name: "requiresChangeId", label: "Requires change ID", hint: "Requesters give the change-management record the access is for." },
  {
    name: "requiresGovernanceCode",
    label: "Requires governance (ITSM) code",
    hint: "Requesters give the ticket number from the company's ITSM tool with their justification.",
  },
  {
    name: "allowsEmergencyAccess",
    label: "Allows emergency access",
    hint: "An emergency request skips approval and raises an alert; limits and locations still apply.",
  },
  { name: "approvalInLevels", label: "Approval in levels", hint: "Approvers decide level by level, level 1 first. Needs “Requires approval”." },
  {
    name: "autoGrantOnProvisioning",
    label: "Automatically grant access on provisioning",
    hint: "Otherwise a new member waits until an administrator activates them on the Users tab.",
  },
  {
    name: "allowOthersAccounts",
    label: "Allows requests for other people's accounts",
    hint: "Members may elevate a catalog account that has another owner. Off: only their own accounts and accounts without an owner.",
  },
];

export function SettingsTab({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.accessGroups.settings.get.queryOptions({ id: groupId }), ...TAB_QUERY });
  const tab = useGroupTab(groupId, query);
  return (
    <section aria-labelledby="settings-heading">
      <TabHeading title="Settings" id="settings-heading">
        What a request to this group must carry, and how new members are let in.
      </TabHeading>
      <TabBody query={query} what="settings" tab={tab}>
        {(data) => <SettingsForm initial={data} tab={tab} />}
      </TabBody>
    </section>
  );
}

function SettingsForm({ initial, tab }: { initial: SettingsData; tab: GroupTab }) {
  const trpc = useTRPC();
  const save = useTabSave(tab, initial.version, "Settings saved");
  const {
    register,
    handleSubmit,
    setError,
    control,
    formState: { errors, isDirty },
  } = useForm<Input, unknown, Output>({
    resolver: zodResolver(settingsInput),
    defaultValues: {
      id: initial.id,
      version: initial.version,
      name: initial.name,
      description: initial.description,
      enabled: initial.enabled,
      timeZone: initial.timeZone,
      settings: initial.settings,
    },
  });

  const update = useMutation(
    trpc.accessGroups.settings.update.mutationOptions({
      onSuccess: save.callbacks.onSuccess,
      onError: async (err) => {
        const found = await tab.problemFor(err, initial.version);
        const fieldErrors = found.fieldErrors ?? {};
        let placed = false;
        const place = (field: Path<Input>, message: string | undefined) => {
          if (!message) return;
          setError(field, { type: "server", message });
          placed = true;
        };
        place("name", fieldErrors.name?.[0]);
        place("description", fieldErrors.description?.[0]);
        place("timeZone", fieldErrors.timeZone?.[0]);
        place("settings.approvalInLevels", fieldErrors["settings.approvalInLevels"]?.[0]);
        place("settings.usualHours.start", fieldErrors["settings.usualHours.start"]?.[0]);
        place("settings.usualHours.end", fieldErrors["settings.usualHours.end"]?.[0]);
        // A day out of range is reported under its index ("settings.usualDays.3").
        const dayError = Object.entries(fieldErrors).find(([key]) => key === "settings.usualDays" || key.startsWith("settings.usualDays."))?.[1]?.[0];
        place("settings.usualDays", dayError);
        // A conflict that is not a stale version is the name being taken.
        if (isConflict(err) && !found.stale) place("name", found.message);
        save.setProblem(placed ? { ...found, message: "Check the highlighted fields." } : found);
      },
    }),
  );

  return (
    <form
      noValidate
      className="max-w-3xl space-y-6"
      onSubmit={handleSubmit((values) => {
        save.start();
        update.mutate(values);
      })}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField id="settings-name" label="Name" maxLength={80} error={errors.name?.message} {...register("name")} />
        <TimeZoneSelect
          id="settings-tz"
          current={initial.timeZone}
          error={errors.timeZone?.message}
          hint="Days, hours and dates on the Limits tab, and the usual hours below, are read in this zone."
          {...register("timeZone")}
        />
      </div>
      <TextAreaField id="settings-description" label="Description" rows={2} maxLength={1000} error={errors.description?.message} {...register("description")} />
      <fieldset className="space-y-3">
        <legend className="mb-2 text-sm font-semibold text-slate-900">Access</legend>
        <CheckboxField
          id="settings-enabled"
          label="Enabled"
          hint="A disabled group gives its members nothing; grants already made run their course."
          {...register("enabled")}
        />
        {FLAGS.map((flag) => (
          <CheckboxField
            key={flag.name}
            id={`settings-${flag.name}`}
            label={flag.label}
            hint={flag.hint}
            error={errors.settings?.[flag.name]?.message}
            {...register(`settings.${flag.name}`)}
          />
        ))}
      </fieldset>
      <fieldset aria-describedby="settings-usual-hint" className="space-y-3">
        <legend className="text-sm font-semibold text-slate-900">Usual hours</legend>
        <p id="settings-usual-hint" className="text-xs text-slate-500">
          Requests made (or scheduled to start) outside these hours, in the group&apos;s time zone, are flagged &lsquo;Outside usual hours&rsquo; to approvers
          and in notifications. They are not refused.
        </p>
        <fieldset aria-describedby={errors.settings?.usualDays?.message ? "settings-usual-days-hint settings-usual-days-error" : "settings-usual-days-hint"}>
          <legend className="text-sm font-medium text-slate-800">Days</legend>
          <p id="settings-usual-days-hint" className="mb-2 text-xs text-slate-500">
            None checked means every day.
          </p>
          <Controller
            control={control}
            name="settings.usualDays"
            render={({ field, fieldState }) => (
              <WeekdayPicker
                value={field.value ?? []}
                onChange={field.onChange}
                onBlur={field.onBlur}
                error={fieldState.error?.message}
                errorId="settings-usual-days-error"
              />
            )}
          />
        </fieldset>
        <div className="flex flex-wrap items-start gap-3">
          <div className="w-36">
            <TextField
              id="settings-usual-start"
              type="time"
              label="From"
              error={errors.settings?.usualHours?.start?.message}
              {...register("settings.usualHours.start")}
            />
          </div>
          <div className="w-36">
            <TextField
              id="settings-usual-end"
              type="time"
              label="To"
              error={errors.settings?.usualHours?.end?.message}
              {...register("settings.usualHours.end")}
            />
          </div>
        </div>
        <p className="text-xs text-slate-500">
          An end earlier than the start runs past midnight (22:00 to 06:00); an end equal to the start means the whole day.
        </p>
      </fieldset>
      <TabSaveBar problem={save.problem} tab={tab} pending={update.isPending} dirty={isDirty}>
        Save settings
      </TabSaveBar>
    </form>
  );
}
