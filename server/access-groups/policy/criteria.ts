import { matchesAny } from "./patterns";
import { CREDENTIAL_FIELDS, DEVICE_FIELDS, PRIVILEGE_FIELDS, type Criteria, type CriteriaField } from "./schemas";

/*
 * Criteria semantics (senhasegura's criteria tab, plus privilege names/tags):
 *
 * - A field is a list of patterns (see patterns.ts). Values within one field are OR-ed: the field
 *   is satisfied when any pattern matches. An empty field places no constraint.
 * - Non-empty fields are AND-ed.
 * - Tag fields are satisfied when any pattern matches any one of the item's tags. A `websites`
 *   field is never satisfied by a device without a website.
 * - The fields fall into two scopes: privileges (privilegeNames, privilegeTags) and accounts
 *   (credential fields + device fields). A group with no criteria at all selects everything.
 *   Otherwise a scope with no fields of its own selects nothing: a group that only names
 *   privileges lets its users elevate their own account but no privileged account, and a group
 *   that only names credentials or devices allows no privilege. Least privilege wins over
 *   convenience: an admin who narrows one scope is not silently opening the other.
 * - A credential is selected when it satisfies every non-empty credential field and, if any
 *   device field is non-empty, ONE of its devices satisfies ALL the non-empty device fields
 *   (device A's name and device B's tags do not combine). A credential with no devices, or whose
 *   devices are missing from the catalog, fails any device constraint.
 * - deviceMatches is the device half of that rule: with no device fields every device passes it,
 *   and what a group's users see is then narrowed by the credential fields.
 */

export interface DeviceFacts {
  name: string;
  model: string;
  type: string;
  tags: readonly string[];
  website: string | null;
}

/** A privileged account. */
export interface CredentialFacts {
  username: string;
  type: string;
  tags: readonly string[];
  /** Names of the devices the account belongs to (may be empty, e.g. a domain account). */
  deviceNames: readonly string[];
}

export interface PrivilegeFacts {
  name: string;
  tags: readonly string[];
}

declare const devicesByNameBrand: unique symbol;
/** Devices keyed by lower-cased name; built by indexDevicesByName so lookups ignore case as AD does. */
export type DevicesByName<D extends DeviceFacts = DeviceFacts> = ReadonlyMap<string, readonly D[]> & {
  readonly [devicesByNameBrand]: true;
};

export function indexDevicesByName<D extends DeviceFacts>(devices: Iterable<D>): DevicesByName<D> {
  const index = new Map<string, D[]>();
  for (const device of devices) {
    const key = device.name.toLowerCase();
    const same = index.get(key);
    // Duplicate names (a manual entry shadowing a synced one) are all kept: any of them may satisfy.
    if (same) same.push(device);
    else index.set(key, [device]);
  }
  return index as unknown as DevicesByName<D>;
}

function hasAnyField(criteria: Criteria, fields: readonly CriteriaField[]): boolean {
  return fields.some((field) => criteria[field].length > 0);
}

export function criteriaIsEmpty(criteria: Criteria): boolean {
  return !hasAnyField(criteria, DEVICE_FIELDS) && !hasAnyField(criteria, CREDENTIAL_FIELDS) && !hasAnyField(criteria, PRIVILEGE_FIELDS);
}

function selectsAccounts(criteria: Criteria): boolean {
  return hasAnyField(criteria, DEVICE_FIELDS) || hasAnyField(criteria, CREDENTIAL_FIELDS) || criteriaIsEmpty(criteria);
}

function fieldAllows(patterns: readonly string[], value: string | null): boolean {
  return patterns.length === 0 || (value !== null && matchesAny(patterns, value));
}

function tagFieldAllows(patterns: readonly string[], tags: readonly string[]): boolean {
  return patterns.length === 0 || tags.some((tag) => matchesAny(patterns, tag));
}

function deviceFieldsAllow(criteria: Criteria, device: DeviceFacts): boolean {
  return (
    fieldAllows(criteria.deviceNames, device.name) &&
    fieldAllows(criteria.deviceModels, device.model) &&
    fieldAllows(criteria.deviceTypes, device.type) &&
    tagFieldAllows(criteria.deviceTags, device.tags) &&
    fieldAllows(criteria.websites, device.website)
  );
}

export function privilegeMatches(criteria: Criteria, privilege: PrivilegeFacts): boolean {
  if (!hasAnyField(criteria, PRIVILEGE_FIELDS)) return criteriaIsEmpty(criteria);
  return fieldAllows(criteria.privilegeNames, privilege.name) && tagFieldAllows(criteria.privilegeTags, privilege.tags);
}

export function deviceMatches(criteria: Criteria, device: DeviceFacts): boolean {
  return selectsAccounts(criteria) && deviceFieldsAllow(criteria, device);
}

export function credentialMatches(criteria: Criteria, credential: CredentialFacts, devicesByName: DevicesByName): boolean {
  return selectsAccounts(criteria) && accountFieldsAllow(criteria, credential, devicesByName, hasAnyField(criteria, DEVICE_FIELDS));
}

/**
 * credentialMatches for one criteria and many accounts: what depends on the criteria alone (whether
 * they select accounts at all, whether devices matter) is worked out once.
 */
export function credentialMatcher(criteria: Criteria, devicesByName: DevicesByName): (credential: CredentialFacts) => boolean {
  if (!selectsAccounts(criteria)) return () => false;
  const devicesMatter = hasAnyField(criteria, DEVICE_FIELDS);
  return (credential) => accountFieldsAllow(criteria, credential, devicesByName, devicesMatter);
}

function accountFieldsAllow(criteria: Criteria, credential: CredentialFacts, devicesByName: DevicesByName, devicesMatter: boolean): boolean {
  const credentialFieldsAllow =
    fieldAllows(criteria.credentialUsernames, credential.username) &&
    fieldAllows(criteria.credentialTypes, credential.type) &&
    tagFieldAllows(criteria.credentialTags, credential.tags);
  if (!credentialFieldsAllow) return false;
  if (!devicesMatter) return true;
  return credential.deviceNames.some((name) => (devicesByName.get(name.toLowerCase()) ?? []).some((device) => deviceFieldsAllow(criteria, device)));
}
