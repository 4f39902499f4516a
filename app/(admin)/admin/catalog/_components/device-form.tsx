"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import type { z } from "zod";
import { useTRPC } from "@/app/_trpc/client";
import { ErrorAlert } from "@/components/alerts";
import { Button } from "@/components/button";
import { applyServerErrors } from "@/components/form-errors";
import { TextField } from "@/components/form-field";
import type { RouterOutputs } from "@/components/router-types";
import { createDeviceInput, DEVICE_TYPES, MAX_TAGS, MAX_TAG_LENGTH } from "@/server/catalog/schemas";
import { conflictMessage, DirectoryValue } from "./catalog-bits";

export type CatalogDevice = RouterOutputs["catalog"]["devices"]["list"]["items"][number];

// Directory rows: only what admins own (see server/catalog/sync.ts).
const directoryDeviceInput = createDeviceInput.pick({ tags: true, website: true });
type ManualInput = z.input<typeof createDeviceInput>;
type DirectoryInput = z.input<typeof directoryDeviceInput>;

const FIELDS = ["name", "model", "type", "tags", "website"] as const;
const TAGS_HINT = `Comma separated; up to ${MAX_TAGS}, each up to ${MAX_TAG_LENGTH} characters.`;
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
export function ManualDeviceForm({ device, onDone }: { device?: CatalogDevice; onDone: (savedName?: string) => void }) {
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors },
  } = useForm<ManualInput, unknown, z.output<typeof createDeviceInput>>({
    resolver: zodResolver(createDeviceInput),
    defaultValues: {
      name: device?.name ?? "",
      model: device?.model ?? "",
      type: device?.type ?? "",
      tags: device?.tags.join(", ") ?? "",
      website: device?.website ?? "",
    },
  });
  const { create, update } = useSaveDevice((name) => onDone(name));
  const onError = (err: unknown) => {
    const conflict = conflictMessage(err);
    if (conflict) setError("name", { type: "server", message: conflict });
    else setFormError(applyServerErrors(err, setError, FIELDS));
  };
  const pending = create.isPending || update.isPending;
  const id = (f: string) => `${device ? `device-${device.id}` : "new-device"}-${f}`;

  return (
    <form
      noValidate
      aria-label={device ? `Edit ${device.name}` : "Add device"}
      className="space-y-4"
      onSubmit={handleSubmit((values) => {
        setFormError(null);
        if (device) update.mutate({ id: device.id, ...values }, { onError });
        else create.mutate(values, { onError });
      })}
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
      <ErrorAlert>{formError}</ErrorAlert>
      <FormButtons pending={pending} label={device ? "Save changes" : "Add device"} onCancel={() => onDone()} />
    </form>
  );
}

/** A synced device: AD's fields are shown, tags and website are editable. */
export function DirectoryDeviceForm({ device, onDone }: { device: CatalogDevice; onDone: (savedName?: string) => void }) {
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors },
  } = useForm<DirectoryInput, unknown, z.output<typeof directoryDeviceInput>>({
    resolver: zodResolver(directoryDeviceInput),
    defaultValues: { tags: device.tags.join(", "), website: device.website ?? "" },
  });
  const { update } = useSaveDevice((name) => onDone(name));
  const id = (f: string) => `device-${device.id}-${f}`;

  return (
    <form
      noValidate
      aria-label={`Edit ${device.name}`}
      className="space-y-4"
      onSubmit={handleSubmit((values) => {
        setFormError(null);
        update.mutate({ id: device.id, ...values }, { onError: (err) => setFormError(applyServerErrors(err, setError, ["tags", "website"])) });
      })}
    >
      <p className="text-xs text-slate-600">Name, model and type come from Active Directory and change there.</p>
      <div className="grid gap-4 sm:grid-cols-3">
        <DirectoryValue label="Name">{device.name}</DirectoryValue>
        <DirectoryValue label="Model">{device.model}</DirectoryValue>
        <DirectoryValue label="Type">{device.type}</DirectoryValue>
      </div>
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
      <ErrorAlert>{formError}</ErrorAlert>
      <FormButtons pending={update.isPending} label="Save changes" onCancel={() => onDone()} />
    </form>
  );
}

export function FormButtons({ pending, label, onCancel }: { pending: boolean; label: string; onCancel: () => void }) {
  return (
    <div className="flex flex-wrap gap-2">
      <Button type="submit" variant="primary" pending={pending}>
        {pending ? "Saving…" : label}
      </Button>
      <Button variant="ghost" onClick={onCancel} disabled={pending}>
        Cancel
      </Button>
    </div>
  );
}
