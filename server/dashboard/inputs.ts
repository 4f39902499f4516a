import { z } from "zod";
import { DASHBOARD_RANGES } from "./schemas";

/** The range of the timeline procedure (server/dashboard/schemas.ts). */
export const timelineInput = z.object({ range: z.enum(DASHBOARD_RANGES, { error: "Choose 24h or 7d" }) });
export type TimelineInput = z.infer<typeof timelineInput>;
