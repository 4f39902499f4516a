import "server-only";
import { and, asc, eq, sql } from "drizzle-orm";
import { db } from "@/db";
import { accessGroupApprovers, catalogCredentials, privilegeFavourites, privileges } from "@/db/schema";
import { bindVerdict, loadPerson, publicVerdict, situationOf, type Verdict } from "@/server/access-groups/enforcement";
import { effectiveAccess, type LimitsByGroup } from "@/server/access-groups/policy";
import type { AccessGroupPolicy } from "@/server/access-groups/policy/schemas";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { othersAccountReason } from "@/server/catalog/ownership";
import { notFound, unauthenticated } from "@/server/errors";
import { setsForRequester } from "@/server/privilege-sets/eligibility";
import { AccessCache } from "./access-cache";
import { accessListInput, accountsInput, favouriteInput, type AccessListInput } from "./schemas";

/*
 * The requester page's listing at scale (issue 15): what a person's access groups allow is computed
 * once per person, session and address and kept in AccessCache (see there for when it is dropped);
 * each call then only orders (favourites, recently requested, the rest by name), filters and pages it,
 * so the answer carries one page of what the page renders. The verdicts are the server's own
 * (evaluateRequest); submit re-checks them, so a stale listing can never grant anything.
 */

type Account = { id: string; username: string; displayName: string };

interface ListedPrivilege {
  privilege: {
    id: string;
    name: string;
    description: string;
    tags: string[];
    maxDurationMinutes: number;
    defaultDurationMinutes: number;
    allowExtension: boolean;
  };
  emergencyAllowed: boolean;
  /** Index into Listing.accountLists: privileges allowed by the same groups share one list. */
  accountList: number;
  verdict: ReturnType<typeof publicVerdict>;
  /** The requester approves for the group that would bind the request: they cannot approve it themselves. */
  selfApprover: boolean;
  /** Lower-case name, description and tags, for the search. */
  haystack: string;
}

interface Listing {
  location: string;
  memberships: { id: string; name: string; enabled: boolean; state: "active" | "pending" | "suspended"; via: string[] }[];
  privileges: ListedPrivilege[];
  accountLists: Account[][];
  sets: (Awaited<ReturnType<typeof setsForRequester>>[number] & { selfApprover: boolean })[];
  tags: string[];
  /** When a group's time window opens or closes (ms since epoch): the listing's verdicts change then. */
  changesAt: number | null;
}

const cache = new AccessCache<Listing>();

/*
 * Shared between people's entries, so a thousand cached listings do not hold a thousand copies of
 * the catalog: each privilege's projection (while its row is unchanged), and each "allowed" verdict
 * (the same binding group and default duration give the same verdict).
 */
const projections = new Map<string, { stamp: string; privilege: ListedPrivilege["privilege"]; haystack: string }>();
function projectionOf(p: typeof privileges.$inferSelect) {
  const stamp = JSON.stringify([p.name, p.description, p.tags, p.maxDurationMinutes, p.defaultDurationMinutes, p.allowExtension]);
  const known = projections.get(p.id);
  if (known?.stamp === stamp) return known;
  const privilege = {
    id: p.id,
    name: p.name,
    description: p.description,
    tags: p.tags,
    maxDurationMinutes: p.maxDurationMinutes,
    defaultDurationMinutes: p.defaultDurationMinutes,
    allowExtension: p.allowExtension,
  };
  const entry = { stamp, privilege, haystack: [p.name, p.description, ...p.tags].join("\n").toLowerCase() };
  if (projections.size > 100_000) projections.clear();
  projections.set(p.id, entry);
  return entry;
}

async function computeListing(userId: string, ip: string | null | undefined): Promise<Listing> {
  const person = await loadPerson(userId);
  if (!person) throw unauthenticated("Sign in again.");
  const s = await situationOf(person, ip);
  const now = new Date();
  const [enabled, credentials, approverOf, sets] = await Promise.all([
    db.select().from(privileges).where(eq(privileges.enabled, true)).orderBy(asc(privileges.name)),
    db.select().from(catalogCredentials).where(eq(catalogCredentials.present, true)).orderBy(asc(catalogCredentials.username)),
    db
      .select({ groupId: accessGroupApprovers.groupId })
      .from(accessGroupApprovers)
      .where(sql`lower(${accessGroupApprovers.userGuid}) = ${person.objectGuid.toLowerCase()}`),
    setsForRequester(s, now),
  ]);
  const approverGroups = new Set(s.memberships.filter((m) => approverOf.some((a) => a.groupId === m.group.id)).map((m) => m.group.name));
  const access = effectiveAccess(s.groups, { privileges: enabled, credentials, devices: s.devices });
  // The same rules as requesterAccess (enforcement.ts): an account is offered for a privilege when
  // one of the groups allowing the privilege also matches the account (effectiveAccess's groups of
  // the account) and lets this person ask for it (othersAccountReason). Worked out once per account
  // and group, then indexed by group: a set of allowing groups gets the union of its groups' lists,
  // in catalog order — not a pass over every account per distinct set (issue 15: 1 s per listing
  // with 5,000 accounts).
  const me = { guid: person.objectGuid, dn: person.dn };
  const askable = access.credentials.filter(({ credential }) => credential.objectGuid !== null && credential.dn !== null);
  const byGroup = new Map<string, number[]>();
  askable.forEach(({ credential, groups }, index) => {
    for (const g of groups) {
      if (othersAccountReason(credential, me, g) !== null) continue;
      const list = byGroup.get(g.id);
      if (list) list.push(index);
      else byGroup.set(g.id, [index]);
    }
  });
  const listIndex = new Map<string, number>();
  const accountLists: Account[][] = [];
  const accountListFor = (groups: readonly AccessGroupPolicy[]) => {
    const key = groups.map((g) => g.id).join(",");
    let index = listIndex.get(key);
    if (index === undefined) {
      const lists = groups.map((g) => byGroup.get(g.id) ?? []);
      const indices = lists.length === 1 ? lists[0]! : [...new Set(lists.flat())].sort((a, b) => a - b);
      const accounts = indices.map((i) => askable[i]!.credential);
      index = accountLists.push(accounts.map((a) => ({ id: a.id, username: a.username, displayName: a.displayName }))) - 1;
      listIndex.set(key, index);
    }
    return index;
  };
  let changesAt: number | null = null;
  const note = (at: Date | null) => {
    if (at && (changesAt === null || at.getTime() < changesAt)) changesAt = at.getTime();
  };
  // For the person's own account the groups allowing a privilege are exactly effectiveAccess's
  // (evaluateRequest's groupsAllowing with no credential), and the verdict depends only on those
  // groups and the duration: one evaluation (limits in each group's zone) per distinct pair, not per privilege.
  const verdicts = new Map<string, { verdict: Verdict; shown: ReturnType<typeof publicVerdict> }>();
  const limitsByGroup: LimitsByGroup = new Map();
  const listed = access.privileges.map(({ privilege: p, groups }): ListedPrivilege => {
    const memo = `${groups.map((g) => g.id).join(",")}|${p.defaultDurationMinutes}`;
    let known = verdicts.get(memo);
    if (!known) {
      const verdict = bindVerdict(s, groups, p.defaultDurationMinutes, now, { limitsByGroup });
      known = { verdict, shown: publicVerdict(verdict) };
      verdicts.set(memo, known);
      note(verdict.ok ? verdict.windowEndsAt : verdict.nextWindowStartsAt);
    }
    const { verdict, shown } = known;
    const { privilege, haystack } = projectionOf(p);
    return {
      privilege,
      emergencyAllowed: groups.some((g) => g.settings.allowsEmergencyAccess),
      accountList: accountListFor(groups),
      verdict: shown,
      selfApprover: verdict.ok && approverGroups.has(verdict.group.name),
      haystack,
    };
  });
  for (const set of sets) note(set.verdict.ok ? set.verdict.windowEndsAt : set.verdict.nextWindowStartsAt);
  return {
    location: s.locationText,
    memberships: s.memberships.map((m) => ({ id: m.group.id, name: m.group.name, enabled: m.group.enabled, state: m.state, via: m.via })),
    privileges: listed,
    accountLists,
    sets: sets.map((set) => ({ ...set, selfApprover: set.verdict.ok && approverGroups.has(set.verdict.group) })),
    tags: [...new Set(listed.flatMap((p) => p.privilege.tags))].sort((a, b) => a.localeCompare(b)),
    changesAt,
  };
}

function listingOf(user: SessionUser, actor: AuditActor, sessionId: string | null | undefined, version: number) {
  const key = `${user.id}:${sessionId ?? "-"}:${actor.ip ?? ""}`;
  return cache.get(
    key,
    version,
    () => computeListing(user.id, actor.ip),
    (l) => l.changesAt,
  );
}

/** The access version, and the person's favourites and most recently requested privileges: one round trip, never cached. */
async function personalState(userId: string) {
  const [row] = await db.execute<{ version: string | number; favourites: string[]; recent: string[] }>(sql`
    select (select version from access_version where id = 1) as version,
      coalesce((select array_agg(privilege_id::text order by created_at desc) from privilege_favourites where user_id = ${userId}), '{}') as favourites,
      coalesce((select array_agg(privilege_id::text order by last desc) from (
        select privilege_id, max(created_at) as last from (
          select privilege_id, created_at from requests where requester_id = ${userId} and kind = 'access' order by created_at desc limit 200
        ) r group by privilege_id order by last desc limit 10) recent), '{}') as recent`);
  return { version: Number(row?.version ?? 0), favourites: row?.favourites ?? [], recent: row?.recent ?? [] };
}

/**
 * One page of what the person may request. `sessionId` keys the cache (a new sign-in recomputes);
 * the sets, tags and memberships come with the first page only.
 */
export async function listAccess(user: SessionUser, actor: AuditActor, sessionId: string | null | undefined, raw: unknown) {
  assertCan(user, "request", "Privilege");
  const input: AccessListInput = accessListInput.parse(raw);
  const mine = await personalState(user.id);
  const listing = await listingOf(user, actor, sessionId, mine.version);
  const rank = new Map<string, number>();
  for (const id of [...mine.favourites, ...mine.recent]) if (!rank.has(id)) rank.set(id, rank.size);
  const favourites = new Set(mine.favourites);
  const search = input.search.toLowerCase();
  const matching = listing.privileges.filter((p) => (!search || p.haystack.includes(search)) && (!input.tag || p.privilege.tags.includes(input.tag)));
  // Favourites, then recently requested, then the listing's own order (by name): the few ranked
  // ones are sorted, the rest keep their place (no sort of the whole listing on every call).
  const ranked: ListedPrivilege[] = [];
  const rest: ListedPrivilege[] = [];
  for (const p of matching) (rank.has(p.privilege.id) ? ranked : rest).push(p);
  ranked.sort((a, b) => rank.get(a.privilege.id)! - rank.get(b.privilege.id)!);
  const ordered = ranked.length ? ranked.concat(rest) : rest;
  const start = input.cursor ?? 0;
  const page = ordered.slice(start, start + input.limit);
  const first = start === 0;
  return {
    location: listing.location,
    memberships: first ? listing.memberships : [],
    sets: first ? listing.sets : [],
    tags: first ? listing.tags : [],
    /** Privileges the person may ask for at all, and how many match the filters. */
    available: listing.privileges.length,
    total: ordered.length,
    // The accounts a privilege may elevate: how many and the first few for the card; the form asks requests.accounts for all.
    items: page.map(({ haystack: _h, accountList, ...p }) => {
      const accounts = listing.accountLists[accountList]!;
      return {
        ...p,
        accountCount: accounts.length,
        accountSample: accounts.slice(0, 3).map((a) => a.username),
        favourite: favourites.has(p.privilege.id),
        recent: mine.recent.includes(p.privilege.id),
      };
    }),
    nextCursor: start + page.length < ordered.length ? start + page.length : null,
  };
}

/** The privileged accounts the person may elevate with one privilege of their listing (the request form's choices). */
export async function listAccountsFor(user: SessionUser, actor: AuditActor, sessionId: string | null | undefined, raw: unknown) {
  assertCan(user, "request", "Privilege");
  const { privilegeId } = accountsInput.parse(raw);
  const listing = await listingOf(user, actor, sessionId, (await personalState(user.id)).version);
  const listed = listing.privileges.find((p) => p.privilege.id === privilegeId);
  if (!listed) throw notFound("This privilege is not available for requests.");
  return listing.accountLists[listed.accountList]!;
}

/** Stars (or un-stars) a privilege for the person: only one they may see on the page; audited. */
export async function setFavourite(user: SessionUser, actor: AuditActor, sessionId: string | null | undefined, raw: unknown) {
  assertCan(user, "request", "Privilege");
  const { privilegeId, favourite } = favouriteInput.parse(raw);
  // Only a privilege on the person's own listing: the answer must not tell whether some other id exists.
  const listing = favourite ? await listingOf(user, actor, sessionId, (await personalState(user.id)).version) : null;
  const privilege = listing
    ? listing.privileges.find((p) => p.privilege.id === privilegeId)?.privilege
    : (await db.select({ id: privileges.id, name: privileges.name }).from(privileges).where(eq(privileges.id, privilegeId)))[0];
  if (!privilege) throw notFound("This privilege is not available for requests.");
  await db.transaction(async (tx) => {
    const changed = favourite
      ? await tx.insert(privilegeFavourites).values({ userId: user.id, privilegeId }).onConflictDoNothing().returning()
      : await tx
          .delete(privilegeFavourites)
          .where(and(eq(privilegeFavourites.userId, user.id), eq(privilegeFavourites.privilegeId, privilegeId)))
          .returning();
    if (changed.length === 0) return;
    await recordAudit(tx, actor, [
      { action: "privilege.favourite_changed", targetType: "privilege", targetId: privilegeId, data: { privilege: privilege.name, favourite } },
    ]);
  });
  return { privilegeId, favourite };
}
