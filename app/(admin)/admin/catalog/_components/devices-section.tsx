"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { describeError, useTRPC } from "@/app/_trpc/client";
import { EmptyState, ErrorAlert, Loading, QueryError, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { ConfirmButton } from "@/components/confirm-button";
import { Card } from "@/components/page-heading";
import { useDebounced } from "@/components/use-debounced";
import { CatalogToolbar, MobileLabel, RemovedBadge, rowClass, SourceBadge, Tags, td, th } from "./catalog-bits";
import { DirectoryDeviceForm, ManualDeviceForm, type CatalogDevice } from "./device-form";

const COLUMNS = 6;

export function DevicesSection() {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [includeRemoved, setIncludeRemoved] = useState(false);
  const debounced = useDebounced(search.trim(), 300);
  const devices = useQuery({ ...trpc.catalog.devices.list.queryOptions({ search: debounced, includeRemoved }), placeholderData: keepPreviousData });
  const [editingId, setEditingId] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [note, setNote] = useState<string | null>(null);

  const done = (name?: string) => {
    setEditingId(null);
    if (name) setNote(`Saved “${name}”.`);
  };

  return (
    <section aria-labelledby="devices-heading" className="mb-10 space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="devices-heading" className="text-lg font-semibold text-slate-900">
          Devices
        </h2>
        {!adding && (
          <Button
            variant="primary"
            onClick={() => {
              setNote(null);
              setAdding(true);
            }}
          >
            Add device
          </Button>
        )}
      </div>
      {adding && (
        <Card className="p-4 sm:p-6">
          <h3 className="mb-4 text-base font-semibold text-slate-900">Add a device</h3>
          <ManualDeviceForm
            onDone={(name) => {
              setAdding(false);
              if (name) setNote(`Added “${name}”.`);
            }}
          />
        </Card>
      )}
      <SuccessNote>{note}</SuccessNote>
      <CatalogToolbar
        idPrefix="devices"
        searchLabel="Search devices"
        placeholder="Name, model, type, tag or website"
        search={search}
        onSearch={setSearch}
        includeRemoved={includeRemoved}
        onIncludeRemoved={setIncludeRemoved}
      />
      <div aria-busy={devices.isFetching}>
        {devices.isPending ? (
          <Loading label="Loading devices…" />
        ) : devices.isError ? (
          <QueryError message={describeError(devices.error).message} onRetry={() => void devices.refetch()} />
        ) : devices.data.items.length === 0 ? (
          <EmptyState title={debounced ? `No devices match “${debounced}”` : "No devices yet"}>
            {debounced ? "Try part of a name, model, tag or website." : "Run a sync to import computers from the directory, or add a device by hand."}
          </EmptyState>
        ) : (
          <Card className={`overflow-x-auto ${devices.isPlaceholderData ? "opacity-60" : ""}`}>
            <table className="w-full divide-y divide-slate-200 max-sm:block sm:min-w-[760px]">
              <thead className="bg-slate-50 max-sm:sr-only">
                <tr>
                  <th scope="col" className={th}>Name</th>
                  <th scope="col" className={th}>Model</th>
                  <th scope="col" className={th}>Type</th>
                  <th scope="col" className={th}>Tags</th>
                  <th scope="col" className={th}>Website</th>
                  <th scope="col" className={th}><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 max-sm:block">
                {devices.data.items.map((d) => (
                  <Fragment key={d.id}>
                    <DeviceRow
                      device={d}
                      editing={d.id === editingId}
                      onEdit={() => {
                        setNote(null);
                        setEditingId(d.id);
                      }}
                      onDeleted={() => setNote(`Deleted “${d.name}”.`)}
                    />
                    {d.id === editingId && (
                      <tr className="bg-indigo-50/40 max-sm:block">
                        <td colSpan={COLUMNS} className="px-4 py-4 max-sm:block">
                          {d.source === "directory" ? (
                            <DirectoryDeviceForm device={d} onDone={done} />
                          ) : (
                            <ManualDeviceForm device={d} onDone={done} />
                          )}
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
            {devices.data.truncated && <p className="px-4 py-3 text-xs text-slate-500">Showing the first 500 devices; search to narrow the list.</p>}
          </Card>
        )}
      </div>
    </section>
  );
}

function DeviceRow({ device: d, editing, onEdit, onDeleted }: { device: CatalogDevice; editing: boolean; onEdit: () => void; onDeleted: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.catalog.devices.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.catalog.devices.pathKey() });
        onDeleted();
      },
    }),
  );
  return (
    <tr aria-label={d.name} className={`${rowClass} ${editing ? "bg-indigo-50/50" : ""} ${d.present ? "" : "text-slate-500"}`}>
      <td className={`${td} max-sm:col-span-2`}>
        <div className="font-medium break-words text-slate-900">{d.name}</div>
        <div className="mt-1 flex flex-wrap gap-1">
          <SourceBadge source={d.source} />
          {!d.present && <RemovedBadge />}
        </div>
      </td>
      <td className={td}>
        <MobileLabel>Model</MobileLabel>
        {d.model || <span className="text-slate-400">—</span>}
      </td>
      <td className={td}>
        <MobileLabel>Type</MobileLabel>
        {d.type || <span className="text-slate-400">—</span>}
      </td>
      <td className={`${td} max-sm:col-span-2`}>
        <MobileLabel>Tags</MobileLabel>
        <Tags tags={d.tags} />
      </td>
      <td className={`${td} max-w-56 max-sm:col-span-2 max-sm:max-w-none`}>
        <MobileLabel>Website</MobileLabel>
        {d.website ? (
          <a href={d.website} target="_blank" rel="noopener noreferrer" className="break-all text-indigo-700 underline hover:text-indigo-900">
            {d.website}
          </a>
        ) : (
          <span className="text-slate-400">—</span>
        )}
      </td>
      <td className={`${td} text-right max-sm:col-span-2 max-sm:text-left`}>
        <div className="inline-flex flex-wrap gap-2">
          <Button onClick={onEdit} disabled={editing} aria-label={`Edit ${d.name}`}>
            Edit
          </Button>
          {d.source === "manual" && (
            <ConfirmButton
              label="Delete"
              confirmLabel="Confirm delete"
              pendingLabel="Deleting…"
              pending={remove.isPending}
              onConfirm={() => remove.mutateAsync({ id: d.id })}
            />
          )}
        </div>
        {remove.isError && <ErrorAlert className="mt-2 text-left">{describeError(remove.error).message}</ErrorAlert>}
      </td>
    </tr>
  );
}
