"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";
import { NoValue, Tags } from "./catalog-bits";
import { CatalogSection, useCatalogList, type CatalogColumn } from "./catalog-section";
import { DirectoryDeviceForm, ManualDeviceForm, type CatalogDevice } from "./device-form";
import { SshEndpointEditor, SshSummary } from "./ssh-endpoint";

const COLUMNS: CatalogColumn<CatalogDevice>[] = [
  { label: "Model", cell: (d) => d.model || <NoValue /> },
  { label: "Type", cell: (d) => d.type || <NoValue /> },
  { label: "Tags", className: "max-sm:col-span-2", cell: (d) => <Tags tags={d.tags} /> },
  { label: "SSH", className: "max-w-48 max-sm:col-span-2 max-sm:max-w-none", cell: (d) => <SshSummary device={d} /> },
  {
    label: "Website",
    className: "max-w-56 max-sm:col-span-2 max-sm:max-w-none",
    cell: (d) =>
      d.website ? (
        <a href={d.website} target="_blank" rel="noopener noreferrer" className="break-all text-indigo-700 underline hover:text-indigo-900">
          {d.website}
        </a>
      ) : (
        <NoValue />
      ),
  },
];

export function DevicesSection() {
  const trpc = useTRPC();
  const { state, input } = useCatalogList("devices");
  const devices = useQuery({ ...trpc.catalog.devices.page.queryOptions(input), placeholderData: keepPreviousData });
  return (
    <CatalogSection
      kind="devices"
      title="Devices"
      noun="device"
      listState={state}
      searchPlaceholder="Name, model, type, tag or website"
      list={devices}
      empty={{
        matching: "Try part of a name, model, tag or website.",
        none: "Run a sync to import computers from the directory, or add a device by hand.",
      }}
      tableClassName="sm:min-w-[760px]"
      nameLabel="Name"
      nameOf={(d) => d.name}
      columns={COLUMNS}
      renderForm={(d, onDone) => (
        <>
          {d?.source === "directory" ? <DirectoryDeviceForm device={d} onDone={onDone} /> : <ManualDeviceForm device={d} onDone={onDone} />}
          {d && <SshEndpointEditor device={d} />}
        </>
      )}
    />
  );
}
