"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm, useWatch } from "react-hook-form";
import type { z } from "zod";
import { useTRPC } from "@/trpc/client";
import { updatePrivilegeInput } from "@/server/privileges/schemas";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { Dn } from "@/components/dn";
import { applyServerErrors } from "@/components/form-errors";
import { CheckboxField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { PrivilegeFields, totalOnlyWithExtension } from "./privilege-fields";

export type AdminPrivilege = RouterOutputs["privileges"]["list"][number];
type Input = z.input<typeof updatePrivilegeInput>;

const FIELDS = ["name", "description", "maxDurationMinutes", "defaultDurationMinutes", "allowExtension", "maxTotalMinutes", "mechanism", "enabled"] as const;

export function EditPrivilegeForm({ privilege, onDone }: { privilege: AdminPrivilege; onDone: (savedName?: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    control,
    formState: { errors },
  } = useForm<Input, unknown, z.output<typeof updatePrivilegeInput>>({
    resolver: totalOnlyWithExtension(zodResolver(updatePrivilegeInput)),
    defaultValues: {
      id: privilege.id,
      name: privilege.name,
      description: privilege.description,
      maxDurationMinutes: privilege.maxDurationMinutes,
      defaultDurationMinutes: privilege.defaultDurationMinutes,
      allowExtension: privilege.allowExtension,
      maxTotalMinutes: privilege.maxTotalMinutes ?? "",
      enabled: privilege.enabled,
      tags: privilege.tags,
      mechanism: privilege.mechanism,
    },
  });
  const extensionAllowed = useWatch({ control, name: "allowExtension" }) ?? false;

  const update = useMutation(
    trpc.privileges.update.mutationOptions({
      onSuccess: async (saved) => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.privileges.list.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.privileges.page.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.privileges.available.queryKey() }),
        ]);
        onDone(saved.name);
      },
      onError: (err) => setFormError(applyServerErrors(err, setError, FIELDS)),
    }),
  );

  const idPrefix = `edit-${privilege.id}`;
  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={handleSubmit((values) => {
        setFormError(null);
        update.mutate(values);
      })}
    >
      <p className="text-xs text-slate-500">
        Group: <Dn value={privilege.groupDn} />
      </p>
      <PrivilegeFields
        idPrefix={idPrefix}
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
        savedMechanism={privilege.mechanism}
      />
      <CheckboxField id={`${idPrefix}-enabled`} label="Enabled" hint="Only enabled privileges can be requested." {...register("enabled")} />
      <ErrorAlert>{formError}</ErrorAlert>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" pending={update.isPending}>
          {update.isPending ? "Saving…" : "Save changes"}
        </Button>
        <Button variant="ghost" onClick={() => onDone()} disabled={update.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
