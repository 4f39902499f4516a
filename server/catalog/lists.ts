import "server-only";
import { and, eq, sql, type SQLWrapper } from "drizzle-orm";
import { db } from "@/db";
import { catalogCredentials, catalogDevices } from "@/db/schema";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { matchesText, parsePage, toPage, totalOver } from "@/server/lists/paging";
import { catalogPageInput, type CatalogPageInput } from "./schemas";

/*
 * The catalog's devices and credentials a page at a time with the total (issue 15), instead of
 * the first 500. The search columns are the ones the whole lists (service.ts) search too.
 */

export const deviceSearchColumns = [
  catalogDevices.name,
  catalogDevices.model,
  catalogDevices.type,
  sql`coalesce(${catalogDevices.website}, '')`,
  sql`array_to_string(${catalogDevices.tags}, ' ')`,
];

export const credentialSearchColumns = [
  catalogCredentials.username,
  catalogCredentials.displayName,
  catalogCredentials.type,
  sql`array_to_string(${catalogCredentials.tags}, ' ')`,
  sql`array_to_string(${catalogCredentials.deviceNames}, ' ')`,
];

type Table = typeof catalogDevices | typeof catalogCredentials;

function filters(table: Table, columns: SQLWrapper[], input: { q: string; removed?: "shown" | "only"; source?: "directory" | "manual" }) {
  return and(
    input.removed === "only" ? eq(table.present, false) : input.removed === "shown" ? undefined : eq(table.present, true),
    input.source ? eq(table.source, input.source) : undefined,
    matchesText(input.q, columns),
  );
}

/** One page of devices by name (ignoring case), searched and filtered. */
export async function pageDevices(user: SessionUser, raw: CatalogPageInput) {
  assertCan(user, "read", "Catalog");
  const input = parsePage(catalogPageInput, raw);
  const where = filters(catalogDevices, deviceSearchColumns, input);
  const rows = await db
    .select({ row: catalogDevices, total: totalOver })
    .from(catalogDevices)
    .where(where)
    .orderBy(sql`lower(${catalogDevices.name})`, catalogDevices.id)
    .limit(input.limit)
    .offset(input.offset);
  const page = await toPage(rows, input, async () => (await db.$count(catalogDevices, where)) as number);
  return { ...page, items: page.items.map((r) => r.row) };
}

/** One page of credentials by username (ignoring case), searched and filtered. */
export async function pageCredentials(user: SessionUser, raw: CatalogPageInput) {
  assertCan(user, "read", "Catalog");
  const input = parsePage(catalogPageInput, raw);
  const where = filters(catalogCredentials, credentialSearchColumns, input);
  const rows = await db
    .select({ row: catalogCredentials, total: totalOver })
    .from(catalogCredentials)
    .where(where)
    .orderBy(sql`lower(${catalogCredentials.username})`, catalogCredentials.id)
    .limit(input.limit)
    .offset(input.offset);
  const page = await toPage(rows, input, async () => (await db.$count(catalogCredentials, where)) as number);
  return { ...page, items: page.items.map((r) => r.row) };
}
