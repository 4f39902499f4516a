"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, ErrorAlert, Loading, QueryError, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { Dn } from "@/components/dn";
import { controlClass } from "@/components/form-field";
import { Card } from "@/components/page-heading";
import type { RouterOutputs } from "@/components/router-types";
import { Tag } from "@/components/tag";
import { DRIFT_ACTION_LABEL, DRIFT_ACTIONS } from "@/server/drift/schemas";
import { When } from "./drift-bits";

type GroupSetting = RouterOutputs["drift"]["settings"][number];
type Action = GroupSetting["action"];

/** Per privilege group: alert only, or remove standing access automatically. */
export function DriftSettings() {
  const trpc = useTRPC();
  const settings = useQuery(trpc.drift.settings.queryOptions());

  return (
    <section aria-labelledby="drift-settings-heading" className="mb-10">
      <h2 id="drift-settings-heading" className="mb-1 text-lg font-semibold text-slate-900">
        What to do with standing access
      </h2>
      <p className="mb-3 max-w-3xl text-sm text-slate-600">
        Per privilege group. With “Remove automatically”, the next check takes standing members out of the group, except accepted ones, nested groups and
        Interim&apos;s service account. Memberships that outlived their grant are always removed.
      </p>
      {settings.isPending ? (
        <Loading label="Loading privilege groups…" />
      ) : settings.isError ? (
        <QueryError message={describeError(settings.error).message} onRetry={() => void settings.refetch()} />
      ) : settings.data.length === 0 ? (
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
            {settings.data.map((g) => (
              <GroupSettingRow key={g.privilegeId} group={g} />
            ))}
          </ul>
        </Card>
      )}
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
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.drift.settings.queryKey() }),
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
