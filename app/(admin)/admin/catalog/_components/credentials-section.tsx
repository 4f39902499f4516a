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
import { DirectoryCredentialForm, ManualCredentialForm, type CatalogCredential } from "./credential-form";

const COLUMNS = 5;

export function CredentialsSection() {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [includeRemoved, setIncludeRemoved] = useState(false);
  const debounced = useDebounced(search.trim(), 300);
  const credentials = useQuery({ ...trpc.catalog.credentials.list.queryOptions({ search: debounced, includeRemoved }), placeholderData: keepPreviousData });
  const [editingId, setEditingId] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [note, setNote] = useState<string | null>(null);

  const done = (name?: string) => {
    setEditingId(null);
    if (name) setNote(`Saved “${name}”.`);
  };

  return (
    <section aria-labelledby="credentials-heading" className="mb-10 space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h2 id="credentials-heading" className="text-lg font-semibold text-slate-900">
            Credentials
          </h2>
          <p className="text-sm text-slate-600">Privileged accounts people may elevate instead of their own.</p>
        </div>
        {!adding && (
          <Button
            variant="primary"
            onClick={() => {
              setNote(null);
              setAdding(true);
            }}
          >
            Add credential
          </Button>
        )}
      </div>
      {adding && (
        <Card className="p-4 sm:p-6">
          <h3 className="mb-4 text-base font-semibold text-slate-900">Add a credential</h3>
          <ManualCredentialForm
            onDone={(name) => {
              setAdding(false);
              if (name) setNote(`Added “${name}”.`);
            }}
          />
        </Card>
      )}
      <SuccessNote>{note}</SuccessNote>
      <CatalogToolbar
        idPrefix="credentials"
        searchLabel="Search credentials"
        placeholder="Username, type, device or tag"
        search={search}
        onSearch={setSearch}
        includeRemoved={includeRemoved}
        onIncludeRemoved={setIncludeRemoved}
      />
      <div aria-busy={credentials.isFetching}>
        {credentials.isPending ? (
          <Loading label="Loading credentials…" />
        ) : credentials.isError ? (
          <QueryError message={describeError(credentials.error).message} onRetry={() => void credentials.refetch()} />
        ) : credentials.data.items.length === 0 ? (
          <EmptyState title={debounced ? `No credentials match “${debounced}”` : "No credentials yet"}>
            {debounced ? "Try part of a username, device or tag." : "Run a sync to import privileged accounts from the directory, or add one by hand."}
          </EmptyState>
        ) : (
          <Card className={`overflow-x-auto ${credentials.isPlaceholderData ? "opacity-60" : ""}`}>
            <table className="w-full divide-y divide-slate-200 max-sm:block sm:min-w-[720px]">
              <thead className="bg-slate-50 max-sm:sr-only">
                <tr>
                  <th scope="col" className={th}>Username</th>
                  <th scope="col" className={th}>Type</th>
                  <th scope="col" className={th}>Devices</th>
                  <th scope="col" className={th}>Tags</th>
                  <th scope="col" className={th}><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 max-sm:block">
                {credentials.data.items.map((c) => (
                  <Fragment key={c.id}>
                    <CredentialRow
                      credential={c}
                      editing={c.id === editingId}
                      onEdit={() => {
                        setNote(null);
                        setEditingId(c.id);
                      }}
                      onDeleted={() => setNote(`Deleted “${c.username}”.`)}
                    />
                    {c.id === editingId && (
                      <tr className="bg-indigo-50/40 max-sm:block">
                        <td colSpan={COLUMNS} className="px-4 py-4 max-sm:block">
                          {c.source === "directory" ? (
                            <DirectoryCredentialForm credential={c} onDone={done} />
                          ) : (
                            <ManualCredentialForm credential={c} onDone={done} />
                          )}
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
            {credentials.data.truncated && <p className="px-4 py-3 text-xs text-slate-500">Showing the first 500 credentials; search to narrow the list.</p>}
          </Card>
        )}
      </div>
    </section>
  );
}

function CredentialRow(props: { credential: CatalogCredential; editing: boolean; onEdit: () => void; onDeleted: () => void }) {
  const { credential: c, editing } = props;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.catalog.credentials.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.catalog.credentials.pathKey() });
        props.onDeleted();
      },
    }),
  );
  return (
    <tr aria-label={c.username} className={`${rowClass} ${editing ? "bg-indigo-50/50" : ""} ${c.present ? "" : "text-slate-500"}`}>
      <td className={`${td} max-sm:col-span-2`}>
        <div className="font-medium break-words text-slate-900">{c.username}</div>
        {c.displayName && <div className="text-xs text-slate-500">{c.displayName}</div>}
        <div className="mt-1 flex flex-wrap gap-1">
          <SourceBadge source={c.source} />
          {!c.present && <RemovedBadge />}
        </div>
      </td>
      <td className={td}>
        <MobileLabel>Type</MobileLabel>
        {c.type || <span className="text-slate-400">—</span>}
      </td>
      <td className={td}>
        <MobileLabel>Devices</MobileLabel>
        {c.deviceNames.length ? <span className="break-words">{c.deviceNames.join(", ")}</span> : <span className="text-slate-400">—</span>}
      </td>
      <td className={`${td} max-sm:col-span-2`}>
        <MobileLabel>Tags</MobileLabel>
        <Tags tags={c.tags} />
      </td>
      <td className={`${td} text-right max-sm:col-span-2 max-sm:text-left`}>
        <div className="inline-flex flex-wrap gap-2">
          <Button onClick={props.onEdit} disabled={editing} aria-label={`Edit ${c.username}`}>
            Edit
          </Button>
          {c.source === "manual" && (
            <ConfirmButton
              label="Delete"
              confirmLabel="Confirm delete"
              pendingLabel="Deleting…"
              pending={remove.isPending}
              onConfirm={() => remove.mutateAsync({ id: c.id })}
            />
          )}
        </div>
        {remove.isError && <ErrorAlert className="mt-2 text-left">{describeError(remove.error).message}</ErrorAlert>}
      </td>
    </tr>
  );
}
