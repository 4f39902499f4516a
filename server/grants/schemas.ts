import { z } from "zod";
import { pageInput } from "@/shared/paging";

/*
 * The admin grants list's input (client-safe: the page's chips and the server read the same list).
 * The state filter groups the live states as the page shows them: waiting for the directory,
 * replicating, active, and on the way out (being removed, or removed and not yet seen gone on every DC).
 */
export const LIVE_GRANT_FILTERS = ["waiting", "replicating", "active", "removing"] as const;
export type LiveGrantFilter = (typeof LIVE_GRANT_FILTERS)[number];

/** Search over the holder (username, display name) and the privilege (name, group DN, set). */
export const liveGrantPageInput = pageInput.extend({ state: z.enum(LIVE_GRANT_FILTERS).optional() });
export type LiveGrantPageInput = z.input<typeof liveGrantPageInput>;
