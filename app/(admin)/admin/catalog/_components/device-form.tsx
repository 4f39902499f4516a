"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";
import { TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { createDeviceInput, DEVICE_TYPES } from "@/server/catalog/schemas";
import { CatalogForm, DirectoryValues, TAGS_HINT, useCatalogForm, type OnDone } from "./catalog-form";

export type CatalogDevice = RouterOutputs["catalog"]["devices"]["page"]["items"][number];

// Directory rows: only what admins own (see server/catalog/sync.ts).
const directoryDeviceInput = createDeviceInput.pick({ tags: true, website: true });

const WEBSITE_HINT = "http:// or https:// address; leave empty for none.";

function useSaveDevice(onSaved: (name: string) => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const onSuccess = async (row: { name: string }) => {
    await queryClient.invalidateQueries({ queryKey: trpc.catalog.devices.pathKey() });
    onSaved(row.name);
  };
  return {
    create: useMutation(trpc.catalog.devices.create.mutationOptions({ onSuccess })),
    update: useMutation(trpc.catalog.devices.update.mutationOptions({ onSuccess })),
  };
}

/** Adds a manual device, or edits one (every field is the admin's). */
export function ManualDeviceForm({ device, onDone }: { device?: CatalogDevice; onDone: OnDone }) {
  const { register, errors, formError, submit } = useCatalogForm(
    createDeviceInput,
    {
      name: device?.name ?? "",
      model: device?.model ?? "",
      type: device?.type ?? "",
      tags: device?.tags.join(", ") ?? "",
      website: device?.website ?? "",
    },
    { fields: ["name", "model", "type", "tags", "website"], conflictField: "name" },
  );
  const { create, update } = useSaveDevice((name) => onDone(name));
  const id = (f: string) => `${device ? `device-${device.id}` : "new-device"}-${f}`;

  return (
    <CatalogForm
      label={device ? `Edit ${device.name}` : "Add device"}
      onSubmit={submit((values, options) => (device ? update.mutate({ id: device.id, ...values }, options) : create.mutate(values, options)))}
      formError={formError}
      pending={create.isPending || update.isPending}
      submitLabel={device ? "Save changes" : "Add device"}
      onCancel={() => onDone()}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField id={id("name")} label="Name" autoFocus error={errors.name?.message} hint="Host name, e.g. pg-prod-01." {...register("name")} />
        <TextField id={id("model")} label="Model / product" error={errors.model?.message} hint="e.g. PostgreSQL 17, Cisco ASA." {...register("model")} />
        <TextField id={id("type")} label="Type" list={id("types")} error={errors.type?.message} {...register("type")} />
        <datalist id={id("types")}>
          {DEVICE_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <TextField id={id("website")} label="Website" type="url" inputMode="url" error={errors.website?.message} hint={WEBSITE_HINT} {...register("website")} />
      </div>
      <TextField id={id("tags")} label="Tags" error={errors.tags?.message} hint={TAGS_HINT} {...register("tags")} />
    </CatalogForm>
  );
}

/** A synced device: AD's fields are shown, tags and website are editable. */
export function DirectoryDeviceForm({ device, onDone }: { device: CatalogDevice; onDone: OnDone }) {
  const { register, errors, formError, submit } = useCatalogForm(
    directoryDeviceInput,
    { tags: device.tags.join(", "), website: device.website ?? "" },
    { fields: ["tags", "website"] },
  );
  const { update } = useSaveDevice((name) => onDone(name));
  const id = (f: string) => `device-${device.id}-${f}`;

  return (
    <CatalogForm
      label={`Edit ${device.name}`}
      onSubmit={submit((values, options) => update.mutate({ id: device.id, ...values }, options))}
      formError={formError}
      pending={update.isPending}
      submitLabel="Save changes"
      onCancel={() => onDone()}
    >
      <DirectoryValues
        note="Name, model and type come from Active Directory and change there."
        values={[
          ["Name", device.name],
          ["Model", device.model],
          ["Type", device.type],
        ]}
      />
      <TextField
        id={id("website")}
        label="Website"
        type="url"
        inputMode="url"
        autoFocus
        error={errors.website?.message}
        hint={`${WEBSITE_HINT} Empty: the sync takes AD's wWWHomePage.`}
        {...register("website")}
      />
      <TextField id={id("tags")} label="Tags" error={errors.tags?.message} hint={TAGS_HINT} {...register("tags")} />
    </CatalogForm>
  );
}
