/**
 * The benchmark's own LDAP clients: an administrative one (setup only) and dedicated
 * service-account ones (raw measurements, membership polling). They use the product's client
 * factory so TLS settings match what the worker uses, but never the worker's shared connection.
 */
import { Attribute, Change, type Client, escapeFilter, ResultCodeError } from "ldapts";
import { newClient } from "@/server/directory/connection";
import { env } from "@/server/env";

export function requiredEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (scripts/ad-up.sh writes it to .data/samba/env; run through scripts/with-stack.ts)`);
  return v;
}

export async function bindClient(dn: string, password: string): Promise<Client> {
  const client = newClient(env.LDAP_URL[0]!);
  await client.bind(dn, password);
  return client;
}

export const adminClient = () => bindClient(requiredEnv("AD_ADMIN_DN"), requiredEnv("AD_ADMIN_PASSWORD"));
export const serviceClient = () => bindClient(env.LDAP_BIND_DN, env.LDAP_BIND_PASSWORD);

export function resultCode(err: unknown): number | undefined {
  return err instanceof ResultCodeError ? err.code : undefined;
}

/** Adds an entry; "already exists" (68) is fine. Returns whether it was created. */
export async function addIfMissing(client: Client, dn: string, attributes: Record<string, string | string[]>): Promise<boolean> {
  try {
    await client.add(dn, attributes);
    return true;
  } catch (err) {
    if (resultCode(err) === 68) return false;
    throw err;
  }
}

/** Direct members of a group, following ranged retrieval when the server pages `member`. */
export async function groupMembers(client: Client, groupDn: string): Promise<string[]> {
  const members: string[] = [];
  let start = 0;
  for (;;) {
    const { searchEntries } = await client.search(groupDn, {
      scope: "base",
      filter: "(objectClass=group)",
      attributes: [`member;range=${start}-*`],
    });
    const entry = searchEntries[0];
    if (!entry) throw new Error(`group not found: ${groupDn}`);
    const key = Object.keys(entry).find((k) => /^member(;range=.*)?$/i.test(k));
    if (!key) return members;
    const v = entry[key];
    members.push(...(Array.isArray(v) ? v : [v]).map(String));
    const range = /;range=\d+-(\d+|\*)$/i.exec(key);
    if (!range || range[1] === "*") return members;
    start = Number(range[1]) + 1;
  }
}

/** One modify carrying `values` as `member` values. */
export async function modifyMembers(client: Client, op: "add" | "delete", groupDn: string, values: string[]) {
  await client.modify(groupDn, new Change({ operation: op, modification: new Attribute({ type: "member", values }) }));
}

/** Changes members in batches, falling back to single values when a batch conflicts (68/53). */
export async function changeMembersTolerant(client: Client, op: "add" | "delete", groupDn: string, values: string[], batch = 500) {
  for (let i = 0; i < values.length; i += batch) {
    const chunk = values.slice(i, i + batch);
    try {
      await modifyMembers(client, op, groupDn, chunk);
    } catch (err) {
      const code = resultCode(err);
      if (code !== 68 && code !== 20 && code !== 53 && code !== 16) throw err;
      for (const v of chunk) {
        try {
          await modifyMembers(client, op, groupDn, [v]);
        } catch (e) {
          const c = resultCode(e);
          if (c !== 68 && c !== 20 && c !== 53 && c !== 16) throw e;
        }
      }
    }
  }
}

/** True when the user entry's memberOf holds the group (direct membership), as the DC sees it now. */
export async function hasDirectMembership(client: Client, userDn: string, groupDn: string): Promise<boolean> {
  const { searchEntries } = await client.search(userDn, {
    scope: "base",
    filter: escapeFilter`(memberOf=${groupDn})`,
    attributes: ["1.1"],
  });
  return searchEntries.length > 0;
}

export async function safeUnbind(client: Client | undefined) {
  await client?.unbind().catch(() => {});
}
