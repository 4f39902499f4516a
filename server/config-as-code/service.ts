import "server-only";
import { createHash, randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { db } from "@/db";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { conflict, DomainError } from "@/server/errors";
import { applyChanges } from "./apply";
import { diffDocuments, summarize } from "./diff";
import { readConfiguration, stateHash, toYaml } from "./export";
import type { ImportIssue } from "./issues";
import { resolveDocument } from "./resolve";

/*
 * Configuration as code: export the whole configuration as one YAML document; import one by
 * previewing its diff against the stored state, then applying it in one transaction, audited, and
 * only if the state is still the one the preview was computed on (its hash).
 */

/** A document of a few thousand objects is well under this. */
export const MAX_DOCUMENT_CHARS = 2_000_000;
/** Deeper flow collections than any configuration needs would only cost the parser's time (a document of nested `[`). */
const MAX_FLOW_DEPTH = 64;

/** The deepest nesting of flow collections ([ and {) in the text; quotes are not parsed (a cheap upper bound). */
function flowDepth(yaml: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < yaml.length; i++) {
    const c = yaml.charCodeAt(i);
    if (c === 91 || c === 123) max = Math.max(max, ++depth);
    else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return max;
}

export const previewInput = z.object({
  yaml: z
    .string()
    .min(1, "Paste or upload a YAML document")
    .max(MAX_DOCUMENT_CHARS, "The document is too large")
    .refine((y) => flowDepth(y) <= MAX_FLOW_DEPTH, `Brackets nested more than ${MAX_FLOW_DEPTH} deep`),
});
export const applyInput = previewInput.extend({
  /** The hash of the preview the admin confirmed: the state it compared against and the document (previewToken). */
  expectedHash: z.string().regex(/^[0-9a-f]{64}$/, "Preview the changes first"),
});

/** Every part of the configuration is admin-only; the import touches all of them. */
function assertAdmin(user: SessionUser) {
  assertCan(user, "manage", "Privilege");
  assertCan(user, "manage", "AccessGroup");
  assertCan(user, "manage", "Directory");
}

/** An import refused as a whole: every issue, each with its path in the document. */
export class ImportRefused extends DomainError {
  constructor(readonly issues: ImportIssue[]) {
    super("invalid", `The document was not applied (nothing changed):\n${issues.map((i) => `${i.path}: ${i.message}`).join("\n")}`);
  }
}

/** What a preview hands back and an apply must present: the state it compared against AND the document, so the apply is of what was previewed. */
function previewToken(stateHashHex: string, yaml: string): string {
  return createHash("sha256").update(stateHashHex).update("\n").update(createHash("sha256").update(yaml).digest("hex")).digest("hex");
}

const STALE = "The configuration changed since this preview was made (someone saved a change, or another import ran). Preview again, then apply.";
const IMPORT_LOCK = sql`hashtext('interim:config-as-code')`;

export async function exportConfiguration(user: SessionUser) {
  assertAdmin(user);
  const doc = await readConfiguration(db);
  return { yaml: toYaml(doc), hash: stateHash(doc) };
}

/** The download of the configuration: the export, audited (the file names members, approvers and webhook origins). */
export async function downloadConfiguration(user: SessionUser, actor: AuditActor) {
  const exported = await exportConfiguration(user);
  await db.transaction((tx) =>
    recordAudit(tx, actor, [
      { action: "config.exported", targetType: "configuration", targetId: null, data: { hash: exported.hash, bytes: Buffer.byteLength(exported.yaml) } },
    ]),
  );
  return exported;
}

export async function previewImport(user: SessionUser, raw: z.input<typeof previewInput>) {
  assertAdmin(user);
  const input = previewInput.parse(raw);
  const current = await readConfiguration(db);
  const resolution = await resolveDocument(input.yaml, current);
  if (!resolution.ok) return { ok: false as const, issues: resolution.issues };
  const changes = diffDocuments(current, resolution.doc);
  return { ok: true as const, hash: previewToken(stateHash(current), input.yaml), changes, summary: summarize(changes) };
}

export async function applyImport(user: SessionUser, actor: AuditActor, raw: z.input<typeof applyInput>) {
  assertAdmin(user);
  const input = applyInput.parse(raw);
  // The directory is read outside the transaction (no locks held on LDAP round trips)…
  const basis = await readConfiguration(db);
  const resolution = await resolveDocument(input.yaml, basis);
  if (!resolution.ok) throw new ImportRefused(resolution.issues);
  if (previewToken(stateHash(basis), input.yaml) !== input.expectedHash) throw conflict(STALE);
  const importId = randomUUID();
  return db.transaction(async (tx) => {
    // …and the state is checked again under the import lock: two imports, or a form saved meanwhile, cannot interleave.
    await tx.execute(sql`select pg_advisory_xact_lock(${IMPORT_LOCK})`);
    const current = await readConfiguration(tx);
    const beforeHash = stateHash(current);
    if (previewToken(beforeHash, input.yaml) !== input.expectedHash) throw conflict(STALE);
    const changes = diffDocuments(current, resolution.doc);
    const result = await applyChanges(tx, user, actor, importId, current, resolution.doc, resolution.context, changes);
    const afterHash = stateHash(await readConfiguration(tx));
    const summary = summarize(changes);
    await recordAudit(tx, actor, [
      ...result.events,
      {
        action: "config.imported",
        targetType: "configuration",
        targetId: importId,
        data: { importId, ...summary, beforeHash, afterHash, webhookSecretsIssued: result.issuedSecrets.length },
      },
    ]);
    return { importId, changes, summary, hash: afterHash, issuedSecrets: result.issuedSecrets };
  });
}
