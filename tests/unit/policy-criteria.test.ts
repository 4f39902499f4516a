import { describe, expect, it } from "vitest";
import {
  credentialMatches,
  criteriaIsEmpty,
  criteriaSchema,
  deviceMatches,
  indexDevicesByName,
  privilegeMatches,
  type Criteria,
  type CredentialFacts,
  type DeviceFacts,
  type PrivilegeFacts,
} from "@/server/access-groups/policy";

const criteria = (fields: { readonly [K in keyof Criteria]?: readonly string[] }): Criteria => criteriaSchema.parse(fields);

const sql01: DeviceFacts = { name: "SRV-SQL01", model: "Windows Server 2022", type: "server", tags: ["prod", "db"], website: null };
const web01: DeviceFacts = { name: "WEB01", model: "Ubuntu 24.04", type: "server", tags: ["dmz"], website: "https://intranet.corp" };
const pc17: DeviceFacts = { name: "PC17", model: "Windows 11", type: "workstation", tags: [], website: null };
const devices = indexDevicesByName([sql01, web01, pc17]);

const sqlAdmin: CredentialFacts = { username: "adm-sql", type: "local", tags: ["tier1"], deviceNames: ["srv-sql01"] };
const domainAdmin: CredentialFacts = { username: "adm-domain", type: "domain", tags: ["tier0"], deviceNames: [] };
const twoDevices: CredentialFacts = { username: "svc-backup", type: "service", tags: [], deviceNames: ["SRV-SQL01", "WEB01"] };
const orphan: CredentialFacts = { username: "adm-old", type: "local", tags: [], deviceNames: ["GONE01"] };

const sqlAdmins: PrivilegeFacts = { name: "SQL Admins", tags: ["db", "tier1"] };
const helpdesk: PrivilegeFacts = { name: "Helpdesk", tags: ["tier2"] };

describe("privilegeMatches", () => {
  it.each([
    ["no criteria at all selects every privilege", {}, sqlAdmins, true],
    ["a name pattern selects by name", { privilegeNames: ["SQL*"] }, sqlAdmins, true],
    ["a name pattern refuses other names", { privilegeNames: ["SQL*"] }, helpdesk, false],
    ["names within the field are OR-ed", { privilegeNames: ["SQL*", "Help*"] }, helpdesk, true],
    ["a tag pattern matches any one tag", { privilegeTags: ["tier1"] }, sqlAdmins, true],
    ["a tag pattern refuses a privilege without that tag", { privilegeTags: ["tier1"] }, helpdesk, false],
    ["name and tag fields are AND-ed (both hold)", { privilegeNames: ["SQL*"], privilegeTags: ["db"] }, sqlAdmins, true],
    ["name and tag fields are AND-ed (tag fails)", { privilegeNames: ["SQL*"], privilegeTags: ["tier2"] }, sqlAdmins, false],
    ["account criteria alone select no privilege", { deviceNames: ["SRV-*"] }, sqlAdmins, false],
    ["credential criteria alone select no privilege", { credentialUsernames: ["adm-*"] }, sqlAdmins, false],
    ["account criteria do not narrow privilege fields", { privilegeNames: ["SQL*"], deviceNames: ["NOPE"] }, sqlAdmins, true],
  ] as const)("%s", (_label, fields, privilege, expected) => {
    expect(privilegeMatches(criteria(fields), privilege)).toBe(expected);
  });
});

describe("deviceMatches", () => {
  it.each([
    ["no criteria at all selects every device", {}, pc17, true],
    ["device name", { deviceNames: ["SRV-*"] }, sql01, true],
    ["device name refuses", { deviceNames: ["SRV-*"] }, web01, false],
    ["device model", { deviceModels: ["Windows Server*"] }, sql01, true],
    ["device model refuses", { deviceModels: ["Windows Server*"] }, pc17, false],
    ["device type", { deviceTypes: ["workstation"] }, pc17, true],
    ["device type refuses", { deviceTypes: ["workstation"] }, sql01, false],
    ["device tag matches any tag", { deviceTags: ["db"] }, sql01, true],
    ["device tag refuses an untagged device", { deviceTags: ["db"] }, pc17, false],
    ["website", { websites: ["https://intranet.*"] }, web01, true],
    ["website refuses a device without a website", { websites: ["*"] }, sql01, false],
    ["values within a field are OR-ed", { deviceNames: ["WEB*", "PC*"] }, pc17, true],
    ["fields are AND-ed (both hold)", { deviceNames: ["SRV-*"], deviceTags: ["prod"] }, sql01, true],
    ["fields are AND-ed (one fails)", { deviceNames: ["SRV-*"], deviceTypes: ["workstation"] }, sql01, false],
    ["with only credential fields, devices place no constraint", { credentialUsernames: ["adm-*"] }, pc17, true],
    ["privilege criteria alone select no device", { privilegeNames: ["*"] }, sql01, false],
  ] as const)("%s", (_label, fields, device, expected) => {
    expect(deviceMatches(criteria(fields), device)).toBe(expected);
  });
});

describe("credentialMatches", () => {
  it.each([
    ["no criteria at all selects every credential", {}, domainAdmin, true],
    ["username", { credentialUsernames: ["adm-*"] }, sqlAdmin, true],
    ["username refuses", { credentialUsernames: ["adm-*"] }, twoDevices, false],
    ["credential type", { credentialTypes: ["domain"] }, domainAdmin, true],
    ["credential type refuses", { credentialTypes: ["domain"] }, sqlAdmin, false],
    ["credential tag", { credentialTags: ["tier0"] }, domainAdmin, true],
    ["credential tag refuses", { credentialTags: ["tier0"] }, sqlAdmin, false],
    ["credential fields are AND-ed", { credentialUsernames: ["adm-*"], credentialTypes: ["domain"] }, sqlAdmin, false],
    ["values within a credential field are OR-ed", { credentialTypes: ["domain", "local"] }, sqlAdmin, true],
    ["a device field is checked on the credential's devices", { deviceTags: ["prod"] }, sqlAdmin, true],
    ["a device field refuses when no device of the credential satisfies it", { deviceTags: ["dmz"] }, sqlAdmin, false],
    ["device names are looked up ignoring case", { deviceNames: ["SRV-SQL01"] }, sqlAdmin, true],
    ["any one of the credential's devices may satisfy", { deviceNames: ["WEB*"] }, twoDevices, true],
    ["one device must satisfy all device fields (no mixing across devices)", { deviceNames: ["WEB*"], deviceTags: ["db"] }, twoDevices, false],
    ["the same device satisfying all device fields", { deviceNames: ["SRV-*"], deviceTags: ["db"] }, twoDevices, true],
    ["a credential without devices fails any device field", { deviceTypes: ["*"] }, domainAdmin, false],
    ["a credential without devices passes when there are no device fields", { credentialTypes: ["domain"] }, domainAdmin, true],
    ["a device missing from the catalog cannot satisfy a device field", { deviceNames: ["GONE*"] }, orphan, false],
    ["credential and device fields are AND-ed (device fails)", { credentialUsernames: ["adm-*"], deviceNames: ["WEB*"] }, sqlAdmin, false],
    ["credential and device fields are AND-ed (credential fails)", { credentialUsernames: ["svc-*"], deviceNames: ["SRV-*"] }, sqlAdmin, false],
    ["credential and device fields are AND-ed (both hold)", { credentialUsernames: ["adm-*"], deviceNames: ["SRV-*"] }, sqlAdmin, true],
    ["privilege criteria alone select no credential", { privilegeNames: ["*"] }, domainAdmin, false],
    ["privilege fields do not narrow account fields", { privilegeNames: ["NOPE"], credentialTypes: ["domain"] }, domainAdmin, true],
  ] as const)("%s", (_label, fields, credential, expected) => {
    expect(credentialMatches(criteria(fields), credential, devices)).toBe(expected);
  });

  it("keeps every device sharing a name, so any of them may satisfy", () => {
    const manual: DeviceFacts = { ...sql01, tags: ["manual"] };
    const index = indexDevicesByName([sql01, manual]);
    expect(credentialMatches(criteria({ deviceTags: ["manual"] }), sqlAdmin, index)).toBe(true);
    expect(credentialMatches(criteria({ deviceTags: ["prod"] }), sqlAdmin, index)).toBe(true);
  });
});

describe("criteriaIsEmpty", () => {
  it.each([
    [{}, true],
    [{ websites: ["x"] }, false],
    [{ credentialTags: ["x"] }, false],
    [{ privilegeTags: ["x"] }, false],
  ] as const)("%j → %s", (fields, expected) => {
    expect(criteriaIsEmpty(criteria(fields))).toBe(expected);
  });
});
