import "server-only";
import type { LocationPolicy } from "./schemas";

/*
 * Locations (Domum's "restrict access to only those locations"):
 * - restrict off: any location is allowed, including one that could not be resolved.
 * - restrict on: the requester's resolved location must match an entry; an unknown location is
 *   refused. A country-only entry matches the whole country; an entry with a region matches only
 *   that ISO 3166-2 subdivision. Codes are compared case-insensitively.
 * - GeoIP databases often give the subdivision without its country prefix ("IDF" for FR-IDF);
 *   such a region is read as belonging to the resolved country.
 */

export interface ResolvedLocation {
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** ISO 3166-2, "FR-IDF" (or "IDF"), when the GeoIP database knows it. */
  region: string | null;
}

export type LocationEvaluation = { allowed: true } | { allowed: false; reason: string };

function normalizedRegion(country: string, region: string | null | undefined): string | null {
  const r = region?.trim().toUpperCase();
  if (!r) return null;
  return r.includes("-") ? r : `${country}-${r}`;
}

function describeEntry(entry: LocationPolicy["allowed"][number]): string {
  return entry.region ? entry.region.toUpperCase() : entry.country.toUpperCase();
}

export function evaluateLocation(policy: LocationPolicy, resolved: ResolvedLocation | null): LocationEvaluation {
  if (!policy.restrict) return { allowed: true };
  const country = resolved?.country.trim().toUpperCase() ?? "";
  if (resolved === null || country === "") {
    return { allowed: false, reason: "Your location could not be determined, and this group only allows access from listed locations" };
  }
  const region = normalizedRegion(country, resolved.region);
  const matches = policy.allowed.some((entry) => {
    if (entry.country.toUpperCase() !== country) return false;
    return !entry.region || entry.region.toUpperCase() === region;
  });
  if (matches) return { allowed: true };
  const allowedList = policy.allowed.map(describeEntry).join(", ") || "none";
  return { allowed: false, reason: `Access from ${region ?? country} is not allowed; allowed locations: ${allowedList}` };
}
