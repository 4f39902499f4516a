import "server-only";
import { z } from "zod";

/** Audit events of configuration as code (server/config-as-code); part of auditEventSchema. */
const objectTarget = z.enum(["privilege", "privilege_set", "access_group", "directory"]);
const fieldChange = z.object({
  path: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  added: z.array(z.unknown()).optional(),
  removed: z.array(z.unknown()).optional(),
});
const objectData = z.object({
  kind: z.enum(["directory", "privilege", "privilegeSet", "accessGroup"]),
  /** The natural key the document uses (a privilege's group objectGUID, a set's or group's name). */
  key: z.string(),
  name: z.string(),
  importId: z.string(),
  /** Changed objects: each field before → after; added/removed objects: the object as a whole. */
  fields: z.array(fieldChange).optional(),
  object: z.record(z.string(), z.unknown()).optional(),
});

export const configAuditEvents = [
  z.object({ action: z.literal("config.object_added"), targetType: objectTarget, data: objectData }),
  z.object({ action: z.literal("config.object_changed"), targetType: objectTarget, data: objectData }),
  z.object({ action: z.literal("config.object_removed"), targetType: objectTarget, data: objectData }),
  // A download of the whole configuration (the page's own view of it is not audited).
  z.object({ action: z.literal("config.exported"), targetType: z.literal("configuration"), data: z.object({ hash: z.string(), bytes: z.number() }) }),
  // One per applied import, after its objects' events: what it did and the state it started from.
  z.object({
    action: z.literal("config.imported"),
    targetType: z.literal("configuration"),
    data: z.object({
      importId: z.string(),
      added: z.number(),
      changed: z.number(),
      removed: z.number(),
      beforeHash: z.string(),
      afterHash: z.string(),
      webhookSecretsIssued: z.number(),
    }),
  }),
];
