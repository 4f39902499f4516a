"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useForm } from "react-hook-form";
import type { z } from "zod";
import { useTRPC } from "@/trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { applyServerErrors } from "@/components/form-errors";
import { TextAreaField, TextField } from "@/components/form-field";
import { createGroupInput } from "@/server/access-groups/schemas";
import { localZone } from "./format";
import { isConflict } from "./group-tab";
import { TimeZoneSelect } from "./time-zone-select";

type Input = z.input<typeof createGroupInput>;

/** Name, description and time zone; the rest is set on the group's tabs, where this form leads. */
export function CreateGroupForm({ onCancel }: { onCancel: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  // Mounted on click, so this is the browser's zone, never the server's.
  const [browserZone] = useState(localZone);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors },
  } = useForm<Input, unknown, z.output<typeof createGroupInput>>({
    resolver: zodResolver(createGroupInput),
    defaultValues: { name: "", description: "", timeZone: browserZone },
  });

  const create = useMutation(
    trpc.accessGroups.groups.create.mutationOptions({
      onSuccess: async (group) => {
        await queryClient.invalidateQueries({ queryKey: trpc.accessGroups.groups.page.queryKey() });
        router.push(`/admin/access-groups/${group.id}/settings`);
      },
      onError: (err) => {
        // The only conflict on creation is a name already taken.
        if (isConflict(err)) {
          setError("name", { type: "server", message: err.message });
          setFormError(null);
          return;
        }
        setFormError(applyServerErrors(err, setError, ["name", "description", "timeZone"]));
      },
    }),
  );

  return (
    <form
      noValidate
      aria-label="New access group"
      className="space-y-4"
      onSubmit={handleSubmit((values) => {
        setFormError(null);
        create.mutate(values);
      })}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField id="new-group-name" label="Name" autoFocus maxLength={80} error={errors.name?.message} {...register("name")} />
        <TimeZoneSelect
          id="new-group-tz"
          current={browserZone}
          error={errors.timeZone?.message}
          hint="Days, hours and dates on the Limits tab are read in this zone."
          {...register("timeZone")}
        />
      </div>
      <TextAreaField
        id="new-group-description"
        label="Description"
        rows={2}
        maxLength={1000}
        error={errors.description?.message}
        {...register("description")}
      />
      <ErrorAlert>{formError}</ErrorAlert>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" pending={create.isPending || create.isSuccess}>
          Create access group
        </Button>
        <Button variant="ghost" onClick={onCancel} disabled={create.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
