import { describe, expect, it } from "vitest";
import { ChangeLog, diffFields, planCredentialSync, planDeviceSync, type CredentialState, type DeviceState } from "@/server/catalog/sync-plan";
import { deviceTypeFor, splitWorkstations, websiteFrom, type DirectoryAccount, type DirectoryComputer } from "@/server/directory/catalog";

const G1 = "11111111-1111-1111-1111-111111111111";
const G2 = "22222222-2222-2222-2222-222222222222";
const G3 = "33333333-3333-3333-3333-333333333333";

function computer(guid: string, name: string, os: string, website: string | null = null, dnsHostName: string | null = null): DirectoryComputer {
  return { objectGuid: guid, dn: `CN=${name},OU=Servers`, name, model: os, type: deviceTypeFor(os), website, dnsHostName };
}
function deviceRow(guid: string, name: string, os: string, extra: Partial<DeviceState> = {}): DeviceState {
  return {
    id: `row-${name}`,
    objectGuid: guid,
    present: true,
    name,
    model: os,
    type: deviceTypeFor(os),
    dn: `CN=${name},OU=Servers`,
    website: null,
    dnsHostName: null,
    ...extra,
  };
}

describe("deviceTypeFor", () => {
  it.each([
    ["Windows Server 2022 Datacenter", "server"],
    ["Windows Storage Server 2016", "server"],
    ["Ubuntu Server 24.04", "server"],
    ["Windows 11 Enterprise", "workstation"],
    ["Windows 10 Pro", "workstation"],
    ["Ubuntu 24.04", "computer"],
    ["Mac OS X", "computer"],
    ["", "computer"],
  ])("%s → %s", (os, type) => expect(deviceTypeFor(os)).toBe(type));
});

describe("AD values", () => {
  it("keeps only http(s) wWWHomePage values", () => {
    expect(websiteFrom("https://web01.interim.test")).toBe("https://web01.interim.test");
    expect(websiteFrom("web01.interim.test")).toBeNull();
    expect(websiteFrom("file:///c:/x")).toBeNull();
    expect(websiteFrom(null)).toBeNull();
  });
  it("splits userWorkstations", () => {
    expect(splitWorkstations("WEB01, DB01,,web01")).toEqual(["WEB01", "DB01"]);
    expect(splitWorkstations(null)).toEqual([]);
  });
});

describe("diffFields", () => {
  it("lists changed fields old → new, comparing arrays by value", () => {
    expect(diffFields({ a: "x", b: ["1", "2"], c: null as string | null }, { a: "y", b: ["1", "2"], c: "z" })).toEqual({
      a: { from: "x", to: "y" },
      c: { from: null, to: "z" },
    });
  });
});

describe("planDeviceSync", () => {
  it("adds new objects, updates changed ones with a field diff, removes missing ones", () => {
    const existing = [deviceRow(G1, "SQL01", "Windows Server 2019"), deviceRow(G2, "OLD01", "Windows Server 2012")];
    const steps = planDeviceSync(existing, [computer(G1, "SQL01", "Windows Server 2022"), computer(G3, "WS01", "Windows 11 Pro")]);
    expect(steps).toEqual([
      {
        op: "update",
        id: "row-SQL01",
        set: { model: "Windows Server 2022" },
        change: { kind: "device", name: "SQL01", change: "updated", fields: { model: { from: "Windows Server 2019", to: "Windows Server 2022" } } },
      },
      {
        op: "insert",
        values: {
          source: "directory",
          objectGuid: G3,
          dn: "CN=WS01,OU=Servers",
          name: "WS01",
          model: "Windows 11 Pro",
          type: "workstation",
          website: null,
          dnsHostName: null,
        },
        change: { kind: "device", name: "WS01", change: "added" },
      },
      { op: "remove", id: "row-OLD01", change: { kind: "device", name: "OLD01", change: "removed" } },
    ]);
  });

  it("leaves unchanged rows alone and does not remove a row twice", () => {
    const steps = planDeviceSync(
      [deviceRow(G1, "SQL01", "Windows Server 2022"), deviceRow(G2, "GONE", "x", { present: false })],
      [computer(G1, "SQL01", "Windows Server 2022")],
    );
    expect(steps).toEqual([{ op: "seen", id: "row-SQL01" }]);
  });

  it("restores a row that comes back, with what changed meanwhile", () => {
    const steps = planDeviceSync([deviceRow(G1, "SQL01", "Windows Server 2019", { present: false })], [computer(G1, "SQL01", "Windows Server 2022")]);
    expect(steps[0]).toMatchObject({ op: "update", set: { model: "Windows Server 2022", present: true }, change: { change: "restored" } });
  });

  it("fills the website from AD only while the catalog has none", () => {
    const fromAd = [computer(G1, "WEB01", "Windows Server 2019", "https://ad.example")];
    expect(planDeviceSync([deviceRow(G1, "WEB01", "Windows Server 2019")], fromAd)[0]).toMatchObject({ op: "update", set: { website: "https://ad.example" } });
    expect(planDeviceSync([deviceRow(G1, "WEB01", "Windows Server 2019", { website: "https://admin.example" })], fromAd)[0]).toEqual({
      op: "seen",
      id: "row-WEB01",
    });
    // AD clearing wWWHomePage does not clear the catalog's website either.
    expect(
      planDeviceSync([deviceRow(G1, "WEB01", "Windows Server 2019", { website: "https://ad.example" })], [computer(G1, "WEB01", "Windows Server 2019")])[0],
    ).toEqual({ op: "seen", id: "row-WEB01" });
  });

  it("keeps dNSHostName in step with AD (the SSH endpoint's default host)", () => {
    const fromAd = [computer(G1, "WEB01", "Windows Server 2019", null, "web01.interim.test")];
    expect(planDeviceSync([], fromAd)[0]).toMatchObject({ op: "insert", values: { dnsHostName: "web01.interim.test" } });
    expect(planDeviceSync([deviceRow(G1, "WEB01", "Windows Server 2019")], fromAd)[0]).toMatchObject({
      op: "update",
      set: { dnsHostName: "web01.interim.test" },
    });
    const cleared = planDeviceSync(
      [deviceRow(G1, "WEB01", "Windows Server 2019", { dnsHostName: "old.interim.test" })],
      [computer(G1, "WEB01", "Windows Server 2019")],
    );
    expect(cleared[0]).toMatchObject({ op: "update", set: { dnsHostName: null } });
  });
  it("follows a rename by GUID", () => {
    const steps = planDeviceSync([deviceRow(G1, "SQL01", "Windows Server 2022")], [{ ...computer(G1, "SQL02", "Windows Server 2022") }]);
    expect(steps[0]).toMatchObject({
      op: "update",
      change: { name: "SQL02", fields: { name: { from: "SQL01", to: "SQL02" }, dn: { from: "CN=SQL01,OU=Servers", to: "CN=SQL02,OU=Servers" } } },
    });
  });
});

const NO_OWNER = { ownerDn: null, ownerGuid: null, ownerName: null, ownerSource: null } as const;

describe("planCredentialSync", () => {
  const BOB = { dn: "CN=bob,OU=People", guid: "0f0f0f0f-0000-4000-8000-000000000001", username: "bob" };
  const row = (owner: Partial<CredentialState> = NO_OWNER): CredentialState => ({
    id: "c1",
    objectGuid: G1,
    present: true,
    username: "adm-bob",
    displayName: "",
    type: "domain",
    dn: "CN=adm-bob",
    deviceNames: [],
    ...NO_OWNER,
    ...owner,
  });
  const ad = (owner: DirectoryAccount["owner"]): DirectoryAccount => ({
    objectGuid: G1,
    dn: "CN=adm-bob",
    username: "adm-bob",
    displayName: "",
    type: "domain",
    deviceNames: [],
    owner,
  });

  it("takes the owner from AD, and drops it when AD does", () => {
    expect(planCredentialSync([row()], [ad(BOB)])[0]).toMatchObject({
      op: "update",
      set: { ownerDn: BOB.dn, ownerGuid: BOB.guid, ownerName: "bob", ownerSource: "directory" },
    });
    const owned = row({ ownerDn: BOB.dn, ownerGuid: BOB.guid, ownerName: "bob", ownerSource: "directory" });
    expect(planCredentialSync([owned], [ad(BOB)])[0]).toMatchObject({ op: "seen" });
    expect(planCredentialSync([owned], [ad(null)])[0]).toMatchObject({ op: "update", set: NO_OWNER });
  });

  it("leaves an owner an admin set alone", () => {
    const admins = row({ ownerDn: "CN=erin", ownerGuid: "0f0f0f0f-0000-4000-8000-000000000002", ownerName: "erin", ownerSource: "manual" });
    expect(planCredentialSync([admins], [ad(BOB)])[0]).toMatchObject({ op: "seen" });
    expect(planCredentialSync([admins], [ad(null)])[0]).toMatchObject({ op: "seen" });
  });

  it("diffs device names as a list", () => {
    const row: CredentialState = {
      id: "c1",
      objectGuid: G1,
      present: true,
      username: "adm-bob",
      displayName: "",
      type: "domain",
      dn: "CN=adm-bob",
      deviceNames: ["WEB01"],
      ...NO_OWNER,
    };
    const ad: DirectoryAccount = {
      objectGuid: G1,
      dn: "CN=adm-bob",
      username: "adm-bob",
      displayName: "",
      type: "domain",
      deviceNames: ["WEB01", "DB01"],
      owner: null,
    };
    expect(planCredentialSync([row], [ad])).toEqual([
      {
        op: "update",
        id: "c1",
        set: { deviceNames: ["WEB01", "DB01"] },
        change: { kind: "credential", name: "adm-bob", change: "updated", fields: { deviceNames: { from: ["WEB01"], to: ["WEB01", "DB01"] } } },
      },
    ]);
  });
});

describe("ChangeLog", () => {
  it("keeps exact counts while capping the stored list", () => {
    const log = new ChangeLog(2);
    for (const change of ["added", "restored", "updated", "removed", "removed"] as const) log.record({ kind: "device", name: "x", change });
    expect({ added: log.added, updated: log.updated, removed: log.removed, stored: log.changes.length }).toEqual({
      added: 2,
      updated: 1,
      removed: 2,
      stored: 2,
    });
  });
  it("gives additions' places to updates and removals once the list is full", () => {
    const log = new ChangeLog(3);
    for (const name of ["a1", "a2", "a3", "a4"]) log.record({ kind: "credential", name, change: "added" });
    log.record({ kind: "device", name: "u1", change: "updated", fields: { model: { from: "x", to: "y" } } });
    log.record({ kind: "device", name: "r1", change: "removed" });
    log.record({ kind: "device", name: "r2", change: "removed" });
    log.record({ kind: "device", name: "r3", change: "removed" });
    expect(log.changes.map((c) => c.name)).toEqual(["u1", "r1", "r2"]);
    expect(log.added).toBe(4);
  });
});
