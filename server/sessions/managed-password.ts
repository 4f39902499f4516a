import "server-only";
import { randomInt } from "node:crypto";
import { Attribute, Change } from "ldapts";
import { serviceConnection } from "@/server/directory/connection";
import { guidRef } from "@/server/directory/entries";
import { env } from "@/server/env";
import { unavailable } from "@/server/errors";
import { seal, sealingKey, unseal } from "@/server/notifications/signing";

/*
 * Managed privileged accounts (issue 14): before a session Interim sets a fresh random password
 * over LDAPS and hands it to the gateway's SSH login, so the person never sees it; after the
 * session it sets another one nobody keeps. The service account needs "Reset password" on the
 * accounts' OU (README, Sessions). The password is sealed at rest with a key the database does
 * not hold, bound to its session, and wiped when the session ends.
 */

const LOWER = "abcdefghijkmnopqrstuvwxyz";
const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS = "23456789";
const SYMBOLS = "-_.:+=!?";
const ALL = LOWER + UPPER + DIGITS + SYMBOLS;

/** 32 characters from a CSPRNG, at least one of each class (AD complexity wants three of four). */
export function generatePassword(length = 32): string {
  const pick = (set: string) => set[randomInt(set.length)]!;
  const chars = [pick(LOWER), pick(UPPER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < length) chars.push(pick(ALL));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join("");
}

/** AD's unicodePwd: the password in double quotes, UTF-16LE. */
export function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, "utf16le");
}

/** Sets an account's password (by GUID) as the service account, over the LDAPS connection every write uses. */
export async function setAccountPassword(accountGuid: string, password: string): Promise<void> {
  await serviceConnection().run("setting a managed account's password", (c) =>
    c.modify(guidRef(accountGuid), new Change({ operation: "replace", modification: new Attribute({ type: "unicodePwd", values: [unicodePwd(password)] }) })),
  );
}

function key(): Buffer {
  const material = env.INTERIM_WEBHOOK_KEY ?? env.NEXTAUTH_SECRET;
  if (!material) throw unavailable("Managed passwords need INTERIM_WEBHOOK_KEY or NEXTAUTH_SECRET to be set.");
  return sealingKey(material, "session-passwords/v1");
}

export const sealSessionPassword = (sessionId: string, password: string) => seal(key(), password, `session:${sessionId}`);
export const unsealSessionPassword = (sessionId: string, sealed: string) => unseal(key(), sealed, `session:${sessionId}`);
