import { z } from "zod";
import { DASHBOARD_RANGES } from "./ranges";

/** The range of the timeline procedure (server/dashboard/ranges.ts). */
export const timelineInput = z.object({ range: z.enum(DASHBOARD_RANGES, { error: "Choose 24h or 7d" }) });
export type TimelineInput = z.infer<typeof timelineInput>;
