"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useFieldArray, useForm, useWatch } from "react-hook-form";
import { useTRPC } from "@/trpc/client";
import { EmptyState, ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { Dn } from "@/components/dn";
import { TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import type { ApproversInput } from "@/server/access-groups/schemas";
import { plural } from "../../_components/format";
import { SettingsLink, TAB_QUERY, TabBody, TabHeading, TabSaveBar, useGroupTab, useTabSave, type GroupTab } from "../../_components/group-tab";
import { ApproverSearch } from "./approver-search";
import { approversResolver, levelsInUse, MAX_LEVEL, type ApproversFormValues } from "./approvers-form-values";

type ApproversData = RouterOutputs["accessGroups"]["approvers"]["get"];

export function ApproversTab({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.accessGroups.approvers.get.queryOptions({ id: groupId }), ...TAB_QUERY });
  const tab = useGroupTab(groupId, query);
  return (
    <section aria-labelledby="approvers-heading">
      <TabHeading id="approvers-heading" title="Approvers">
        Who decides on requests to this group.
      </TabHeading>
      <TabBody query={query} what="approvers" tab={tab}>
        {(data) => <ApproversForm initial={data} tab={tab} />}
      </TabBody>
    </section>
  );
}

function ApprovalMode({ group }: { group: ApproversData }) {
  const box = "rounded-md bg-indigo-50 px-3 py-2 text-sm text-indigo-900";
  if (!group.requiresApproval) {
    return (
      <p className={box}>
        This group does not require approval: requests are granted without anyone approving. The people listed here only decide once “Requires approval” is on
        in <SettingsLink groupId={group.id} />.
      </p>
    );
  }
  if (!group.approvalInLevels) {
    return (
      <p className={box}>
        Requests wait for approval from the people below, all on one level. For a hierarchy, turn on “Approval in levels” in <SettingsLink groupId={group.id} />
        .
      </p>
    );
  }
  return (
    <p className={box}>
      Requests are approved in levels: level 1 decides first, then level 2, and so on. Levels follow each other from 1, and each level needs the number of
      approvals set below.
    </p>
  );
}

function ApproversForm({ initial, tab }: { initial: ApproversData; tab: GroupTab }) {
  const trpc = useTRPC();
  const save = useTabSave(tab, initial.version, "Approvers saved");
  const inLevels = initial.approvalInLevels;
  const {
    register,
    handleSubmit,
    control,
    formState: { errors, isDirty },
  } = useForm<ApproversFormValues, unknown, ApproversInput>({
    resolver: approversResolver(initial),
    defaultValues: {
      approvers: initial.approvers.map((a) => ({ userGuid: a.userGuid, username: a.username, displayName: a.displayName, dn: a.dn, level: a.level })),
      required: Array.from({ length: MAX_LEVEL }, (_, i) => initial.levels.find((l) => l.level === i + 1)?.requiredApprovals ?? 1),
    },
  });
  const approvers = useFieldArray({ control, name: "approvers" });
  const watched = useWatch({ control, name: "approvers" });
  const levels = inLevels ? levelsInUse(watched) : watched.length ? [1] : [];
  const flattened = !inLevels && initial.approvers.some((a) => a.level !== 1);

  const update = useMutation(trpc.accessGroups.approvers.update.mutationOptions(save.callbacks));

  return (
    <div className="space-y-6">
      <ApprovalMode group={initial} />
      <ApproverSearch
        listed={watched.map((a) => a.userGuid.toLowerCase())}
        onAdd={(p) => approvers.append({ userGuid: p.objectGuid, username: p.name, displayName: p.displayName, dn: p.dn, level: 1 })}
      />
      <form
        noValidate
        className="max-w-3xl space-y-6"
        onSubmit={handleSubmit((input) => {
          save.start();
          update.mutate(input);
        })}
      >
        <div className="space-y-2">
          <h4 className="text-sm font-semibold text-slate-900">Approvers of this group</h4>
          {flattened && <p className="text-sm text-amber-800">Some approvers were on higher levels; saving puts everyone on level 1.</p>}
          {approvers.fields.length === 0 ? (
            <EmptyState title="No approvers yet">
              {initial.requiresApproval ? "Requests to this group cannot be approved until you add someone." : "Search people above to add one."}
            </EmptyState>
          ) : (
            <ul aria-label="Approvers" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
              {approvers.fields.map((a, i) => (
                <li key={a.id} aria-label={a.username} className="flex flex-wrap items-end justify-between gap-3 px-4 py-3">
                  <div className="min-w-0 flex-1 basis-60">
                    <p className="font-medium break-words text-slate-900">
                      {a.displayName || a.username} <span className="text-sm font-normal text-slate-500">({a.username})</span>
                    </p>
                    <p className="text-xs text-slate-500">
                      <Dn value={a.dn} />
                    </p>
                  </div>
                  <div className="flex items-end gap-3">
                    {inLevels && (
                      <div className="w-24">
                        <TextField
                          id={`approver-${a.id}-level`}
                          label="Level"
                          type="number"
                          inputMode="numeric"
                          min={1}
                          max={MAX_LEVEL}
                          step={1}
                          error={errors.approvers?.[i]?.level?.message}
                          {...register(`approvers.${i}.level`, { valueAsNumber: true })}
                        />
                      </div>
                    )}
                    <Button variant="ghost" onClick={() => approvers.remove(i)}>
                      Remove
                    </Button>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </div>

        {levels.length > 0 && (
          <fieldset className="space-y-3">
            <legend className="text-sm font-semibold text-slate-900">Approvals needed</legend>
            <div className="grid gap-4 sm:grid-cols-2">
              {levels.map((level) => {
                const count = watched.filter((a) => (inLevels ? a.level : 1) === level).length;
                return (
                  <TextField
                    key={level}
                    id={`approvers-required-${level}`}
                    label={`Approvals needed at level ${level}`}
                    type="number"
                    inputMode="numeric"
                    min={1}
                    max={count}
                    step={1}
                    hint={`${plural(count, "approver")} at this level.`}
                    error={errors.required?.[level - 1]?.message}
                    {...register(`required.${level - 1}`, { valueAsNumber: true })}
                  />
                );
              })}
            </div>
          </fieldset>
        )}

        {errors.root?.message && <ErrorAlert>{errors.root.message}</ErrorAlert>}
        <TabSaveBar problem={save.problem} tab={tab} pending={update.isPending} dirty={isDirty}>
          Save approvers
        </TabSaveBar>
      </form>
    </div>
  );
}
