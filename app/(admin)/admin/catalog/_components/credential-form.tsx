"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import type { z } from "zod";
import { useTRPC } from "@/app/_trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { applyServerErrors } from "@/components/form-errors";
import { TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { createCredentialInput, CREDENTIAL_TYPES, MAX_TAGS, MAX_TAG_LENGTH } from "@/server/catalog/schemas";
import { conflictMessage, DirectoryValue } from "./catalog-bits";
import { FormButtons } from "./device-form";

export type CatalogCredential = RouterOutputs["catalog"]["credentials"]["list"]["items"][number];

const directoryCredentialInput = createCredentialInput.pick({ tags: true });
type ManualInput = z.input<typeof createCredentialInput>;
type DirectoryInput = z.input<typeof directoryCredentialInput>;

const FIELDS = ["username", "displayName", "type", "tags", "deviceNames"] as const;
const TAGS_HINT = `Comma separated; up to ${MAX_TAGS}, each up to ${MAX_TAG_LENGTH} characters.`;

function useSaveCredential(onSaved: (username: string) => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const onSuccess = async (row: { username: string }) => {
    await queryClient.invalidateQueries({ queryKey: trpc.catalog.credentials.pathKey() });
    onSaved(row.username);
  };
  return {
    create: useMutation(trpc.catalog.credentials.create.mutationOptions({ onSuccess })),
    update: useMutation(trpc.catalog.credentials.update.mutationOptions({ onSuccess })),
  };
}

/** Adds a manual credential (a local or application account AD does not know), or edits one. */
export function ManualCredentialForm({ credential, onDone }: { credential?: CatalogCredential; onDone: (savedName?: string) => void }) {
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors },
  } = useForm<ManualInput, unknown, z.output<typeof createCredentialInput>>({
    resolver: zodResolver(createCredentialInput),
    defaultValues: {
      username: credential?.username ?? "",
      displayName: credential?.displayName ?? "",
      type: credential?.type ?? "",
      tags: credential?.tags.join(", ") ?? "",
      deviceNames: credential?.deviceNames.join(", ") ?? "",
    },
  });
  const { create, update } = useSaveCredential((name) => onDone(name));
  const onError = (err: unknown) => {
    const conflict = conflictMessage(err);
    if (conflict) setError("username", { type: "server", message: conflict });
    else setFormError(applyServerErrors(err, setError, FIELDS));
  };
  const id = (f: string) => `${credential ? `credential-${credential.id}` : "new-credential"}-${f}`;

  return (
    <form
      noValidate
      aria-label={credential ? `Edit ${credential.username}` : "Add credential"}
      className="space-y-4"
      onSubmit={handleSubmit((values) => {
        setFormError(null);
        if (credential) update.mutate({ id: credential.id, ...values }, { onError });
        else create.mutate(values, { onError });
      })}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField id={id("username")} label="Username" autoFocus autoComplete="off" error={errors.username?.message} hint="e.g. root, sa, admin." {...register("username")} />
        <TextField id={id("displayName")} label="Display name" error={errors.displayName?.message} {...register("displayName")} />
        <TextField id={id("type")} label="Type" list={id("types")} error={errors.type?.message} {...register("type")} />
        <datalist id={id("types")}>
          {CREDENTIAL_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <TextField
          id={id("deviceNames")}
          label="Devices"
          error={errors.deviceNames?.message}
          hint="Names of the devices this account belongs to, comma separated."
          {...register("deviceNames")}
        />
      </div>
      <TextField id={id("tags")} label="Tags" error={errors.tags?.message} hint={TAGS_HINT} {...register("tags")} />
      <ErrorAlert>{formError}</ErrorAlert>
      <FormButtons pending={create.isPending || update.isPending} label={credential ? "Save changes" : "Add credential"} onCancel={() => onDone()} />
    </form>
  );
}

/** A synced account: AD's fields are shown, tags are editable. */
export function DirectoryCredentialForm({ credential, onDone }: { credential: CatalogCredential; onDone: (savedName?: string) => void }) {
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors },
  } = useForm<DirectoryInput, unknown, z.output<typeof directoryCredentialInput>>({
    resolver: zodResolver(directoryCredentialInput),
    defaultValues: { tags: credential.tags.join(", ") },
  });
  const { update } = useSaveCredential((name) => onDone(name));

  return (
    <form
      noValidate
      aria-label={`Edit ${credential.username}`}
      className="space-y-4"
      onSubmit={handleSubmit((values) => {
        setFormError(null);
        update.mutate({ id: credential.id, ...values }, { onError: (err) => setFormError(applyServerErrors(err, setError, ["tags"])) });
      })}
    >
      <p className="text-xs text-slate-600">Username, type and devices (userWorkstations) come from Active Directory and change there.</p>
      <div className="grid gap-4 sm:grid-cols-3">
        <DirectoryValue label="Username">{credential.username}</DirectoryValue>
        <DirectoryValue label="Type">{credential.type}</DirectoryValue>
        <DirectoryValue label="Devices">{credential.deviceNames.join(", ")}</DirectoryValue>
      </div>
      <TextField id={`credential-${credential.id}-tags`} label="Tags" autoFocus error={errors.tags?.message} hint={TAGS_HINT} {...register("tags")} />
      <ErrorAlert>{formError}</ErrorAlert>
      <FormButtons pending={update.isPending} label="Save changes" onCancel={() => onDone()} />
    </form>
  );
}
