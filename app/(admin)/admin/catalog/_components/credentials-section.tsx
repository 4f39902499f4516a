"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";
import { NoValue, Tags } from "./catalog-bits";
import { CatalogSection, useCatalogList, type CatalogColumn } from "./catalog-section";
import { DirectoryCredentialForm, ManualCredentialForm, type CatalogCredential } from "./credential-form";
import { ManagedToggle } from "./ssh-endpoint";

const COLUMNS: CatalogColumn<CatalogCredential>[] = [
  { label: "Type", cell: (c) => c.type || <NoValue /> },
  { label: "Devices", cell: (c) => (c.deviceNames.length ? <span className="break-words">{c.deviceNames.join(", ")}</span> : <NoValue />) },
  {
    label: "Owner",
    cell: (c) =>
      c.ownerDn ? (
        <span className="break-words" title={c.ownerDn}>
          {c.ownerName ?? c.ownerDn}
          {c.ownerSource === "manual" && <span className="text-xs text-slate-500"> (set here)</span>}
        </span>
      ) : (
        <NoValue />
      ),
  },
  { label: "Tags", className: "max-sm:col-span-2", cell: (c) => <Tags tags={c.tags} /> },
  { label: "Password", cell: (c) => <ManagedToggle credential={c} /> },
];

export function CredentialsSection() {
  const trpc = useTRPC();
  const { state, input } = useCatalogList("credentials");
  const credentials = useQuery({ ...trpc.catalog.credentials.page.queryOptions(input), placeholderData: keepPreviousData });
  return (
    <CatalogSection
      kind="credentials"
      title="Credentials"
      intro="Privileged accounts people may elevate instead of their own."
      noun="credential"
      listState={state}
      searchPlaceholder="Username, type, device or tag"
      list={credentials}
      empty={{
        matching: "Try part of a username, device or tag.",
        none: "Run a sync to import privileged accounts from the directory, or add one by hand.",
      }}
      tableClassName="sm:min-w-[840px]"
      nameLabel="Username"
      nameOf={(c) => c.username}
      detailOf={(c) => c.displayName && <div className="text-xs text-slate-500">{c.displayName}</div>}
      columns={COLUMNS}
      renderForm={(c, onDone) =>
        c?.source === "directory" ? <DirectoryCredentialForm credential={c} onDone={onDone} /> : <ManualCredentialForm credential={c} onDone={onDone} />
      }
    />
  );
}
