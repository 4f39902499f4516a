import { z } from "zod";
import { MULTI_LINE, ONE_LINE } from "@/shared/text";
import { commandPatternSchema } from "@/shared/sessions/rules-schema";

const optionalCode = (what: string) =>
  z.string().trim().max(100, "At most 100 characters").regex(ONE_LINE, `The ${what} contains characters that are not allowed`).default("");

/** Starting a session: a device, an account, and what a request for it carries. */
export const startSessionInput = z
  .object({
    deviceId: z.uuid("Pick a device"),
    /** A privileged account from the catalog; null = the person's own account. */
    credentialId: z.uuid("Pick an account").nullable().default(null),
    /** At most the group's maximum session length (the default). */
    durationMinutes: z.coerce.number().int("Whole minutes only").min(1, "At least 1 minute").optional(),
    justification: z
      .string()
      .trim()
      .max(1000, "At most 1000 characters")
      .regex(MULTI_LINE, "The justification contains characters that are not allowed")
      .default(""),
    changeId: optionalCode("change ID"),
    governanceCode: optionalCode("governance code"),
    emergency: z.boolean().default(false),
    /** The change's planned activity: the commands expected (patterns); a command outside it is a deviation. */
    plannedActivity: z.array(commandPatternSchema).max(50, "At most 50 planned commands").default([]),
  })
  .strict();
export type StartSessionInput = z.infer<typeof startSessionInput>;

export const sessionIdInput = z.object({ sessionId: z.uuid() });

export const listSessionsInput = z.object({
  state: z.enum(["open", "ended", "all"]).default("all"),
  flaggedOnly: z.boolean().default(false),
  /** Login, device or person (substring). */
  query: z.string().trim().max(100).regex(ONE_LINE).default(""),
  limit: z.number().int().min(1).max(200).default(50),
});

export const searchCommandsInput = z.object({
  /** Substring of the command, e.g. "Set-ADUser". */
  query: z.string().trim().min(1, "Type part of a command").max(200).regex(ONE_LINE),
  since: z.coerce.date().optional(),
  until: z.coerce.date().optional(),
  limit: z.number().int().min(1).max(500).default(100),
});
