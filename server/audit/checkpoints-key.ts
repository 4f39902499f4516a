import "server-only";
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { env } from "@/server/env";

/*
 * The checkpoint signing key: AUDIT_SIGNING_KEY (PEM) or AUDIT_SIGNING_KEY_FILE. In development
 * and tests without either, one is generated once into .data/ (mode 0600, as .data/nextauth-secret).
 * In production without one the worker refuses to start (worker/index.ts): a key generated on the
 * fly would sit next to the database it is meant to check, and vanish with the host.
 */

export class SigningKeyMissing extends Error {
  override readonly name = "SigningKeyMissing";
}

export const DEV_KEY_FILE = path.join(process.cwd(), ".data", "audit-signing-key.pem");

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Where it came from, for the logs (never the key). */
  source: "AUDIT_SIGNING_KEY" | "AUDIT_SIGNING_KEY_FILE" | "generated";
}

function ed25519(pem: string, from: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem.includes("\\n") ? pem.replace(/\\n/g, "\n") : pem);
  } catch {
    throw new SigningKeyMissing(`${from} is not a PEM private key`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new SigningKeyMissing(`${from} must be an Ed25519 key (openssl genpkey -algorithm ed25519)`);
  return key;
}

let cached: SigningKey | undefined;

/** The signing key, or SigningKeyMissing with what to set. */
export function signingKey(): SigningKey {
  if (cached) return cached;
  let privateKey: KeyObject;
  let source: SigningKey["source"];
  if (env.AUDIT_SIGNING_KEY) {
    privateKey = ed25519(env.AUDIT_SIGNING_KEY, "AUDIT_SIGNING_KEY");
    source = "AUDIT_SIGNING_KEY";
  } else if (env.AUDIT_SIGNING_KEY_FILE) {
    let pem: string;
    try {
      pem = readFileSync(env.AUDIT_SIGNING_KEY_FILE, "utf8");
    } catch (err) {
      throw new SigningKeyMissing(`AUDIT_SIGNING_KEY_FILE cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
    privateKey = ed25519(pem, "AUDIT_SIGNING_KEY_FILE");
    source = "AUDIT_SIGNING_KEY_FILE";
  } else if (env.NODE_ENV !== "production") {
    privateKey = ed25519(devKeyPem(), DEV_KEY_FILE);
    source = "generated";
  } else {
    throw new SigningKeyMissing(
      "no audit signing key: set AUDIT_SIGNING_KEY_FILE (or AUDIT_SIGNING_KEY) to an Ed25519 private key in PEM " +
        "(openssl genpkey -algorithm ed25519 -out audit-signing.pem), and keep its public key where the database's administrators cannot write",
    );
  }
  cached = { privateKey, publicKey: createPublicKey(privateKey), source };
  return cached;
}

/** The public key to check signatures with, or null when none is configured (the web may run without the key). */
export function trustedPublicKey(): KeyObject | null {
  try {
    return signingKey().publicKey;
  } catch (err) {
    if (err instanceof SigningKeyMissing) return null;
    throw err;
  }
}

/** Reads a public (or private) key PEM file as the public key to trust: `audit:verify --public-key`. */
export function publicKeyFromFile(file: string): KeyObject {
  return createPublicKey(readFileSync(file, "utf8"));
}

function devKeyPem(): string {
  if (!existsSync(DEV_KEY_FILE)) {
    mkdirSync(path.dirname(DEV_KEY_FILE), { recursive: true });
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    // `wx`: two processes starting at once do not overwrite each other's key.
    try {
      writeFileSync(DEV_KEY_FILE, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
      writeFileSync(DEV_KEY_FILE.replace(/\.pem$/, ".pub.pem"), publicKey.export({ type: "spki", format: "pem" }), { mode: 0o644 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return readFileSync(DEV_KEY_FILE, "utf8");
}

/** Tests switch keys between cases. */
export function resetSigningKeyForTests() {
  cached = undefined;
}
