"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/trpc/client";
import { CheckboxField, Field, TextAreaField, TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { TAB_QUERY, TabBody, TabHeading, TabSaveBar, useGroupTab, useTabSave, type GroupTab } from "../../_components/group-tab";

type SessionsData = RouterOutputs["accessGroups"]["sessions"]["get"];

const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

export function SessionsTab({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.accessGroups.sessions.get.queryOptions({ id: groupId }), ...TAB_QUERY });
  const tab = useGroupTab(groupId, query);
  return (
    <section aria-labelledby="sessions-heading">
      <TabHeading id="sessions-heading" title="Sessions">
        Recorded SSH sessions on the devices this group&apos;s criteria select. A session is a request for the privileges below, for as long as the connection
        lasts.
      </TabHeading>
      <TabBody query={query} what="session settings" tab={tab}>
        {(data) => <SessionsForm initial={data} tab={tab} />}
      </TabBody>
    </section>
  );
}

function SessionsForm({ initial, tab }: { initial: SessionsData; tab: GroupTab }) {
  const trpc = useTRPC();
  const save = useTabSave(tab, initial.version, "Session settings saved");
  const privileges = useQuery(trpc.privileges.list.queryOptions());
  const s = initial.sessions;
  const [enabled, setEnabled] = useState(s.enabled);
  const [recording, setRecording] = useState(s.recording);
  const [maxMinutes, setMaxMinutes] = useState(String(s.maxSessionMinutes));
  const [idleMinutes, setIdleMinutes] = useState(String(s.idleTimeoutMinutes));
  const [privilegeIds, setPrivilegeIds] = useState<string[]>(s.privilegeIds);
  const [alert, setAlert] = useState(s.rules.alert.join("\n"));
  const [block, setBlock] = useState(s.rules.block.join("\n"));
  const [dirty, setDirty] = useState(false);
  const update = useMutation(trpc.accessGroups.sessions.update.mutationOptions(save.callbacks));
  const fieldError = (path: string) => save.problem?.fieldErrors?.[path]?.[0] ?? save.problem?.fieldErrors?.[`sessions.${path}`]?.[0];
  const changed =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setDirty(true);
    };

  function submit(e: FormEvent) {
    e.preventDefault();
    save.start();
    update.mutate({
      id: initial.id,
      version: initial.version,
      sessions: {
        enabled,
        recording,
        maxSessionMinutes: Number(maxMinutes),
        idleTimeoutMinutes: Number(idleMinutes),
        privilegeIds,
        rules: { alert: lines(alert), block: lines(block) },
      },
    });
  }

  return (
    <form noValidate className="max-w-2xl space-y-6" onSubmit={submit}>
      <div className="space-y-3">
        <CheckboxField
          id="sessions-enabled"
          label="Members may start sessions"
          hint="On the devices the criteria select, with their own account or the catalog accounts the criteria allow."
          checked={enabled}
          onChange={(e) => changed(setEnabled)(e.target.checked)}
        />
        <CheckboxField
          id="sessions-recording"
          label="Record sessions"
          hint="Keystrokes and output, for playback; commands are indexed either way."
          checked={recording}
          onChange={(e) => changed(setRecording)(e.target.checked)}
        />
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          id="sessions-max"
          label="Maximum session length (minutes)"
          type="number"
          inputMode="numeric"
          min={1}
          max={1440}
          value={maxMinutes}
          error={fieldError("maxSessionMinutes")}
          onChange={(e) => changed(setMaxMinutes)(e.target.value)}
        />
        <TextField
          id="sessions-idle"
          label="Idle timeout (minutes)"
          type="number"
          inputMode="numeric"
          min={1}
          max={1440}
          value={idleMinutes}
          error={fieldError("idleTimeoutMinutes")}
          onChange={(e) => changed(setIdleMinutes)(e.target.value)}
        />
      </div>
      <Field
        id="sessions-privileges"
        label="Privileges a session adds"
        error={fieldError("privilegeIds")}
        hint="The AD groups the account is in for the session's length."
      >
        <select
          id="sessions-privileges"
          multiple
          size={Math.min(8, Math.max(3, privileges.data?.length ?? 3))}
          className="w-full rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
          value={privilegeIds}
          onChange={(e) => changed(setPrivilegeIds)([...e.target.selectedOptions].map((o) => o.value))}
        >
          {(privileges.data ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </Field>
      <TextAreaField
        id="sessions-alert"
        label="Alert patterns (one per line)"
        hint="A command matching one flags the session and notifies the approvers, e.g. Set-ADUser* or rm -rf *."
        rows={4}
        value={alert}
        error={fieldError("rules.alert")}
        onChange={(e) => changed(setAlert)(e.target.value)}
      />
      <TextAreaField
        id="sessions-block"
        label="Block patterns (one per line)"
        hint="A command matching one is not run: the gateway cancels the line and says why."
        rows={4}
        value={block}
        error={fieldError("rules.block")}
        onChange={(e) => changed(setBlock)(e.target.value)}
      />
      <TabSaveBar problem={save.problem} tab={tab} pending={update.isPending} dirty={dirty}>
        Save session settings
      </TabSaveBar>
    </form>
  );
}
