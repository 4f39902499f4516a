import "server-only";
import { guidToString, sidToString } from "./binary";

/*
 * Reading a DACL (MS-DTYP 2.4.5/2.4.4) and deciding what it lets a set of SIDs do on one object,
 * for the setup assistant's checks (server/directory/setup.ts). Pure: the descriptor is read with
 * the SD flags control (DACL only), the service account's SIDs from tokenGroups.
 *
 * The decision follows Windows' access check for directory objects: ACEs in order, inherit-only
 * ones skipped, an object ACE counts only for its object type (attribute, property set, extended
 * right or child class); for each wanted bit the first ACE that names it decides (allow or deny).
 */

export const RIGHT = {
  CREATE_CHILD: 0x1,
  DELETE_CHILD: 0x2,
  SELF: 0x8,
  WRITE_PROPERTY: 0x20,
  CONTROL_ACCESS: 0x100,
  DELETE: 0x1_0000,
  READ_CONTROL: 0x2_0000,
  WRITE_DAC: 0x4_0000,
} as const;

const GENERIC_ALL = 0x1000_0000;
const GENERIC_WRITE = 0x4000_0000;
/** What the generic bits mean for directory objects (the DS generic mapping). */
const DS_ALL = 0xf_01ff;
const DS_WRITE = RIGHT.READ_CONTROL | RIGHT.WRITE_PROPERTY | RIGHT.SELF;

export const ACE_FLAG = { OBJECT_INHERIT: 0x1, CONTAINER_INHERIT: 0x2, NO_PROPAGATE: 0x4, INHERIT_ONLY: 0x8, INHERITED: 0x10 } as const;

export interface Ace {
  allow: boolean;
  flags: number;
  mask: number;
  sid: string;
  /** Object ACEs: the attribute / property set / extended right / child class it is limited to. */
  objectType: string | null;
  /** Object ACEs: the class of child objects it is inherited by. */
  inheritedObjectType: string | null;
}

const ACCESS_ALLOWED = 0x0;
const ACCESS_DENIED = 0x1;
const ACCESS_ALLOWED_OBJECT = 0x5;
const ACCESS_DENIED_OBJECT = 0x6;
const OBJECT_TYPE_PRESENT = 0x1;
const INHERITED_OBJECT_TYPE_PRESENT = 0x2;

function sidAt(buf: Buffer, offset: number): string {
  const subCount = buf.readUInt8(offset + 1);
  return sidToString(buf.subarray(offset, offset + 8 + subCount * 4));
}

/** The DACL's ACEs of a self-relative security descriptor ([] when it has no DACL). Audit and callback ACEs are left out. */
export function parseDacl(sd: Buffer): Ace[] {
  if (sd.length < 20 || sd[0] !== 1) throw new RangeError("Not a self-relative security descriptor");
  const daclOffset = sd.readUInt32LE(16);
  if (daclOffset === 0) return [];
  const count = sd.readUInt16LE(daclOffset + 4);
  const aces: Ace[] = [];
  let at = daclOffset + 8;
  for (let i = 0; i < count; i++) {
    const type = sd.readUInt8(at);
    const flags = sd.readUInt8(at + 1);
    const size = sd.readUInt16LE(at + 2);
    if (size < 8 || at + size > sd.length) throw new RangeError(`ACE ${i} runs past the descriptor`);
    const mask = sd.readUInt32LE(at + 4);
    if (type === ACCESS_ALLOWED || type === ACCESS_DENIED) {
      aces.push({ allow: type === ACCESS_ALLOWED, flags, mask, sid: sidAt(sd, at + 8), objectType: null, inheritedObjectType: null });
    } else if (type === ACCESS_ALLOWED_OBJECT || type === ACCESS_DENIED_OBJECT) {
      const present = sd.readUInt32LE(at + 8);
      let p = at + 12;
      let objectType: string | null = null;
      let inheritedObjectType: string | null = null;
      if (present & OBJECT_TYPE_PRESENT) {
        objectType = guidToString(sd.subarray(p, p + 16));
        p += 16;
      }
      if (present & INHERITED_OBJECT_TYPE_PRESENT) {
        inheritedObjectType = guidToString(sd.subarray(p, p + 16));
        p += 16;
      }
      aces.push({ allow: type === ACCESS_ALLOWED_OBJECT, flags, mask, sid: sidAt(sd, p), objectType, inheritedObjectType });
    }
    at += size;
  }
  return aces;
}

function expand(mask: number): number {
  let m = mask & DS_ALL;
  if (mask & GENERIC_ALL) m |= DS_ALL;
  if (mask & GENERIC_WRITE) m |= DS_WRITE;
  return m;
}

export type Verdict = "allowed" | "denied" | "not-granted";

export interface Wanted {
  mask: number;
  /** The object types that grant it (an attribute and the property set it belongs to); none = the right on the whole object. */
  objectTypes?: readonly string[];
}

/** What `aces` (an object's own DACL) let someone holding `sids` do. */
export function decide(aces: readonly Ace[], sids: ReadonlySet<string>, wanted: Wanted): Verdict {
  const types = (wanted.objectTypes ?? []).map((t) => t.toLowerCase());
  let remaining = wanted.mask;
  for (const ace of aces) {
    if (ace.flags & ACE_FLAG.INHERIT_ONLY) continue;
    if (!sids.has(ace.sid)) continue;
    // An object ACE limited to another attribute / right / class says nothing here; one limited
    // to some type cannot grant the right on the whole object either.
    if (ace.objectType !== null && !types.includes(ace.objectType.toLowerCase())) continue;
    const bits = expand(ace.mask) & remaining;
    if (bits === 0) continue;
    if (!ace.allow) return "denied";
    remaining &= ~bits;
    if (remaining === 0) return "allowed";
  }
  return "not-granted";
}

/**
 * The ACEs a new child of class `childClass` would inherit from a container with `aces` (the child
 * adds nothing of its own): container-inherit ones not limited to another class.
 */
export function inheritedByChild(aces: readonly Ace[], childClass: string): Ace[] {
  return aces
    .filter((a) => a.flags & ACE_FLAG.CONTAINER_INHERIT)
    .filter((a) => a.inheritedObjectType === null || a.inheritedObjectType.toLowerCase() === childClass.toLowerCase())
    .map((a) => ({ ...a, flags: (a.flags & ~ACE_FLAG.INHERIT_ONLY) | ACE_FLAG.INHERITED }));
}

/** Schema GUIDs that are the same in every forest (MS-ADA/MS-ADSC), used by the checks and commands. */
export const SCHEMA = {
  memberAttribute: "bf9679c0-0de6-11d0-a285-00aa003049e2",
  /** The "Membership" property set (member is one of its attributes). */
  membershipPropertySet: "bc0ac240-79a9-11d0-9020-00c04fc2d4cf",
  adminCountAttribute: "bf967918-0de6-11d0-a285-00aa003049e2",
  groupClass: "bf967a9c-0de6-11d0-a285-00aa003049e2",
  userClass: "bf967aba-0de6-11d0-a285-00aa003049e2",
  resetPasswordRight: "00299570-246d-11d0-a768-00aa006e0529",
} as const;

/**
 * SIDs in every LDAP bind's token besides the account's own groups: Everyone, NETWORK (a bind is a
 * network logon), Authenticated Users, This Organization. ACEs naming them — a deny above all —
 * apply to the service account too.
 */
export const IMPLICIT_SIDS = ["S-1-1-0", "S-1-5-2", "S-1-5-11", "S-1-5-15"] as const;
