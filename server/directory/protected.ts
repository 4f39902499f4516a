import "server-only";
import { Attribute, BerWriter, Change, Control } from "ldapts";
import { env } from "@/server/env";
import { sidToString } from "./binary";
import { serviceConnection } from "./connection";
import { tokenGroupSids } from "./principals";
import { allowDaclInheritance, isDaclProtected } from "./security-descriptor";
import { buf, guidRef, str } from "./entries";

/*
 * AdminSDHolder leftovers. A member of a protected group (Domain Admins, Administrators, …) gets
 * adminCount=1 and "inheritance disabled" from SDProp, and keeps both after leaving the group.
 * When a grant to such a group ends and the account is in no other protected group, Interim clears
 * adminCount and lets the account inherit its permissions again, as admins otherwise do by hand.
 * Samba does not run SDProp; tests put the leftovers in place themselves.
 *
 * Rights: the service account needs "Write adminCount" and "Modify permissions" on the accounts;
 * without them the cleanup fails (audited) and the access itself is unaffected.
 */

/** Builtin protected groups: Administrators, Account/Server/Print/Backup Operators, Replicator. */
const BUILTIN_PROTECTED = ["S-1-5-32-544", "S-1-5-32-548", "S-1-5-32-549", "S-1-5-32-550", "S-1-5-32-551", "S-1-5-32-552"];
/** Domain groups by RID: Domain Admins, Domain Controllers, Schema/Enterprise Admins, RODCs, Key Admins. */
const PROTECTED_RIDS = [512, 516, 518, 519, 521, 526, 527];

const SD_FLAGS_OID = "1.2.840.113556.1.4.801";
export const DACL_SECURITY_INFORMATION = 0x4;

/** LDAP_SERVER_SD_FLAGS_OID: read and write only the DACL part of nTSecurityDescriptor. */
export class SdFlagsControl extends Control {
  constructor(private readonly flags: number) {
    super(SD_FLAGS_OID, { critical: true });
  }
  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(this.flags);
    value.endSequence();
    writer.writeBuffer(value.buffer, 0x04);
  }
}

/**
 * SIDs of the protected groups: the well-known ones of this domain and builtin, plus every group
 * SDProp marked (adminCount=1) — custom groups an admin added to AdminSDHolder's list.
 */
export async function protectedGroupSids(): Promise<Set<string>> {
  return serviceConnection().run("Read protected groups", async (c) => {
    const {
      searchEntries: [domain],
    } = await c.search(env.LDAP_BASE_DN, { scope: "base", filter: "(objectClass=*)", attributes: ["objectSid"], explicitBufferAttributes: ["objectSid"] });
    const sids = new Set(BUILTIN_PROTECTED);
    if (domain) {
      const domainSid = sidToString(buf(domain, "objectSid"));
      for (const rid of PROTECTED_RIDS) sids.add(`${domainSid}-${rid}`);
    }
    const { searchEntries } = await c.search(env.LDAP_BASE_DN, {
      scope: "sub",
      filter: "(&(objectClass=group)(adminCount=1))",
      attributes: ["objectSid"],
      explicitBufferAttributes: ["objectSid"],
    });
    for (const e of searchEntries) sids.add(sidToString(buf(e, "objectSid")));
    return sids;
  });
}

export type LeftoverOutcome =
  | { outcome: "still-protected"; memberDn: string }
  | { outcome: "nothing-left"; memberDn: string }
  | { outcome: "cleared"; memberDn: string; adminCountCleared: boolean; inheritanceRestored: boolean }
  | { outcome: "gone" };

/**
 * Clears the account's adminCount and restores inheritance, unless it is still (directly or
 * nested) in a protected group. Idempotent: an account without leftovers is left alone.
 */
export async function clearProtectedLeftovers(memberGuid: string, protectedSids: Set<string>): Promise<LeftoverOutcome> {
  const memberOf = await tokenGroupSids(memberGuid).catch((err: { code?: number }) => {
    if (err.code === 32) return null; // the account is gone
    throw err;
  });
  if (memberOf === null) return { outcome: "gone" };
  // Every account has at least its primary group: an empty answer is a failed read, not "in no protected group".
  if (memberOf.length === 0) throw new Error("The account's groups (tokenGroups) could not be read");
  return serviceConnection().run("Clear AdminSDHolder leftovers", async (c) => {
    const sd = new SdFlagsControl(DACL_SECURITY_INFORMATION);
    const {
      searchEntries: [entry],
    } = await c.search(
      guidRef(memberGuid),
      { scope: "base", filter: "(objectClass=*)", attributes: ["adminCount", "nTSecurityDescriptor"], explicitBufferAttributes: ["nTSecurityDescriptor"] },
      sd,
    );
    if (!entry) return { outcome: "gone" };
    if (memberOf.some((sid) => protectedSids.has(sid))) return { outcome: "still-protected", memberDn: entry.dn };
    // SDProp leaves both marks; without adminCount=1, a protected DACL is someone's deliberate
    // hardening of the account, not a leftover, and stays.
    const adminCount = str(entry, "adminCount") === "1";
    if (!adminCount) return { outcome: "nothing-left", memberDn: entry.dn };
    const descriptor = buf(entry, "nTSecurityDescriptor");
    const dacl = descriptor.length > 0 && isDaclProtected(descriptor);
    await c.modify(entry.dn, new Change({ operation: "delete", modification: new Attribute({ type: "adminCount", values: [] }) }));
    if (dacl)
      await c.modify(
        entry.dn,
        new Change({ operation: "replace", modification: new Attribute({ type: "nTSecurityDescriptor", values: [allowDaclInheritance(descriptor)] }) }),
        sd,
      );
    return { outcome: "cleared", memberDn: entry.dn, adminCountCleared: true, inheritanceRestored: dacl };
  });
}
