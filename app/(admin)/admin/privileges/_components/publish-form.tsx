"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm, useWatch } from "react-hook-form";
import type { z } from "zod";
import { useTRPC } from "@/trpc/client";
import { publishPrivilegeInput } from "@/server/privileges/schemas";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { applyServerErrors } from "@/components/form-errors";
import type { RouterOutputs } from "@/components/router-types";
import { PrivilegeFields, totalOnlyWithExtension } from "./privilege-fields";

export type DirectoryGroup = RouterOutputs["privileges"]["searchGroups"][number];
type Input = z.input<typeof publishPrivilegeInput>;

const FIELDS = ["name", "description", "maxDurationMinutes", "defaultDurationMinutes", "allowExtension", "maxTotalMinutes", "mechanism", "groupGuid"] as const;

export function PublishForm({ group, onDone }: { group: DirectoryGroup; onDone: (publishedName?: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    control,
    formState: { errors },
  } = useForm<Input, unknown, z.output<typeof publishPrivilegeInput>>({
    resolver: totalOnlyWithExtension(zodResolver(publishPrivilegeInput)),
    defaultValues: {
      groupGuid: group.objectGuid,
      name: group.name,
      description: group.description,
      maxDurationMinutes: 60,
      defaultDurationMinutes: 30,
      allowExtension: false,
      maxTotalMinutes: "",
      tags: [],
      mechanism: "direct",
    },
  });
  const extensionAllowed = useWatch({ control, name: "allowExtension" }) ?? false;

  const publish = useMutation(
    trpc.privileges.publish.mutationOptions({
      onSuccess: async (row) => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.privileges.list.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.privileges.page.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.privileges.available.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.privileges.searchGroups.queryKey() }),
        ]);
        onDone(row.name);
      },
      onError: (err) => setFormError(applyServerErrors(err, setError, FIELDS)),
    }),
  );

  return (
    <form
      noValidate
      aria-label={`Publish ${group.name}`}
      className="mt-3 space-y-4 rounded-md border border-indigo-100 bg-indigo-50/40 p-4"
      onSubmit={handleSubmit((values) => {
        setFormError(null);
        publish.mutate(values);
      })}
    >
      <PrivilegeFields
        idPrefix={`publish-${group.objectGuid}`}
        field={(name) => register(name)}
        errors={{
          name: errors.name?.message,
          description: errors.description?.message,
          maxDurationMinutes: errors.maxDurationMinutes?.message,
          defaultDurationMinutes: errors.defaultDurationMinutes?.message,
          maxTotalMinutes: errors.maxTotalMinutes?.message,
          mechanism: errors.mechanism?.message,
        }}
        extensionAllowed={extensionAllowed}
      />
      {errors.groupGuid?.message && <ErrorAlert>{errors.groupGuid.message}</ErrorAlert>}
      <ErrorAlert>{formError}</ErrorAlert>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" pending={publish.isPending}>
          {publish.isPending ? "Publishing…" : "Publish privilege"}
        </Button>
        <Button variant="ghost" onClick={() => onDone()} disabled={publish.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
