import { z } from "zod";
import { ONE_LINE } from "@/shared/text";
import { durationMinutesSchema, justificationSchema, optionalCode } from "@/server/requests/schemas";
import { commandPatternSchema, parseCommandPattern } from "@/shared/sessions/rules-schema";

/** Starting a session: a device, an account, and what a request for it carries. */
export const startSessionInput = z
  .object({
    deviceId: z.uuid("Pick a device"),
    /** A privileged account from the catalog; null = the person's own account. */
    credentialId: z.uuid("Pick an account").nullable().default(null),
    /** At most the group's maximum session length (the default). */
    durationMinutes: durationMinutesSchema.optional(),
    justification: justificationSchema,
    changeId: optionalCode("change ID"),
    governanceCode: optionalCode("governance code"),
    emergency: z.boolean().default(false),
    /** The change's planned activity: the commands expected (patterns); a command outside it is a deviation. */
    // Globs only: a requester's regular expressions would run in the gateway on every line they type.
    plannedActivity: z
      .array(commandPatternSchema.refine((p) => parseCommandPattern(p).kind === "glob", "Planned activity takes patterns with *, not regular expressions"))
      .max(50, "At most 50 planned commands")
      .default([]),
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

export const terminateSessionInput = sessionIdInput.extend({
  reason: z.string().trim().max(300, "At most 300 characters").regex(ONE_LINE, "The reason contains characters that are not allowed").default(""),
});

/** A DNS name (letters, digits, hyphens; dot-separated labels) or an IP address: no scheme, user, port or spaces. */
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
export const sshHostSchema = z
  .string()
  .trim()
  .refine((h) => HOSTNAME.test(h) || z.ipv4().safeParse(h).success || z.ipv6().safeParse(h).success, "A host name or an IP address, nothing else");

export const deviceEndpointInput = z.object({
  deviceId: z.uuid(),
  sshEnabled: z.boolean(),
  /** null (or empty): the device's dNSHostName from AD. */
  sshHost: z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? null : v), sshHostSchema.nullable()).default(null),
  sshPort: z.coerce.number().int("A whole number").min(1, "A port from 1 to 65535").max(65535, "A port from 1 to 65535").default(22),
});
export type DeviceEndpointInput = z.infer<typeof deviceEndpointInput>;

export const deviceIdInput = z.object({ deviceId: z.uuid() });

export const confirmHostKeyInput = z.object({
  deviceId: z.uuid(),
  /** What the scan showed the admin: OpenSSH's "SHA256:" + unpadded base64. */
  fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, "An OpenSSH SHA256 fingerprint"),
});

export const credentialManagedInput = z.object({ credentialId: z.uuid(), managed: z.boolean() });
