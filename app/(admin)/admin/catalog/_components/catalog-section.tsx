"use client";

import { useMutation, useQueryClient, type UseQueryResult } from "@tanstack/react-query";
import { Fragment, useState, type ReactNode } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { EmptyState, ErrorAlert, Loading, QueryError, SuccessNote } from "@/components/alerts";
import { Button } from "@/components/button";
import { ConfirmButton } from "@/components/confirm-button";
import { ListToolbar, Pager, type ListFilter } from "@/components/list-toolbar";
import { Card } from "@/components/page-heading";
import { useListState, type ListState } from "@/components/use-list-state";
import type { Page } from "@/shared/paging";
import { MobileLabel, RemovedBadge, rowClass, SourceBadge, td, th } from "./catalog-bits";
import { catalogListOptions, catalogPageOf, type CatalogFilter, type CatalogKind } from "./list-input";

/*
 * What the Devices and Credentials sections share: heading and "Add", the search toolbar, the
 * list's loading, failure and empty states, and a table whose row opens its edit form below it.
 * Each section says only what differs: its columns, its forms and its words.
 */

type Kind = CatalogKind;

const FILTERS: ListFilter<CatalogFilter>[] = [
  {
    key: "source",
    label: "Source",
    options: [
      { value: "directory", label: "Directory" },
      { value: "manual", label: "Added by hand" },
    ],
  },
  {
    key: "removed",
    label: "No longer in the directory",
    allLabel: "Hidden",
    options: [
      { value: "shown", label: "Shown" },
      { value: "only", label: "Only these" },
    ],
  },
];

interface CatalogEntry {
  id: string;
  source: "directory" | "manual";
  present: boolean;
}

/** A column after the first (the entry's name, badges and all); `label` heads it and names it on small screens. */
export interface CatalogColumn<T> {
  label: string;
  /** Classes added to the shared cell classes. */
  className?: string;
  cell: (entry: T) => ReactNode;
}

/** The list's state (in the address, under the kind's prefix) and the page input it makes. The section runs the query: its result type is its own. */
export function useCatalogList(kind: Kind) {
  const state = useListState<CatalogFilter>(catalogListOptions(kind));
  return { state, input: catalogPageOf(state) };
}

type SavedName = (savedName?: string) => void;

export function CatalogSection<T extends CatalogEntry>(props: {
  kind: Kind;
  title: string;
  intro?: string;
  /** Singular, lower case: "device". */
  noun: string;
  listState: ListState<CatalogFilter>;
  searchPlaceholder: string;
  list: UseQueryResult<Page<T>, unknown>;
  empty: { matching: string; none: string };
  /** Extra table classes, e.g. its minimum width. */
  tableClassName: string;
  nameLabel: string;
  nameOf: (entry: T) => string;
  detailOf?: (entry: T) => ReactNode;
  columns: CatalogColumn<T>[];
  /** The add form (no entry) or an entry's edit form. */
  renderForm: (entry: T | undefined, onDone: SavedName) => ReactNode;
}) {
  const { kind, noun, listState, list, nameOf } = props;
  const total = list.data?.total;
  const filtered = Boolean(listState.q || listState.filters.source || listState.filters.removed);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const headingId = `${kind}-heading`;
  const heading = (
    <h2 id={headingId} className="text-lg font-semibold text-slate-900">
      {props.title}
    </h2>
  );

  const added: SavedName = (name) => {
    setAdding(false);
    if (name) setNote(`Added “${name}”.`);
  };
  const saved: SavedName = (name) => {
    setEditingId(null);
    if (name) setNote(`Saved “${name}”.`);
  };

  return (
    <section aria-labelledby={headingId} className="mb-10 space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        {props.intro ? (
          <div>
            {heading}
            <p className="text-sm text-slate-600">{props.intro}</p>
          </div>
        ) : (
          heading
        )}
        {!adding && (
          <Button
            variant="primary"
            onClick={() => {
              setNote(null);
              setAdding(true);
            }}
          >
            Add {noun}
          </Button>
        )}
      </div>
      {adding && (
        <Card className="p-4 sm:p-6">
          <h3 className="mb-4 text-base font-semibold text-slate-900">Add a {noun}</h3>
          {props.renderForm(undefined, added)}
        </Card>
      )}
      <SuccessNote>{note}</SuccessNote>
      <ListToolbar state={listState} searchLabel={`Search ${kind}`} placeholder={props.searchPlaceholder} filters={FILTERS} total={total} noun={kind} />
      <div aria-busy={list.isFetching}>
        {list.isPending ? (
          <Loading label={`Loading ${kind}…`} />
        ) : list.isError ? (
          <QueryError message={describeError(list.error).message} onRetry={() => void list.refetch()} />
        ) : list.data.items.length === 0 ? (
          <EmptyState title={filtered ? `No ${kind} match` : listState.page > 1 ? `No more ${kind}` : `No ${kind} yet`}>
            {filtered ? props.empty.matching : props.empty.none}
          </EmptyState>
        ) : (
          <Card className={`overflow-x-auto ${list.isPlaceholderData ? "opacity-60" : ""}`}>
            <table className={`w-full divide-y divide-slate-200 max-sm:block ${props.tableClassName}`}>
              <thead className="bg-slate-50 max-sm:sr-only">
                <tr>
                  {[props.nameLabel, ...props.columns.map((c) => c.label)].map((label) => (
                    <th key={label} scope="col" className={th}>
                      {label}
                    </th>
                  ))}
                  <th scope="col" className={th}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 max-sm:block">
                {list.data.items.map((entry) => (
                  <Fragment key={entry.id}>
                    <CatalogRow
                      kind={kind}
                      entry={entry}
                      name={nameOf(entry)}
                      detail={props.detailOf?.(entry)}
                      editing={entry.id === editingId}
                      onEdit={() => {
                        setNote(null);
                        setEditingId(entry.id);
                      }}
                      onDeleted={() => setNote(`Deleted “${nameOf(entry)}”.`)}
                    >
                      {props.columns.map((column) => (
                        <td key={column.label} className={column.className ? `${td} ${column.className}` : td}>
                          <MobileLabel>{column.label}</MobileLabel>
                          {column.cell(entry)}
                        </td>
                      ))}
                    </CatalogRow>
                    {entry.id === editingId && (
                      <tr className="bg-indigo-50/40 max-sm:block">
                        <td colSpan={props.columns.length + 2} className="px-4 py-4 max-sm:block">
                          {props.renderForm(entry, saved)}
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </Card>
        )}
      </div>
      <Pager state={listState} total={total} label={`${props.title} pages`} />
    </section>
  );
}

function CatalogRow(props: {
  kind: Kind;
  entry: CatalogEntry;
  name: string;
  detail: ReactNode;
  editing: boolean;
  onEdit: () => void;
  onDeleted: () => void;
  children: ReactNode;
}) {
  const { kind, entry, name, editing } = props;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.catalog[kind].delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.catalog[kind].pathKey() });
        props.onDeleted();
      },
    }),
  );
  return (
    <tr aria-label={name} className={`${rowClass} ${editing ? "bg-indigo-50/50" : ""} ${entry.present ? "" : "text-slate-500"}`}>
      <td className={`${td} max-sm:col-span-2`}>
        <div className="font-medium break-words text-slate-900">{name}</div>
        {props.detail}
        <div className="mt-1 flex flex-wrap gap-1">
          <SourceBadge source={entry.source} />
          {!entry.present && <RemovedBadge />}
        </div>
      </td>
      {props.children}
      <td className={`${td} text-right max-sm:col-span-2 max-sm:text-left`}>
        <div className="inline-flex flex-wrap gap-2">
          <Button onClick={props.onEdit} disabled={editing} aria-label={`Edit ${name}`}>
            Edit
          </Button>
          {entry.source === "manual" && (
            <ConfirmButton
              label="Delete"
              confirmLabel="Confirm delete"
              pendingLabel="Deleting…"
              pending={remove.isPending}
              onConfirm={() => remove.mutateAsync({ id: entry.id })}
            />
          )}
        </div>
        {remove.isError && <ErrorAlert className="mt-2 text-left">{describeError(remove.error).message}</ErrorAlert>}
      </td>
    </tr>
  );
}
