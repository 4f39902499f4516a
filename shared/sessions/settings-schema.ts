import { z } from "zod";
import { commandRulesSchema, type CommandRules } from "./rules-schema";

/*
 * An access group's remote-session settings (senhasegura's "remote session settings"): whether its
 * members may start sessions on the devices its criteria select, which privileges a session adds
 * to the account, recording, limits, and the command rules the gateway applies.
 */

export const sessionRulesSchema = commandRulesSchema;
export type SessionRules = CommandRules;

export const sessionSettingsSchema = z.object({
  enabled: z.boolean().default(false),
  recording: z.boolean().default(true),
  maxSessionMinutes: z.coerce
    .number()
    .int("Whole minutes only")
    .min(1, "At least 1 minute")
    .max(24 * 60, "At most 24 hours")
    .default(60),
  idleTimeoutMinutes: z.coerce
    .number()
    .int("Whole minutes only")
    .min(1, "At least 1 minute")
    .max(24 * 60, "At most 24 hours")
    .default(15),
  /** The privileges (AD groups) a session adds to the account for its length. */
  privilegeIds: z.array(z.uuid()).max(20, "At most 20 privileges").default([]),
  rules: sessionRulesSchema.default({ alert: [], block: [] }),
});
export type SessionSettings = z.output<typeof sessionSettingsSchema>;

export const DEFAULT_SESSION_SETTINGS: SessionSettings = sessionSettingsSchema.parse({});
