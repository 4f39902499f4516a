import "server-only";
import { hostname } from "node:os";
import { env } from "@/server/env";
import type { SiemFormat } from "./event";

/** Where the audit trail goes: host and port, plain TCP or TLS (verified against `caFile`, else the system's CAs). */
export interface SiemTarget {
  host: string;
  port: number;
  tls: boolean;
  caFile?: string;
}

export interface SiemConfig {
  target: SiemTarget;
  format: SiemFormat;
  appName: string;
  hostname: string;
  batchSize: number;
  checkpointMs: number;
  closeTimeoutMs: number;
  reconnectMaxMs: number;
  pollMs: number;
}

/** `tcp://host:port` / `tls://host:port` (already checked by env's schema) → its parts; IPv6 loses its brackets. */
export function parseSyslogUrl(url: string): Pick<SiemTarget, "host" | "port" | "tls"> {
  const m = /^(tcp|tls):\/\/(?:\[([^\]]+)\]|([^:/]+)):(\d+)$/.exec(url);
  if (!m) throw new Error("SIEM_SYSLOG_URL must be tcp://host:port or tls://host:port");
  return { tls: m[1] === "tls", host: m[2] ?? m[3]!, port: Number(m[4]) };
}

/** What the status shows of a target: scheme, host and port; never a file path or anything secret. */
export function describeTarget(t: Pick<SiemTarget, "host" | "port" | "tls">): string {
  const host = t.host.includes(":") ? `[${t.host}]` : t.host;
  return `${t.tls ? "tls" : "tcp"}://${host}:${t.port}`;
}

/** The export's settings from the environment; null when SIEM_SYSLOG_URL is unset (export off). */
export function siemConfigFromEnv(): SiemConfig | null {
  if (!env.SIEM_SYSLOG_URL) return null;
  return {
    target: { ...parseSyslogUrl(env.SIEM_SYSLOG_URL), ...(env.SIEM_TLS_CA_FILE ? { caFile: env.SIEM_TLS_CA_FILE } : {}) },
    format: env.SIEM_FORMAT,
    appName: env.SIEM_APP_NAME,
    hostname: env.SIEM_HOSTNAME ?? hostname(),
    batchSize: env.SIEM_BATCH_SIZE,
    checkpointMs: env.SIEM_CHECKPOINT_MS,
    closeTimeoutMs: env.SIEM_CLOSE_TIMEOUT_MS,
    reconnectMaxMs: env.SIEM_RECONNECT_MAX_MS,
    pollMs: env.SIEM_POLL_MS,
  };
}
