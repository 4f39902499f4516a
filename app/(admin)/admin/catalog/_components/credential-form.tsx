"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";
import { TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { createCredentialInput, CREDENTIAL_TYPES, updateCredentialInput } from "@/server/catalog/schemas";
import { CatalogForm, DirectoryValues, TAGS_HINT, useCatalogForm, type OnDone } from "./catalog-form";

export type CatalogCredential = RouterOutputs["catalog"]["credentials"]["page"]["items"][number];

const directoryCredentialInput = createCredentialInput.pick({ tags: true }).extend({ owner: updateCredentialInput.shape.owner.unwrap().default("") });

/** Where the owner shown came from, in words. */
function ownerHint(credential: CatalogCredential): string {
  const rule = "Nobody approves access to an account they own, and others may ask for it only where their access group allows it.";
  if (credential.ownerSource === "manual")
    return `Set here by an administrator (AD is not consulted). Empty it to take AD's managedBy/manager again at the next sync. ${rule}`;
  if (credential.ownerSource === "directory" && !credential.ownerName)
    return `AD names ${credential.ownerDn}, which is not a person: the account counts as someone else's. Enter an account name to set the owner here. ${rule}`;
  if (credential.ownerSource === "directory") return `From AD (managedBy/manager). Enter another account name to set the owner here instead. ${rule}`;
  return `AD names no owner (managedBy/manager). Enter an account name to set one here. ${rule}`;
}

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
export function ManualCredentialForm({ credential, onDone }: { credential?: CatalogCredential; onDone: OnDone }) {
  const { register, errors, formError, submit } = useCatalogForm(
    createCredentialInput,
    {
      username: credential?.username ?? "",
      displayName: credential?.displayName ?? "",
      type: credential?.type ?? "",
      tags: credential?.tags.join(", ") ?? "",
      deviceNames: credential?.deviceNames.join(", ") ?? "",
    },
    { fields: ["username", "displayName", "type", "tags", "deviceNames"], conflictField: "username" },
  );
  const { create, update } = useSaveCredential((name) => onDone(name));
  const id = (f: string) => `${credential ? `credential-${credential.id}` : "new-credential"}-${f}`;

  return (
    <CatalogForm
      label={credential ? `Edit ${credential.username}` : "Add credential"}
      onSubmit={submit((values, options) => (credential ? update.mutate({ id: credential.id, ...values }, options) : create.mutate(values, options)))}
      formError={formError}
      pending={create.isPending || update.isPending}
      submitLabel={credential ? "Save changes" : "Add credential"}
      onCancel={() => onDone()}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          id={id("username")}
          label="Username"
          autoFocus
          autoComplete="off"
          error={errors.username?.message}
          hint="e.g. root, sa, admin."
          {...register("username")}
        />
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
    </CatalogForm>
  );
}

/** A synced account: AD's fields are shown, tags are editable. */
export function DirectoryCredentialForm({ credential, onDone }: { credential: CatalogCredential; onDone: OnDone }) {
  const { register, errors, formError, submit } = useCatalogForm(
    directoryCredentialInput,
    { tags: credential.tags.join(", "), owner: credential.ownerName ?? "" },
    { fields: ["tags", "owner"] },
  );
  const { update } = useSaveCredential((name) => onDone(name));

  return (
    <CatalogForm
      label={`Edit ${credential.username}`}
      onSubmit={submit((values, options) => update.mutate({ id: credential.id, ...values }, options))}
      formError={formError}
      pending={update.isPending}
      submitLabel="Save changes"
      onCancel={() => onDone()}
    >
      <DirectoryValues
        note="Username, type and devices (userWorkstations) come from Active Directory and change there."
        values={[
          ["Username", credential.username],
          ["Type", credential.type],
          ["Devices", credential.deviceNames.join(", ")],
        ]}
      />
      <TextField id={`credential-${credential.id}-tags`} label="Tags" autoFocus error={errors.tags?.message} hint={TAGS_HINT} {...register("tags")} />
      <TextField
        id={`credential-${credential.id}-owner`}
        label="Owner"
        autoComplete="off"
        error={errors.owner?.message}
        hint={ownerHint(credential)}
        {...register("owner")}
      />
    </CatalogForm>
  );
}
