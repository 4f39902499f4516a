"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Controller, useFieldArray, useForm, useWatch } from "react-hook-form";
import { useTRPC } from "@/trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { useDebounced } from "@/components/use-debounced";
import type { Limits } from "@/server/access-groups/policy/schemas";
import { SettingsLink, TAB_QUERY, TabBody, TabHeading, TabSaveBar, useGroupTab, useTabSave, type GroupTab } from "../../_components/group-tab";
import { WeekdayPicker } from "../../_components/weekday-picker";
import { LimitsPreview } from "./limits-preview";
import { limitsFormSchema, limitsToForm, MAX_WINDOWS, type LimitsFormValues } from "./limits-form-schema";

type LimitsData = RouterOutputs["accessGroups"]["limits"]["get"];

export function LimitsTab({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.accessGroups.limits.get.queryOptions({ id: groupId }), ...TAB_QUERY });
  const tab = useGroupTab(groupId, query);
  return (
    <section aria-labelledby="limits-heading">
      <TabHeading id="limits-heading" title="Limits">
        When the group&apos;s users may get access. A grant never outlasts the window it starts in: it is cut at the window&apos;s end.
      </TabHeading>
      <TabBody query={query} what="limits" tab={tab}>
        {(data) => <LimitsForm initial={data} tab={tab} />}
      </TabBody>
    </section>
  );
}

function LimitsForm({ initial, tab }: { initial: LimitsData; tab: GroupTab }) {
  const trpc = useTRPC();
  const save = useTabSave(tab, initial.version, "Limits saved");
  const {
    register,
    handleSubmit,
    control,
    formState: { errors, isDirty },
  } = useForm<LimitsFormValues, unknown, Limits>({ resolver: zodResolver(limitsFormSchema), defaultValues: limitsToForm(initial.limits) });
  const windows = useFieldArray({ control, name: "windows" });
  const typed = JSON.stringify(useWatch({ control }));
  const settled = useDebounced(typed, 300);

  const update = useMutation(trpc.accessGroups.limits.update.mutationOptions(save.callbacks));

  return (
    <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
      <form
        noValidate
        className="min-w-0 space-y-6"
        onSubmit={handleSubmit((limits) => {
          save.start();
          update.mutate({ id: initial.id, version: initial.version, limits });
        })}
      >
        <p className="rounded-md bg-indigo-50 px-3 py-2 text-sm text-indigo-900">
          Dates, days and times are read in the group&apos;s time zone, <strong>{initial.timeZone}</strong>. Change it in <SettingsLink groupId={initial.id} />.
        </p>

        <fieldset className="space-y-3">
          <legend className="text-sm font-semibold text-slate-900">Validity</legend>
          <div className="grid gap-4 sm:grid-cols-2">
            <TextField
              id="limits-from"
              type="date"
              label="Valid from"
              hint="Empty: no start date."
              error={errors.validFrom?.message}
              {...register("validFrom")}
            />
            <TextField
              id="limits-to"
              type="date"
              label="Valid to"
              hint="Empty: no end date. The day itself is included."
              error={errors.validTo?.message}
              {...register("validTo")}
            />
          </div>
        </fieldset>

        <fieldset aria-describedby="limits-days-hint">
          <legend className="text-sm font-semibold text-slate-900">Days</legend>
          <p id="limits-days-hint" className="mb-2 text-xs text-slate-500">
            None checked means every day. With time windows, a window belongs to the day it starts on.
          </p>
          <Controller
            control={control}
            name="daysOfWeek"
            render={({ field, fieldState }) => (
              <WeekdayPicker value={field.value} onChange={field.onChange} onBlur={field.onBlur} error={fieldState.error?.message} />
            )}
          />
        </fieldset>

        <fieldset aria-describedby="limits-windows-hint" className="space-y-3">
          <legend className="text-sm font-semibold text-slate-900">Time windows</legend>
          <p id="limits-windows-hint" className="text-xs text-slate-500">
            No window means the whole day. A window whose end is earlier than its start runs past midnight (22:00 to 06:00); an end equal to the start means 24
            hours.
          </p>
          {windows.fields.length > 0 && (
            <ol className="space-y-3">
              {windows.fields.map((w, i) => {
                const n = i + 1;
                const rowError = errors.windows?.[i];
                return (
                  <li key={w.id} className="flex flex-wrap items-end gap-3 rounded-md border border-slate-200 bg-white p-3">
                    <div className="w-36">
                      <TextField
                        id={`limits-window-${w.id}-start`}
                        type="time"
                        label={`Window ${n} from`}
                        error={rowError?.start?.message}
                        {...register(`windows.${i}.start`)}
                      />
                    </div>
                    <div className="w-36">
                      <TextField
                        id={`limits-window-${w.id}-end`}
                        type="time"
                        label={`Window ${n} to`}
                        error={rowError?.end?.message}
                        {...register(`windows.${i}.end`)}
                      />
                    </div>
                    <Button variant="ghost" onClick={() => windows.remove(i)}>
                      Remove window {n}
                    </Button>
                  </li>
                );
              })}
            </ol>
          )}
          {errors.windows?.root?.message && <ErrorAlert>{errors.windows.root.message}</ErrorAlert>}
          {errors.windows?.message && <ErrorAlert>{errors.windows.message}</ErrorAlert>}
          <Button onClick={() => windows.append({ start: "09:00", end: "17:00" })} disabled={windows.fields.length >= MAX_WINDOWS}>
            Add time window
          </Button>
          {windows.fields.length >= MAX_WINDOWS && <p className="text-xs text-slate-500">At most {MAX_WINDOWS} time windows.</p>}
        </fieldset>

        <TabSaveBar problem={save.problem} tab={tab} pending={update.isPending} dirty={isDirty}>
          Save limits
        </TabSaveBar>
      </form>
      <LimitsPreview values={JSON.parse(settled) as LimitsFormValues} timeZone={initial.timeZone} />
    </div>
  );
}
