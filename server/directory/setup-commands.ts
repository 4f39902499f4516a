import "server-only";
import { SCHEMA } from "./acl";

/*
 * The exact commands that give the service account what Interim needs, in three dialects: Windows
 * PowerShell (ActiveDirectory module, AD: drive), dsacls, and samba-tool for Samba DCs (SDDL, which
 * the tests run against the local DC). Pure text: built from the configuration and the service
 * account, read by setup.ts.
 */

export interface ServiceAccount {
  /** NETBIOS\sAMAccountName, as dsacls wants it. */
  netbiosName: string;
  sam: string;
  sid: string;
}

export type Delegation =
  /** Write `member` of the groups under a container (inherited by group objects only). */
  | { kind: "write-member"; dn: string }
  /** Create and delete groups in the temporary-group OU, and write the members of those groups. */
  | { kind: "temporary-groups"; dn: string }
  /** The Reset Password extended right on the user accounts under a container. */
  | { kind: "reset-password"; dn: string }
  /** Write adminCount and the DACL of protected accounts: granted on AdminSDHolder, which SDProp copies onto them. */
  | { kind: "admin-sd-holder"; dn: string }
  /** Enable the forest's Privileged Access Management optional feature (irreversible). */
  | { kind: "pam-feature"; forest: string };

export interface Commands {
  powershell: string;
  /** For cmd.exe (not PowerShell); null where dsacls cannot do it (an optional feature). */
  dsacls: string | null;
  /** samba-tool dsacl set …; null where Samba has no such thing. */
  samba: string | null;
  /** What samba-tool sets, for callers that run it themselves (the tests): the object and the SDDL ACEs. */
  sddl: { dn: string; aces: string } | null;
}

/**
 * A DN these commands can carry as it is: plain letters, digits and the few punctuation marks DNs
 * need. Anything else — quotes of any kind (PowerShell also takes U+2018–U+201B as quotes), `$`,
 * backticks, `%`, wildcards, line breaks — could change what a pasted command does, so such an
 * object is shown without commands, to be delegated by hand (an allow-list, not a deny-list).
 */
export function quotable(value: string): boolean {
  return /^[\p{L}\p{N} =,._'\-\\+#&()]+$/u.test(value);
}

const ps = (s: string) => `'${s.replace(/['\u2018-\u201b]/g, "$&$&")}'`;
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface Rule {
  rights: string;
  objectType?: string;
  inheritance: "None" | "Descendents";
  inheritedObjectType?: string;
}

function powershell(dn: string, account: ServiceAccount, rules: Rule[]): string {
  const lines = [
    "Import-Module ActiveDirectory",
    `$sid = New-Object System.Security.Principal.SecurityIdentifier ${ps(account.sid)}  # ${account.netbiosName}\\${account.sam}`,
    `$path = ${ps(`AD:${dn}`)}`,
    "$acl = Get-Acl -LiteralPath $path",
  ];
  for (const r of rules) {
    const args = ["$sid", ps(r.rights), "'Allow'"];
    if (r.objectType) args.push(`([guid]${ps(r.objectType)})`);
    args.push(ps(r.inheritance));
    if (r.inheritedObjectType) args.push(`([guid]${ps(r.inheritedObjectType)})`);
    lines.push(`$acl.AddAccessRule((New-Object System.DirectoryServices.ActiveDirectoryAccessRule ${args.join(", ")}))`);
  }
  lines.push("Set-Acl -LiteralPath $path -AclObject $acl");
  return lines.join("\n");
}

function dsacls(dn: string, account: ServiceAccount, grants: { inherit: boolean; perm: string }[]): string {
  const who = `${account.netbiosName}\\${account.sam}`;
  return grants.map((g) => `dsacls "${dn}"${g.inherit ? " /I:S" : ""} /G "${who}:${g.perm}"`).join("\n");
}

function samba(dn: string, aces: string, dcHost: string): Commands["sddl"] & { text: string } {
  return { dn, aces, text: `samba-tool dsacl set -H ldap://${dcHost} -U Administrator --objectdn=${sh(dn)} --sddl=${sh(aces)}` };
}

/** The commands for one delegation; `dcHost` names the DC samba-tool talks to. */
export function commandsFor(d: Delegation, account: ServiceAccount, dcHost: string): Commands {
  const sid = account.sid;
  const { memberAttribute: member, groupClass: group, userClass: user } = SCHEMA;
  switch (d.kind) {
    case "write-member": {
      const s = samba(d.dn, `(OA;CIIO;WP;${member};${group};${sid})`, dcHost);
      return {
        powershell: powershell(d.dn, account, [{ rights: "WriteProperty", objectType: member, inheritance: "Descendents", inheritedObjectType: group }]),
        dsacls: dsacls(d.dn, account, [{ inherit: true, perm: "WP;member;group" }]),
        samba: s.text,
        sddl: { dn: s.dn, aces: s.aces },
      };
    }
    case "temporary-groups": {
      const s = samba(d.dn, `(OA;;CCDC;${group};;${sid})(OA;CIIO;WP;${member};${group};${sid})`, dcHost);
      return {
        powershell: powershell(d.dn, account, [
          { rights: "CreateChild, DeleteChild", objectType: group, inheritance: "None" },
          { rights: "WriteProperty", objectType: member, inheritance: "Descendents", inheritedObjectType: group },
        ]),
        dsacls: dsacls(d.dn, account, [
          { inherit: false, perm: "CCDC;group" },
          { inherit: true, perm: "WP;member;group" },
        ]),
        samba: s.text,
        sddl: { dn: s.dn, aces: s.aces },
      };
    }
    case "reset-password": {
      const s = samba(d.dn, `(OA;CIIO;CR;${SCHEMA.resetPasswordRight};${user};${sid})`, dcHost);
      return {
        powershell: powershell(d.dn, account, [
          { rights: "ExtendedRight", objectType: SCHEMA.resetPasswordRight, inheritance: "Descendents", inheritedObjectType: user },
        ]),
        dsacls: dsacls(d.dn, account, [{ inherit: true, perm: "CA;Reset Password;user" }]),
        samba: s.text,
        sddl: { dn: s.dn, aces: s.aces },
      };
    }
    case "admin-sd-holder": {
      const s = samba(d.dn, `(OA;;WP;${SCHEMA.adminCountAttribute};;${sid})(A;;WD;;;${sid})`, dcHost);
      return {
        powershell: powershell(d.dn, account, [
          { rights: "WriteProperty", objectType: SCHEMA.adminCountAttribute, inheritance: "None" },
          { rights: "WriteDacl", inheritance: "None" },
        ]),
        dsacls: dsacls(d.dn, account, [
          { inherit: false, perm: "WP;adminCount" },
          { inherit: false, perm: "WD" },
        ]),
        samba: s.text,
        sddl: { dn: s.dn, aces: s.aces },
      };
    }
    case "pam-feature":
      return {
        powershell: [
          "Import-Module ActiveDirectory",
          "# Needs the Windows Server 2016 forest functional level; it cannot be turned off again.",
          `Enable-ADOptionalFeature -Identity 'Privileged Access Management Feature' -Scope ForestOrConfigurationSet -Target ${ps(d.forest)}`,
        ].join("\n"),
        dsacls: null,
        samba: null,
        sddl: null,
      };
  }
}
