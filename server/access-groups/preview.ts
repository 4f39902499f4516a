import "server-only";
import { eq } from "drizzle-orm";
import { db } from "@/db";
import { catalogCredentials, catalogDevices, privileges } from "@/db/schema";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { deviceMatches } from "./policy/criteria";
import { effectiveAccess } from "./policy/groups";
import { clipGrantEnd, evaluateLimits } from "./policy/limits";
import { groupSettingsSchema, type Criteria, type Limits } from "./policy/schemas";

/*
 * Live previews for the criteria and limits tabs, computed with the same engine functions the
 * server enforces with, on unsaved form values.
 */

export async function previewCriteria(user: SessionUser, criteria: Criteria, sampleSize: number) {
  assertCan(user, "manage", "AccessGroup");
  const [allPrivileges, credentials, devices] = await Promise.all([
    db.select().from(privileges).where(eq(privileges.enabled, true)),
    db.select().from(catalogCredentials).where(eq(catalogCredentials.present, true)),
    db.select().from(catalogDevices).where(eq(catalogDevices.present, true)),
  ]);
  // One enabled group with these criteria: exactly what its users would be offered.
  const probe = {
    id: "preview",
    name: "preview",
    enabled: true,
    timeZone: "UTC",
    settings: groupSettingsSchema.parse({}),
    criteria,
    limits: { validFrom: null, validTo: null, daysOfWeek: [], windows: [] },
    locations: { restrict: false, allowed: [] },
  };
  const access = effectiveAccess([probe], { privileges: allPrivileges, credentials, devices });
  const matchingDevices = devices.filter((d) => deviceMatches(criteria, d));
  return {
    privileges: { count: access.privileges.length, of: allPrivileges.length, sample: access.privileges.slice(0, sampleSize).map((p) => p.privilege.name) },
    credentials: {
      count: access.credentials.length,
      of: credentials.length,
      sample: access.credentials.slice(0, sampleSize).map((c) => c.credential.username),
    },
    devices: { count: matchingDevices.length, of: devices.length, sample: matchingDevices.slice(0, sampleSize).map((d) => d.name) },
  };
}

export function previewLimits(user: SessionUser, input: { limits: Limits; timeZone: string; durationMinutes: number; at?: Date }) {
  assertCan(user, "manage", "AccessGroup");
  const at = input.at ?? new Date();
  const verdict = evaluateLimits(input.limits, input.timeZone, at);
  const requestedEnd = new Date(at.getTime() + input.durationMinutes * 60_000);
  if (!verdict.allowed) return { at, open: false as const, reason: verdict.reason, nextWindowStartsAt: verdict.nextWindowStartsAt };
  const endsAt = clipGrantEnd(input.limits, input.timeZone, at, requestedEnd);
  return { at, open: true as const, windowEndsAt: verdict.windowEndsAt, requestedEnd, endsAt, clipped: endsAt.getTime() < requestedEnd.getTime() };
}
