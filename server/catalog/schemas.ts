import { z } from "zod";
import { pageInput } from "@/shared/paging";
import { hasNoControlCharacter } from "@/shared/text";

export const MAX_TAGS = 50;
export const MAX_TAG_LENGTH = 64;
export const MAX_DEVICE_NAMES = 200;

/** Suggestions for the forms; types are free text (criteria match them by pattern). */
export const DEVICE_TYPES = ["server", "workstation", "computer", "database", "network", "appliance"] as const;
export const CREDENTIAL_TYPES = ["domain", "local", "database", "application", "cloud"] as const;

/**
 * The fields the sync writes on directory rows. AD owns them: an edit is refused (it would be
 * undone by the next sync). Admins own tags, and a device's website (see server/catalog/sync.ts).
 */
export const DIRECTORY_OWNED = {
  device: ["name", "model", "type"],
  credential: ["username", "displayName", "type", "deviceNames"],
} as const;

/** Trimmed, empty values dropped, duplicates (ignoring case) dropped — the first spelling wins. */
export function normalizeList(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of values) {
    const value = raw.trim();
    const key = value.toLowerCase();
    if (value && !seen.has(key)) {
      seen.add(key);
      out.push(value);
    }
  }
  return out;
}

/**
 * A list typed as "a, b, c" in a form or sent as an array by the API; normalized, then checked.
 * Commas are the separator, so no value can contain one.
 */
function listInput(what: { one: string; many: string; max: number; maxLength: number }) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((v) => normalizeList(typeof v === "string" ? v.split(",") : v))
    .pipe(
      z
        .array(
          z
            .string()
            .max(what.maxLength, `Each ${what.one} has at most ${what.maxLength} characters`)
            .refine(hasNoControlCharacter, `A ${what.one} cannot contain control characters`)
            .refine((s) => !s.includes(","), `A ${what.one} cannot contain a comma`),
        )
        .max(what.max, `At most ${what.max} ${what.many}`),
    );
}

export const tagsInput = listInput({ one: "tag", many: "tags", max: MAX_TAGS, maxLength: MAX_TAG_LENGTH });
export const deviceNamesInput = listInput({ one: "device name", many: "device names", max: MAX_DEVICE_NAMES, maxLength: 128 });

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** An http(s) URL, or empty / null for none (stored as null). */
export const websiteInput = z
  .union([z.string(), z.null()])
  .transform((v) => v?.trim() ?? "")
  .pipe(
    z
      .string()
      .max(2048, "At most 2048 characters")
      .refine((v) => v === "" || (!/\s/.test(v) && isHttpUrl(v)), "Enter a web address starting with http:// or https://, or leave it empty"),
  )
  .transform((v) => (v === "" ? null : v));

function text(max: number) {
  return z.string().trim().max(max, `At most ${max} characters`).refine(hasNoControlCharacter, "Control characters are not allowed");
}

const deviceName = text(128).refine((s) => s.length > 0, "Enter a name");
const username = text(256).refine((s) => s.length > 0, "Enter a username");
const id = z.string().uuid();

export const catalogListInput = z.object({
  search: z.string().trim().max(100).default(""),
  /** Also list directory rows that are no longer in AD. */
  includeRemoved: z.boolean().default(false),
});
export type CatalogListInput = z.infer<typeof catalogListInput>;

export const CATALOG_SOURCES = ["directory", "manual"] as const;
/** Rows the sync found gone from AD: hidden (absent), shown with the others, or the only ones. */
export const CATALOG_REMOVED = ["shown", "only"] as const;

/** A catalog list's page: search, where the entry comes from, and what to do with the removed. */
export const catalogPageInput = pageInput.extend({ source: z.enum(CATALOG_SOURCES).optional(), removed: z.enum(CATALOG_REMOVED).optional() });
export type CatalogPageInput = z.input<typeof catalogPageInput>;

export const createDeviceInput = z.object({
  name: deviceName,
  model: text(128).default(""),
  type: text(64).default(""),
  tags: tagsInput.default([]),
  website: websiteInput.default(null),
});
export type CreateDeviceInput = z.infer<typeof createDeviceInput>;

/** Absent fields stay as they are. */
export const updateDeviceInput = z.object({
  id,
  name: deviceName.optional(),
  model: text(128).optional(),
  type: text(64).optional(),
  tags: tagsInput.optional(),
  website: websiteInput.optional(),
});
export type UpdateDeviceInput = z.infer<typeof updateDeviceInput>;

export const createCredentialInput = z.object({
  username,
  displayName: text(256).default(""),
  type: text(64).default(""),
  tags: tagsInput.default([]),
  deviceNames: deviceNamesInput.default([]),
});
export type CreateCredentialInput = z.infer<typeof createCredentialInput>;

export const updateCredentialInput = z.object({
  id,
  username: username.optional(),
  displayName: text(256).optional(),
  type: text(64).optional(),
  tags: tagsInput.optional(),
  deviceNames: deviceNamesInput.optional(),
  /** The owner's account name (resolved in AD); empty hands the owner back to AD's managedBy/manager. */
  owner: text(256).optional(),
});
export type UpdateCredentialInput = z.infer<typeof updateCredentialInput>;

export const catalogIdInput = z.object({ id });

export const syncLatestInput = z.object({ limit: z.number().int().min(1).max(20).default(5) });
