"use client";

import { CheckboxField } from "@/components/form-field";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useFieldArray, useForm } from "react-hook-form";
import type { z } from "zod";
import { useTRPC } from "@/trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import type { RouterOutputs } from "@/components/router-types";
import { locationPolicySchema } from "@/server/access-groups/policy/schemas";
import { TAB_QUERY, TabBody, TabHeading, TabSaveBar, useGroupTab, useTabSave, type GroupTab } from "../../_components/group-tab";
import { AddLocation, locationCode } from "./add-location";

type LocationsData = RouterOutputs["accessGroups"]["locations"]["get"];
type Input = z.input<typeof locationPolicySchema>;
type Output = z.output<typeof locationPolicySchema>;

export function LocationsTab({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.accessGroups.locations.get.queryOptions({ id: groupId }), ...TAB_QUERY });
  const tab = useGroupTab(groupId, query);
  return (
    <section aria-labelledby="locations-heading">
      <TabHeading id="locations-heading" title="Locations">
        Where requests may come from. The location is looked up from the requester&apos;s IP address; a country entry allows the whole country, a region entry
        (ISO 3166-2, such as FR-IDF) only that region.
      </TabHeading>
      <TabBody query={query} what="locations" tab={tab}>
        {(data) => <LocationsForm initial={data} tab={tab} />}
      </TabBody>
    </section>
  );
}

function LocationsForm({ initial, tab }: { initial: LocationsData; tab: GroupTab }) {
  const trpc = useTRPC();
  const countries = useQuery({ ...trpc.accessGroups.locations.countries.queryOptions(), staleTime: Infinity });
  const save = useTabSave(tab, initial.version, "Locations saved");
  const {
    register,
    handleSubmit,
    control,
    formState: { errors, isDirty },
  } = useForm<Input, unknown, Output>({
    resolver: zodResolver(locationPolicySchema),
    defaultValues: { restrict: initial.locations.restrict, allowed: initial.locations.allowed.map((a) => ({ country: a.country, region: a.region ?? null })) },
  });
  const allowed = useFieldArray({ control, name: "allowed" });
  const countryName = (code: string) => countries.data?.find((c) => c.code === code)?.name ?? code;
  const listError = errors.allowed?.root?.message ?? errors.allowed?.message;

  const update = useMutation(trpc.accessGroups.locations.update.mutationOptions(save.callbacks));

  return (
    <form
      noValidate
      className="max-w-3xl space-y-6"
      onSubmit={handleSubmit((locations) => {
        save.start();
        update.mutate({ id: initial.id, version: initial.version, locations });
      })}
    >
      <CheckboxField
        id="locations-restrict"
        label="Restrict access to these locations"
        hint="When on, requests from other places, or whose location cannot be determined, are refused. When off, the list is kept but not applied."
        {...register("restrict")}
      />

      <AddLocation countries={countries} existing={allowed.fields.map((f) => locationCode(f))} onAdd={(entry) => allowed.append(entry)} />

      <div className="space-y-2">
        <h4 className="text-sm font-semibold text-slate-900">Allowed locations</h4>
        {allowed.fields.length === 0 ? (
          <p className="text-sm text-slate-600">No locations yet.</p>
        ) : (
          <ul aria-label="Allowed locations" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
            {allowed.fields.map((entry, i) => {
              const code = locationCode(entry);
              const entryErrors = errors.allowed?.[i];
              const message = entryErrors?.region?.message ?? entryErrors?.country?.message;
              return (
                <li key={entry.id} aria-label={code} className="flex flex-wrap items-center justify-between gap-3 px-4 py-3">
                  <div className="min-w-0">
                    <span className="font-mono text-sm font-medium text-slate-900">{code}</span>
                    <span className="ml-2 text-sm text-slate-600">
                      {entry.region ? `a region of ${countryName(entry.country)}` : `${countryName(entry.country)}, the whole country`}
                    </span>
                    {message && <p className="text-sm text-red-700">{message}</p>}
                  </div>
                  <Button variant="ghost" aria-label={`Remove ${code}`} onClick={() => allowed.remove(i)}>
                    Remove
                  </Button>
                </li>
              );
            })}
          </ul>
        )}
        {listError && <ErrorAlert>{listError}</ErrorAlert>}
      </div>

      <TabSaveBar problem={save.problem} tab={tab} pending={update.isPending} dirty={isDirty}>
        Save locations
      </TabSaveBar>
    </form>
  );
}
