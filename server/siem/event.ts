/* The audit event as the SIEM export reads and sends it, and how much it matters (pure). */

import type { ChainRow } from "@/server/audit/chain";

/** The audit row as the exporter reads it (audit_events, as the chain hashes it). */
export type SiemEvent = ChainRow;

export type SiemFormat = "json" | "cef";

export interface MessageOptions {
  format: SiemFormat;
  appName: string;
  hostname: string;
  procId: string;
  /** Interim's version (CEF's Device Version). */
  version: string;
}

/** authpriv: security and authorization messages, kept apart from ordinary logs by most receivers. */
export const FACILITY_AUTHPRIV = 10;
const SEVERITY_WARNING = 4;
const SEVERITY_NOTICE = 5;

/** Failures, refusals, emergencies and a broken chain stand out (warning); every other change is a notice. */
export function severityOf(action: string): typeof SEVERITY_WARNING | typeof SEVERITY_NOTICE {
  return /fail|denied|refused|broken|emergency|alert|tamper/i.test(action) ? SEVERITY_WARNING : SEVERITY_NOTICE;
}
