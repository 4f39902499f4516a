import "server-only";
import { type Client, type Entry, escapeFilter, ResultCodeError } from "ldapts";
import { env } from "@/server/env";
import { guidToString } from "./binary";
import { serviceConnection } from "./connection";
import { DirectoryError } from "./errors";

/*
 * What the catalog sync reads from AD: computers (devices) and accounts (credentials) under the
 * configured OUs. Read-only; every value that reaches the catalog is normalized here.
 */

export type DeviceType = "server" | "workstation" | "computer";

export interface DirectoryComputer {
  objectGuid: string;
  dn: string;
  name: string;
  /** AD operatingSystem, e.g. "Windows Server 2022"; "" when AD has none. */
  model: string;
  type: DeviceType;
  /** wWWHomePage when it is an http(s) URL, else null. */
  website: string | null;
  dnsHostName: string | null;
}

export interface DirectoryAccount {
  objectGuid: string;
  dn: string;
  username: string;
  displayName: string;
  type: "domain";
  /** userWorkstations: the computers the account may log on to. */
  deviceNames: string[];
  /**
   * Who the account belongs to: AD's managedBy, else manager (a user object cannot carry managedBy
   * in the stock schema; manager is where AD keeps it). guid/username are null when the DN names no
   * person (a group, a deleted object): the account still counts as someone else's.
   */
  owner: AccountOwner | null;
}

export interface AccountOwner {
  dn: string;
  guid: string | null;
  username: string | null;
}

const PAGE_SIZE = 500;

function str(e: Entry, attr: string): string | null {
  const v = e[attr];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return null;
  return Buffer.isBuffer(first) ? first.toString("utf8") : String(first);
}

function guidOf(e: Entry): string {
  const v = e.objectGUID;
  const first = Array.isArray(v) ? v[0] : v;
  if (!Buffer.isBuffer(first)) throw new DirectoryError("other", `${e.dn} has no binary objectGUID`);
  return guidToString(first);
}
const COMPUTER_ATTRS = ["cn", "operatingSystem", "wWWHomePage", "dNSHostName", "objectGUID"];
const ACCOUNT_ATTRS = ["sAMAccountName", "displayName", "userWorkstations", "objectGUID", "managedBy", "manager"];
const PERSON = "(&(objectCategory=person)(objectClass=user))";
/** Owner DNs resolved per search: an OR of this many distinguishedName equalities. */
const OWNER_CHUNK = 100;

/** "server" for any server OS, "workstation" for Windows client editions, else "computer". */
export function deviceTypeFor(operatingSystem: string): DeviceType {
  if (/server/i.test(operatingSystem)) return "server";
  if (/^\s*windows\b/i.test(operatingSystem)) return "workstation";
  return "computer";
}

/** wWWHomePage is free text in AD: only http(s) URLs become the device's website. */
export function websiteFrom(raw: string | null): string | null {
  const value = raw?.trim();
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? value : null;
  } catch {
    return null;
  }
}

/** userWorkstations is one comma-separated string of NetBIOS names. */
export function splitWorkstations(raw: string | null): string[] {
  if (!raw) return [];
  const seen = new Set<string>();
  const names: string[] = [];
  for (const part of raw.split(",")) {
    const name = part.trim();
    if (name && !seen.has(name.toLowerCase())) {
      seen.add(name.toLowerCase());
      names.push(name);
    }
  }
  return names;
}

function toComputer(e: Entry): DirectoryComputer {
  const model = str(e, "operatingSystem")?.trim() ?? "";
  return {
    objectGuid: guidOf(e),
    dn: e.dn,
    name: str(e, "cn") ?? e.dn,
    model,
    type: deviceTypeFor(model),
    website: websiteFrom(str(e, "wWWHomePage")),
    dnsHostName: str(e, "dNSHostName"),
  };
}

function toAccount(e: Entry): DirectoryAccount {
  const ownerDn = str(e, "managedBy") ?? str(e, "manager");
  return {
    objectGuid: guidOf(e),
    dn: e.dn,
    // Lower-cased like the users table: sAMAccountName is case-insensitive in AD.
    username: (str(e, "sAMAccountName") ?? "").toLowerCase(),
    displayName: str(e, "displayName") ?? "",
    type: "domain",
    deviceNames: splitWorkstations(str(e, "userWorkstations")),
    owner: ownerDn ? { dn: ownerDn, guid: null, username: null } : null,
  };
}

/** The owners' DNs → the people they name (objectGUID, sAMAccountName), in chunks of OR-ed equalities. */
async function resolveOwners(c: Client, accounts: DirectoryAccount[]): Promise<void> {
  const dns = [...new Set(accounts.flatMap((a) => (a.owner ? [a.owner.dn.toLowerCase()] : [])))];
  const people = new Map<string, { guid: string; username: string }>();
  for (let i = 0; i < dns.length; i += OWNER_CHUNK) {
    const chunk = dns.slice(i, i + OWNER_CHUNK);
    const filter = `(&${PERSON}(|${chunk.map((dn) => escapeFilter`(distinguishedName=${dn})`).join("")}))`;
    for await (const page of c.searchPaginated(env.LDAP_BASE_DN, {
      scope: "sub",
      filter,
      attributes: ["sAMAccountName", "objectGUID"],
      explicitBufferAttributes: ["objectGUID"],
      paged: { pageSize: PAGE_SIZE },
    })) {
      for (const e of page.searchEntries) people.set(e.dn.toLowerCase(), { guid: guidOf(e), username: (str(e, "sAMAccountName") ?? "").toLowerCase() });
    }
  }
  for (const a of accounts) {
    const person = a.owner && people.get(a.owner.dn.toLowerCase());
    if (a.owner && person) a.owner = { dn: a.owner.dn, ...person };
  }
}

/**
 * Every entry under each base (all pages), once each: overlapping bases (an OU and its child)
 * would otherwise list an object twice. A base that does not exist fails the read instead of
 * reading as empty — an empty read would make the sync remove everything that was under it.
 */
async function readAll<T extends { objectGuid: string }>(
  c: Client,
  bases: string[],
  filter: string,
  attributes: string[],
  convert: (e: Entry) => T,
): Promise<T[]> {
  const byGuid = new Map<string, T>();
  for (const base of bases) {
    try {
      for await (const page of c.searchPaginated(base, {
        scope: "sub",
        filter,
        attributes,
        explicitBufferAttributes: ["objectGUID"],
        paged: { pageSize: PAGE_SIZE },
      })) {
        for (const entry of page.searchEntries) {
          const item = convert(entry);
          if (!byGuid.has(item.objectGuid)) byGuid.set(item.objectGuid, item);
        }
      }
    } catch (err) {
      if (err instanceof ResultCodeError && err.code === 32) {
        throw new DirectoryError("not-found", `The catalog OU ${base} does not exist in the directory (check CATALOG_*_BASE_DNS).`);
      }
      throw err;
    }
  }
  return [...byGuid.values()];
}

/** Computers under CATALOG_DEVICE_BASE_DNS (none when it is unset). */
export async function listCatalogComputers(bases: string[] = env.CATALOG_DEVICE_BASE_DNS): Promise<DirectoryComputer[]> {
  if (bases.length === 0) return [];
  return serviceConnection().run("Read catalog computers", (c) => readAll(c, bases, "(objectClass=computer)", COMPUTER_ATTRS, toComputer));
}

/** User accounts (not computers, which are objectClass=user too) under CATALOG_CREDENTIAL_BASE_DNS. */
export async function listCatalogAccounts(bases: string[] = env.CATALOG_CREDENTIAL_BASE_DNS): Promise<DirectoryAccount[]> {
  if (bases.length === 0) return [];
  return serviceConnection().run("Read catalog accounts", async (c) => {
    const accounts = await readAll(c, bases, PERSON, ACCOUNT_ATTRS, toAccount);
    await resolveOwners(c, accounts);
    return accounts;
  });
}
