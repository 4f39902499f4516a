import { describe, expect, it } from "vitest";
import { ACE_FLAG, decide, inheritedByChild, parseDacl, RIGHT, SCHEMA } from "@/server/directory/acl";
import { guidToBytes } from "@/server/directory/binary";
import { commandsFor, quotable } from "@/server/directory/setup-commands";
import { parentDn } from "@/server/directory/setup";

/*
 * The setup assistant's reading of DACLs (server/directory/acl.ts) on descriptors built byte by
 * byte as MS-DTYP lays them out, and the commands it prints (setup-commands.ts).
 */

function sidBytes(sid: string): Buffer {
  const [, rev, auth, ...subs] = sid.split("-");
  const b = Buffer.alloc(8 + subs.length * 4);
  b.writeUInt8(Number(rev), 0);
  b.writeUInt8(subs.length, 1);
  b.writeUIntBE(Number(auth), 2, 6);
  subs.forEach((s, i) => b.writeUInt32LE(Number(s), 8 + i * 4));
  return b;
}

interface AceSpec {
  allow?: boolean;
  flags?: number;
  mask: number;
  sid: string;
  objectType?: string;
  inheritedObjectType?: string;
}

function ace(a: AceSpec): Buffer {
  const object = a.objectType !== undefined || a.inheritedObjectType !== undefined;
  const type = object ? (a.allow === false ? 6 : 5) : a.allow === false ? 1 : 0;
  const parts: Buffer[] = [];
  const mask = Buffer.alloc(4);
  mask.writeUInt32LE(a.mask >>> 0);
  parts.push(mask);
  if (object) {
    const present = Buffer.alloc(4);
    present.writeUInt32LE((a.objectType ? 1 : 0) | (a.inheritedObjectType ? 2 : 0));
    parts.push(present);
    if (a.objectType) parts.push(guidToBytes(a.objectType));
    if (a.inheritedObjectType) parts.push(guidToBytes(a.inheritedObjectType));
  }
  parts.push(sidBytes(a.sid));
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(4);
  header.writeUInt8(type, 0);
  header.writeUInt8(a.flags ?? 0, 1);
  header.writeUInt16LE(4 + body.length, 2);
  return Buffer.concat([header, body]);
}

function descriptor(aces: AceSpec[]): Buffer {
  const body = Buffer.concat(aces.map(ace));
  const acl = Buffer.alloc(8);
  acl.writeUInt8(4, 0);
  acl.writeUInt16LE(8 + body.length, 2);
  acl.writeUInt16LE(aces.length, 4);
  const sd = Buffer.alloc(20);
  sd.writeUInt8(1, 0);
  sd.writeUInt16LE(0x8004, 2); // self-relative, DACL present
  sd.writeUInt32LE(20, 16);
  return Buffer.concat([sd, acl, body]);
}

const SVC = "S-1-5-21-1-2-3-1105";
const OTHER = "S-1-5-21-1-2-3-1106";
const sids = new Set([SVC, "S-1-1-0", "S-1-5-11"]);
const writeMember = { mask: RIGHT.WRITE_PROPERTY, objectTypes: [SCHEMA.memberAttribute, SCHEMA.membershipPropertySet] };

describe("deciding rights from a DACL", () => {
  it("reads plain and object ACEs with their types", () => {
    const aces = parseDacl(
      descriptor([
        { mask: 0x10000000, sid: SVC, flags: ACE_FLAG.CONTAINER_INHERIT },
        { mask: RIGHT.WRITE_PROPERTY, sid: OTHER, objectType: SCHEMA.memberAttribute, inheritedObjectType: SCHEMA.groupClass, allow: false },
      ]),
    );
    expect(aces).toEqual([
      { allow: true, flags: 2, mask: 0x10000000, sid: SVC, objectType: null, inheritedObjectType: null },
      { allow: false, flags: 0, mask: 0x20, sid: OTHER, objectType: SCHEMA.memberAttribute, inheritedObjectType: SCHEMA.groupClass },
    ]);
  });

  it("grants by generic all, a plain write, the attribute or its property set", () => {
    for (const a of [
      { mask: 0x10000000, sid: SVC },
      { mask: 0x40000000, sid: SVC },
      { mask: RIGHT.WRITE_PROPERTY, sid: "S-1-5-11" },
      { mask: RIGHT.WRITE_PROPERTY, sid: SVC, objectType: SCHEMA.memberAttribute },
      { mask: RIGHT.WRITE_PROPERTY, sid: SVC, objectType: SCHEMA.membershipPropertySet },
    ])
      expect(decide(parseDacl(descriptor([a])), sids, writeMember)).toBe("allowed");
  });

  it("does not grant through another SID, another attribute, another right or an inherit-only ACE", () => {
    for (const a of [
      { mask: 0x10000000, sid: OTHER },
      { mask: RIGHT.WRITE_PROPERTY, sid: SVC, objectType: SCHEMA.adminCountAttribute },
      { mask: RIGHT.CONTROL_ACCESS | RIGHT.CREATE_CHILD, sid: SVC },
      { mask: 0x10000000, sid: SVC, flags: ACE_FLAG.CONTAINER_INHERIT | ACE_FLAG.INHERIT_ONLY },
    ])
      expect(decide(parseDacl(descriptor([a])), sids, writeMember)).toBe("not-granted");
    // An ACE limited to one attribute cannot give a right on the whole object.
    expect(decide(parseDacl(descriptor([{ mask: RIGHT.WRITE_DAC, sid: SVC, objectType: SCHEMA.memberAttribute }])), sids, { mask: RIGHT.WRITE_DAC })).toBe(
      "not-granted",
    );
  });

  it("lets the first ACE that names a bit decide: a deny before an allow wins, after it loses", () => {
    const deny = { mask: RIGHT.WRITE_PROPERTY, sid: "S-1-1-0", objectType: SCHEMA.memberAttribute, allow: false };
    const allow = { mask: 0x10000000, sid: SVC };
    expect(decide(parseDacl(descriptor([deny, allow])), sids, writeMember)).toBe("denied");
    expect(decide(parseDacl(descriptor([allow, deny])), sids, writeMember)).toBe("allowed");
  });

  it("needs every wanted bit", () => {
    const aces = parseDacl(descriptor([{ mask: RIGHT.WRITE_PROPERTY, sid: SVC, objectType: SCHEMA.adminCountAttribute }]));
    expect(decide(aces, sids, { mask: RIGHT.WRITE_PROPERTY | RIGHT.WRITE_DAC, objectTypes: [SCHEMA.adminCountAttribute] })).toBe("not-granted");
  });

  it("passes container-inherit ACEs to a child of the class they name, not to another class", () => {
    const aces = parseDacl(
      descriptor([
        {
          mask: RIGHT.WRITE_PROPERTY,
          sid: SVC,
          flags: ACE_FLAG.CONTAINER_INHERIT | ACE_FLAG.INHERIT_ONLY,
          objectType: SCHEMA.memberAttribute,
          inheritedObjectType: SCHEMA.groupClass,
        },
        { mask: RIGHT.DELETE, sid: SVC, flags: 0 },
      ]),
    );
    expect(decide(aces, sids, writeMember)).toBe("not-granted"); // inherit-only on the container itself
    expect(decide(inheritedByChild(aces, SCHEMA.groupClass), sids, writeMember)).toBe("allowed");
    expect(decide(inheritedByChild(aces, SCHEMA.userClass), sids, writeMember)).toBe("not-granted");
    expect(decide(inheritedByChild(aces, SCHEMA.groupClass), sids, { mask: RIGHT.DELETE })).toBe("not-granted"); // not inheritable
  });
});

describe("setup commands", () => {
  const account = { netbiosName: "CORP", sam: "svc-interim", sid: SVC };

  it("quotes DNs for each shell and refuses what cannot be quoted", () => {
    const dn = "OU=O'Brien Admins,DC=corp,DC=example";
    const c = commandsFor({ kind: "write-member", dn }, account, "dc1.corp.example");
    expect(c.powershell).toContain("$path = 'AD:OU=O''Brien Admins,DC=corp,DC=example'");
    expect(c.dsacls).toBe(`dsacls "${dn}" /I:S /G "CORP\\svc-interim:WP;member;group"`);
    expect(c.samba).toContain(`--objectdn='OU=O'\\''Brien Admins,DC=corp,DC=example'`);
    expect(c.sddl).toEqual({ dn, aces: `(OA;CIIO;WP;${SCHEMA.memberAttribute};${SCHEMA.groupClass};${SVC})` });
    expect(quotable(dn)).toBe(true);
    for (const bad of [
      'OU=a"b,DC=x',
      "OU=%PATH%,DC=x",
      "OU=a\nb,DC=x",
      "OU=Tier0\u2019;Start-Process calc;\u2019,DC=x", // PowerShell takes U+2019 as a single quote
      "OU=$(Start-Process calc),DC=x",
      "OU=a`b,DC=x",
      "OU=Admins*,DC=x",
      "OU=\u201cx\u201d,DC=x",
    ])
      expect(quotable(bad)).toBe(false);
    expect(c.powershell).toContain("Get-Acl -LiteralPath $path");
  });

  it("delegates only what each need asks for", () => {
    const temp = commandsFor({ kind: "temporary-groups", dn: "OU=T,DC=x" }, account, "dc");
    expect(temp.dsacls).toBe('dsacls "OU=T,DC=x" /G "CORP\\svc-interim:CCDC;group"\ndsacls "OU=T,DC=x" /I:S /G "CORP\\svc-interim:WP;member;group"');
    expect(commandsFor({ kind: "reset-password", dn: "OU=P,DC=x" }, account, "dc").dsacls).toContain("CA;Reset Password;user");
    const holder = commandsFor({ kind: "admin-sd-holder", dn: "CN=AdminSDHolder,CN=System,DC=x" }, account, "dc");
    expect(holder.sddl?.aces).toBe(`(OA;;WP;${SCHEMA.adminCountAttribute};;${SVC})(A;;WD;;;${SVC})`);
    const pam = commandsFor({ kind: "pam-feature", forest: "corp.example" }, account, "dc");
    expect(pam.powershell).toContain(
      "Enable-ADOptionalFeature -Identity 'Privileged Access Management Feature' -Scope ForestOrConfigurationSet -Target 'corp.example'",
    );
    expect([pam.dsacls, pam.samba]).toEqual([null, null]);
  });

  it("finds the container of a DN, escaped commas included", () => {
    expect(parentDn("CN=Admins\\, London,OU=Groups,DC=x")).toBe("OU=Groups,DC=x");
    expect(parentDn("CN=a,DC=x")).toBe("DC=x");
  });
});
