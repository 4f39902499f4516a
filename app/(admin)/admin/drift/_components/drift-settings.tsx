"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, ErrorAlert, Loading, QueryError, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { Dn } from "@/components/dn";
import { controlClass } from "@/components/form-field";
import { Card } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { ListToolbar, Pager, type ListFilter } from "@/components/list-toolbar";
import { Tag } from "@/components/tag";
import { useListState } from "@/components/use-list-state";
import { DRIFT_ACTION_LABEL, DRIFT_ACTIONS } from "@/server/drift/schemas";
import { When } from "./drift-bits";

type GroupSetting = RouterOutputs["drift"]["settingsPage"]["items"][number];
type Action = GroupSetting["action"];

type SettingsFilter = "action" | "findings";
const FILTERS: ListFilter<SettingsFilter>[] = [
  { key: "action", label: "Action", options: DRIFT_ACTIONS.map((a) => ({ value: a, label: DRIFT_ACTION_LABEL[a] })) },
  { key: "findings", label: "Open findings", options: [{ value: "yes", label: "With open findings" }] },
];

/** Per privilege group: alert only, or remove standing access automatically. */
export function DriftSettings() {
  const trpc = useTRPC();
  const list = useListState<SettingsFilter>({ prefix: "groups", filters: ["action", "findings"] });
  const input = {
    q: list.q,
    page: list.page,
    pageSize: list.pageSize,
    action: DRIFT_ACTIONS.find((a) => a === list.filters.action),
    withFindings: list.filters.findings === "yes" || undefined,
  };
  const settings = useQuery({ ...trpc.drift.settingsPage.queryOptions(input), placeholderData: keepPreviousData });
  const filtered = Boolean(list.q || input.action || input.withFindings || list.page > 1);

  return (
    <section aria-labelledby="drift-settings-heading" className="mb-10">
      <h2 id="drift-settings-heading" className="mb-1 text-lg font-semibold text-slate-900">
        What to do with standing access
      </h2>
      <p className="mb-3 max-w-3xl text-sm text-slate-600">
        Per privilege group. With “Remove automatically”, the next check takes standing members out of the group, except accepted ones, nested groups and
        Interim&apos;s service account. Memberships that outlived their grant are always removed.
      </p>
      <div className="mb-3">
        <ListToolbar
          state={list}
          searchLabel="Search privilege groups"
          placeholder="Privilege or group DN"
          filters={FILTERS}
          total={settings.data?.total}
          noun="groups"
        />
      </div>
      {settings.isPending ? (
        <Loading label="Loading privilege groups…" />
      ) : settings.isError ? (
        <QueryError message={describeError(settings.error).message} onRetry={() => void settings.refetch()} />
      ) : settings.data.items.length === 0 && filtered ? (
        <EmptyState title="No privilege group matches">Try part of a privilege name or group, or clear the filters.</EmptyState>
      ) : settings.data.items.length === 0 ? (
        <EmptyState title="No privilege groups yet">
          Drift is checked in the groups of{" "}
          <Link href="/admin/privileges" className="font-medium text-indigo-700 underline underline-offset-2">
            published privileges
          </Link>
          .
        </EmptyState>
      ) : (
        <Card>
          <ul className="divide-y divide-slate-100">
            {settings.data.items.map((g) => (
              <GroupSettingRow key={g.privilegeId} group={g} />
            ))}
          </ul>
        </Card>
      )}
      <div className="mt-3">
        <Pager state={list} total={settings.data?.total} label="Privilege group pages" />
      </div>
    </section>
  );
}

function GroupSettingRow({ group: g }: { group: GroupSetting }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const selectId = useId();
  const [choice, setChoice] = useState<Action>(g.action);
  const save = useMutation(
    trpc.drift.setAction.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.drift.settings.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.drift.settingsPage.queryKey() }),
        ]),
    }),
  );
  const dirty = choice !== g.action;

  return (
    <li className="px-4 py-4 sm:px-6">
      <form
        className="flex flex-wrap items-end justify-between gap-4"
        onSubmit={(e) => {
          e.preventDefault();
          save.reset();
          save.mutate({ privilegeId: g.privilegeId, action: choice });
        }}
      >
        <div className="min-w-0 flex-1 basis-64">
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-medium text-slate-900">{g.privilege}</span>
            {!g.enabled && <Tag tone="slate">Disabled</Tag>}
            {g.openCount > 0 && <Tag tone="amber">{g.openCount === 1 ? "1 open finding" : `${g.openCount} open findings`}</Tag>}
          </div>
          <Dn value={g.groupDn} className="text-xs text-slate-500" />
          {g.updatedAt && (
            <p className="mt-1 text-xs text-slate-500">
              Set{g.updatedBy ? ` by ${g.updatedBy}` : ""} <When at={g.updatedAt} />
            </p>
          )}
        </div>
        <div className="flex flex-wrap items-end gap-2">
          <div className="space-y-1">
            <label htmlFor={selectId} className="block text-sm font-medium text-slate-800">
              Standing access in {g.privilege}
            </label>
            <select
              id={selectId}
              value={choice}
              onChange={(e) => {
                setChoice(e.target.value as Action);
                save.reset();
              }}
              className={`${controlClass(false)} w-56`}
            >
              {DRIFT_ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {DRIFT_ACTION_LABEL[a]}
                </option>
              ))}
            </select>
          </div>
          <Button type="submit" variant={choice === "remove" ? "danger" : "primary"} pending={save.isPending} disabled={!dirty}>
            Save
          </Button>
        </div>
      </form>
      {dirty && choice === "remove" && (
        <p className="mt-2 text-sm text-amber-800">
          Saving takes standing members out of this group at the next check (not accepted ones, nested groups or Interim&apos;s service account).
        </p>
      )}
      {save.isError && <ErrorAlert className="mt-2">{describeError(save.error).message}</ErrorAlert>}
      {save.isSuccess && !dirty && (
        <SuccessNote className="mt-2">Saved: {DRIFT_ACTION_LABEL[save.data.action].toLowerCase()} from the next check on.</SuccessNote>
      )}
    </li>
  );
}
