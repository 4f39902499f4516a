import "server-only";
import { eq } from "drizzle-orm";
import { db } from "@/db";
import { directorySettings } from "@/db/schema";
import { detectPamFeature } from "./domain";

/**
 * Whether the forest's PAM optional feature is on, as last stored by checkDirectory (the worker
 * checks at start, admins re-check from the dashboard); asked of the directory when it was never
 * checked. The cache errs the safe way: the feature cannot be disabled once enabled, so a stored
 * "on" stays true, and a stale "off" only means direct memberships that Interim removes itself.
 */
export async function pamFeatureEnabled(): Promise<boolean> {
  const [row] = await db.select({ pam: directorySettings.pamFeatureEnabled }).from(directorySettings).where(eq(directorySettings.id, 1));
  if (row?.pam !== null && row?.pam !== undefined) return row.pam;
  return detectPamFeature();
}
