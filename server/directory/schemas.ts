import { z } from "zod";

export const REPLICATION_MODES = ["verify", "wait", "both"] as const;
/** A week: longer than any replication schedule worth waiting for. */
export const MAX_REPLICATION_SECONDS = 7 * 24 * 3600;

const seconds = (what: string, min: number) =>
  z.coerce
    .number({ error: `Enter ${what} in seconds` })
    .int("Whole seconds only")
    .min(min, `At least ${min} second${min === 1 ? "" : "s"}`)
    .max(MAX_REPLICATION_SECONDS, `At most ${MAX_REPLICATION_SECONDS} seconds (7 days)`);

/** A DC to check, by its LDAPS URL (LDAPS only: the service account binds with its password). */
const LDAPS_URL = /^ldaps:\/\/[a-z0-9.-]+(:\d{1,5})?\/?$/i;

export const replicationSettingsInput = z
  .object({
    mode: z.enum(REPLICATION_MODES, { error: "Choose how replication is confirmed" }),
    latencySeconds: seconds("the replication latency", 0),
    maxWaitSeconds: seconds("the maximum wait", 1),
    /** Empty: the DCs found in the directory. */
    dcUrls: z
      .array(z.string().trim().max(300))
      .max(50, "At most 50 domain controllers")
      // One message for the list (the form edits it as lines of text).
      .refine((urls) => urls.every((u) => LDAPS_URL.test(u)), "Each domain controller must be an LDAPS URL such as ldaps://dc2.example.com:636"),
  })
  .strict()
  .refine((s) => s.latencySeconds <= s.maxWaitSeconds, { path: ["maxWaitSeconds"], message: "The maximum wait cannot be shorter than the replication latency" })
  .transform((s) => ({ ...s, dcUrls: [...new Set(s.dcUrls.map((u) => u.replace(/\/$/, "").toLowerCase()))] }));

export type ReplicationSettingsInput = z.input<typeof replicationSettingsInput>;
export type ReplicationSettingsValues = z.output<typeof replicationSettingsInput>;
