import "server-only";
import { type BerReader, type BerWriter, type Client, Control, EqualityFilter, OrFilter } from "ldapts";
import { guidToBytes, guidToString } from "@/server/directory/binary";
import { env } from "@/server/env";
import { decodeDirSyncValue, DIRSYNC_INCREMENTAL_VALUES, DIRSYNC_OBJECT_SECURITY, DIRSYNC_OID, encodeDirSyncValue, type DirSyncValue } from "./dirsync-codec";

/*
 * Reading AD's change stream for the managed groups with the DirSync control: each search returns
 * the groups changed since the cookie, and a new cookie. With OBJECT_SECURITY the service account
 * needs no replication right (only read access to the groups, which it has); Samba and Windows
 * both implement it.
 */

/** ldapts hands a response control whose OID it does not know to the request control of that OID. */
class DirSyncControl extends Control {
  response: DirSyncValue | undefined;

  constructor(private readonly request: DirSyncValue) {
    super(DIRSYNC_OID, { critical: true });
  }

  protected override writeControl(writer: BerWriter): void {
    writer.writeBuffer(encodeDirSyncValue(this.request), 4);
  }

  protected override parseControl(reader: BerReader): void {
    this.response = decodeDirSyncValue(reader.buffer);
  }
}

const MAX_BYTES = 1 << 20;
/** Pages of one poll, at most: more means a storm of changes, and the next poll goes on from the cookie. */
const MAX_PAGES = 20;

export interface DirSyncBatch {
  /** GUIDs (lowercase) of the groups that changed since the cookie. */
  changed: Set<string>;
  cookie: Buffer;
}

/** The DC's identity (its NTDS settings object): a DirSync cookie only means something to the DC that issued it. */
export async function serverIdentity(client: Client): Promise<string> {
  const { searchEntries } = await client.search("", { scope: "base", filter: "(objectClass=*)", attributes: ["dsServiceName"] });
  const name = searchEntries[0]?.dsServiceName;
  const value = Array.isArray(name) ? name[0] : name;
  if (typeof value !== "string" || !value) throw new Error("The directory did not name itself (rootDSE dsServiceName)");
  return value.toLowerCase();
}

/**
 * The managed groups (by GUID) changed since `cookie` (empty: all of them, as a baseline), and the
 * cookie to resume from. Only the domain's root can be a DirSync base; the filter names the groups.
 */
export async function readGroupChanges(client: Client, groupGuids: readonly string[], cookie: Buffer): Promise<DirSyncBatch> {
  const filter =
    groupGuids.length === 1
      ? new EqualityFilter({ attribute: "objectGUID", value: guidToBytes(groupGuids[0]!) })
      : new OrFilter({ filters: groupGuids.map((g) => new EqualityFilter({ attribute: "objectGUID", value: guidToBytes(g) })) });
  const changed = new Set<string>();
  let current = cookie;
  for (let page = 0; page < MAX_PAGES; page++) {
    const control = new DirSyncControl({ flags: DIRSYNC_OBJECT_SECURITY | DIRSYNC_INCREMENTAL_VALUES, maxBytes: MAX_BYTES, cookie: current });
    const { searchEntries } = await client.search(
      env.LDAP_BASE_DN,
      { scope: "sub", filter, attributes: ["member"], explicitBufferAttributes: ["objectGUID"] },
      control,
    );
    for (const e of searchEntries) {
      const raw = e.objectGUID;
      const guid = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) && Buffer.isBuffer(raw[0]) ? raw[0] : null;
      if (guid?.length === 16) changed.add(guidToString(guid).toLowerCase());
    }
    if (!control.response) throw new Error("The directory answered a DirSync search without a DirSync control");
    current = control.response.cookie;
    if (control.response.flags === 0) break;
  }
  return { changed, cookie: current };
}
