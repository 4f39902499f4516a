"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useForm, useWatch } from "react-hook-form";
import { useTRPC } from "@/trpc/client";
import { TextAreaField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { useDebounced } from "@/components/use-debounced";
import { CREDENTIAL_FIELDS, DEVICE_FIELDS, PRIVILEGE_FIELDS, type Criteria, type CriteriaField } from "@/server/access-groups/policy/schemas";
import { TAB_QUERY, TabBody, TabHeading, TabSaveBar, useGroupTab, useTabSave, type GroupTab } from "../../_components/group-tab";
import { CriteriaPreview } from "./criteria-preview";
import { criteriaResolver, criteriaToText, FIELD_LABEL, type CriteriaText } from "./criteria-text";

type CriteriaData = RouterOutputs["accessGroups"]["criteria"]["get"];

const PLACEHOLDER: Record<CriteriaField, string> = {
  privilegeNames: "Web farm *",
  privilegeTags: "production",
  credentialUsernames: "svc-*",
  credentialTypes: "Domain account",
  credentialTags: "tier-1",
  deviceNames: "web-0*",
  deviceModels: "MySQL",
  deviceTypes: "Server",
  deviceTags: "linux",
  websites: "https://*.example.com*",
};

const GROUPS: { title: string; fields: readonly CriteriaField[]; note: string }[] = [
  { title: "Privileges", fields: PRIVILEGE_FIELDS, note: "Which published privileges the group's users may request." },
  { title: "Credentials", fields: CREDENTIAL_FIELDS, note: "Which privileged accounts they may elevate instead of their own." },
  {
    title: "Devices",
    fields: DEVICE_FIELDS,
    note: "Narrows the credentials to those on matching devices: one of an account's devices must satisfy all the device fields.",
  },
];

export function CriteriaTab({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.accessGroups.criteria.get.queryOptions({ id: groupId }), ...TAB_QUERY });
  const tab = useGroupTab(groupId, query);
  return (
    <section aria-labelledby="criteria-heading">
      <TabHeading id="criteria-heading" title="Criteria">
        <p>What the group&apos;s users may request. One pattern per line; letter case is ignored.</p>
        <ul className="mt-2 list-disc space-y-1 pl-5">
          <li>
            <code className="rounded bg-slate-100 px-1">*</code> matches anything (including nothing); every other character is literal and a pattern must match
            the whole value.
          </li>
          <li>Values in one field are alternatives (any may match); filled-in fields must all match.</li>
          <li>A group with no criteria at all selects every privilege and every privileged account.</li>
          <li>
            Privileges and accounts (credentials and devices) are two scopes. Once you fill in one, the other selects nothing until you fill it in too: naming
            privileges alone lets users elevate only their own account, naming credentials or devices alone allows no privilege.
          </li>
        </ul>
      </TabHeading>
      <TabBody query={query} what="criteria" tab={tab}>
        {(data) => <CriteriaForm initial={data} tab={tab} />}
      </TabBody>
    </section>
  );
}

function CriteriaForm({ initial, tab }: { initial: CriteriaData; tab: GroupTab }) {
  const trpc = useTRPC();
  const save = useTabSave(tab, initial.version, "Criteria saved");
  const {
    register,
    handleSubmit,
    control,
    formState: { errors, isDirty },
  } = useForm<CriteriaText, unknown, Criteria>({ resolver: criteriaResolver, defaultValues: criteriaToText(initial.criteria) });
  // A string, so the debounce settles on a value that compares equal across renders.
  const typed = JSON.stringify(useWatch({ control }));
  const settled = useDebounced(typed, 300);

  const update = useMutation(trpc.accessGroups.criteria.update.mutationOptions(save.callbacks));

  return (
    <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
      <form
        noValidate
        className="min-w-0 space-y-6"
        onSubmit={handleSubmit((criteria) => {
          save.start();
          update.mutate({ id: initial.id, version: initial.version, criteria });
        })}
      >
        {GROUPS.map((group) => (
          <section
            key={group.title}
            aria-labelledby={`criteria-${group.title}`}
            className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
          >
            <div>
              <h4 id={`criteria-${group.title}`} className="font-semibold text-slate-900">
                {group.title}
              </h4>
              <p className="text-xs text-slate-500">{group.note}</p>
            </div>
            <div className="grid gap-4 sm:grid-cols-2">
              {group.fields.map((field) => (
                <TextAreaField
                  key={field}
                  id={`criteria-${field}`}
                  label={FIELD_LABEL[field]}
                  rows={3}
                  spellCheck={false}
                  autoCapitalize="off"
                  autoComplete="off"
                  placeholder={PLACEHOLDER[field]}
                  hint="One pattern per line"
                  error={errors[field]?.message}
                  className="font-mono"
                  {...register(field)}
                />
              ))}
            </div>
          </section>
        ))}
        <TabSaveBar problem={save.problem} tab={tab} pending={update.isPending} dirty={isDirty}>
          Save criteria
        </TabSaveBar>
      </form>
      <CriteriaPreview text={JSON.parse(settled) as CriteriaText} />
    </div>
  );
}
