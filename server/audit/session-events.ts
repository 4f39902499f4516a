import "server-only";
import { z } from "zod";

/** Audit events of devices' endpoints and recorded sessions (issue 14); part of auditEventSchema. */
const sessionTarget = z.literal("device_session");
const deviceTarget = z.literal("catalog_device");

export const sessionAuditEvents = [
  z.object({
    action: z.literal("device.endpoint_updated"),
    targetType: deviceTarget,
    data: z.object({ device: z.string(), before: z.record(z.string(), z.unknown()), after: z.record(z.string(), z.unknown()) }),
  }),
  // A scan saw this key; nothing trusts it until an admin confirms it.
  z.object({ action: z.literal("device.host_key_seen"), targetType: deviceTarget, data: z.object({ device: z.string(), fingerprint: z.string() }) }),
  z.object({
    action: z.literal("device.host_key_confirmed"),
    targetType: deviceTarget,
    data: z.object({ device: z.string(), fingerprint: z.string(), previous: z.string().nullable() }),
  }),
  z.object({
    action: z.literal("credential.managed_changed"),
    targetType: z.literal("catalog_credential"),
    data: z.object({ username: z.string(), managed: z.boolean() }),
  }),
  z.object({
    action: z.literal("session.requested"),
    targetType: sessionTarget,
    data: z.object({ requestId: z.string(), device: z.string(), login: z.string(), accessGroup: z.string(), awaitingApproval: z.boolean() }),
  }),
  // A one-time token for a native SSH client (its hash only is kept; valid minutes, single use).
  z.object({ action: z.literal("session.connect_token_issued"), targetType: sessionTarget, data: z.object({ expiresAt: z.string() }) }),
  z.object({ action: z.literal("session.ready"), targetType: sessionTarget, data: z.object({ login: z.string(), passwordSet: z.boolean() }) }),
  z.object({ action: z.literal("session.connected"), targetType: sessionTarget, data: z.object({ via: z.enum(["browser", "ssh"]), gateway: z.string() }) }),
  z.object({
    action: z.literal("session.ended"),
    targetType: sessionTarget,
    data: z.object({ reason: z.string(), commands: z.number(), recordingBytes: z.number(), error: z.string().nullable() }),
  }),
  z.object({ action: z.literal("session.terminate_requested"), targetType: sessionTarget, data: z.object({ reason: z.string() }) }),
  z.object({
    action: z.literal("session.commands_searched"),
    targetType: sessionTarget,
    data: z.object({ query: z.string(), since: z.string().nullable(), until: z.string().nullable(), results: z.number() }),
  }),
  z.object({ action: z.literal("session.watched"), targetType: sessionTarget, data: z.object({ live: z.boolean() }) }),
  z.object({
    action: z.literal("session.host_key_mismatch"),
    targetType: sessionTarget,
    data: z.object({ device: z.string(), expected: z.string(), received: z.string() }),
  }),
  z.object({
    action: z.literal("session.command_flagged"),
    targetType: sessionTarget,
    data: z.object({ command: z.string(), action: z.enum(["alert", "block"]), rule: z.string().nullable(), deviation: z.boolean() }),
  }),
  z.object({
    action: z.literal("session.password_rotated"),
    targetType: sessionTarget,
    data: z.object({ login: z.string(), phase: z.enum(["before", "after"]) }),
  }),
] as const;
