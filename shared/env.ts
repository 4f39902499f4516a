import "server-only";
import { z } from "zod";

// Neutral (db/ and server/ both read it), but never part of a browser bundle: it holds the secrets.

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

/** A list in one variable, items separated by `sep` and trimmed; unset or empty = none. */
const listOf = (sep: string) =>
  z
    .string()
    .default("")
    .transform((s) =>
      s
        .split(sep)
        .map((item) => item.trim())
        .filter(Boolean),
    );

const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DATABASE_URL: z.string().url(),

  // Web process (server/http/serve.ts).
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  BIND_ADDRESS: z.string().min(1).default("127.0.0.1"),

  // Directory. Several URLs (comma separated) are tried in order when one is unreachable.
  LDAP_URL: z
    .string()
    .min(1)
    .transform((s) =>
      s
        .split(",")
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^ldaps:\/\//, "LDAP_URL must use ldaps:// (passwords are sent in binds)")).min(1)),
  LDAP_CA_FILE: z.string().min(1).optional(),
  LDAP_BASE_DN: z.string().min(1),
  LDAP_BIND_DN: z.string().min(1),
  LDAP_BIND_PASSWORD: z.string().min(1),
  LDAP_USER_BASE_DN: z.string().min(1).optional(),
  LDAP_PRIVILEGE_BASE_DN: z.string().min(1).optional(),
  LDAP_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  INTERIM_ADMIN_GROUP_DN: z.string().min(1),
  KERBEROS_MAX_TICKET_AGE_HOURS: z.coerce.number().positive().default(10),
  // Temporary-group mechanism: where Interim creates one group per grant (unset: mechanism unavailable).
  TEMP_GROUP_OU: z.string().min(1).optional(),
  TEMP_GROUP_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9._-]{0,19}$/, "TEMP_GROUP_PREFIX: a letter, then up to 19 letters, digits, '.', '_' or '-'")
    .default("interim-tmp-"),

  // Sign-in throttling: kept below the domain's lockout threshold so the app never locks an account.
  SIGNIN_MAX_FAILURES_PER_USER: z.coerce.number().int().positive().default(3),
  SIGNIN_MAX_FAILURES_PER_IP: z.coerce.number().int().positive().default(20),
  SIGNIN_WINDOW_MINUTES: z.coerce.number().int().positive().default(15),
  TRUSTED_PROXIES: listOf(","),
  // Sessions (server/auth/sessions.ts): absolute lifetime from sign-in, and how long without a call ends one.
  INTERIM_SESSION_MAX_AGE_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(12),
  INTERIM_SESSION_IDLE_MINUTES: z.coerce.number().int().positive().default(60),

  // Catalog sync: computers (devices) and privileged accounts (credentials) under these OUs,
  // several separated by ";". Unset = that part of the catalog is not synced.
  CATALOG_DEVICE_BASE_DNS: listOf(";"),
  CATALOG_CREDENTIAL_BASE_DNS: listOf(";"),
  /** Cron schedule of the catalog sync (graphile-worker crontab syntax, UTC). */
  CATALOG_SYNC_CRON: z.string().min(1).default("*/15 * * * *"),

  /** A request waiting for approval longer than this expires. */
  REQUEST_APPROVAL_TIMEOUT_HOURS: z.coerce.number().positive().default(24),

  // Notifications. Links in mails and webhooks point at APP_URL (the address people open).
  APP_URL: z.string().url().default("http://localhost:3000"),
  /** smtp://user:pass@host:port or smtps://…; unset = no email is sent (webhooks still are). */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "SMTP_URL must start with smtp:// or smtps://")
    .optional(),
  MAIL_FROM: z.string().min(3).default("Interim <interim@localhost>"),
  /** Internal webhook receivers: CIDRs and/or host[:port], comma separated (server/notifications/egress-policy.ts). */
  INTERIM_WEBHOOK_ALLOW: listOf(","),
  /** Encrypts the webhooks' signing secrets at rest; unset = a key derived from NEXTAUTH_SECRET. */
  // Recorded device sessions (issue 14). The SSH gateway listens only when a port is set.
  INTERIM_SSH_GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  INTERIM_SSH_GATEWAY_BIND: z.string().default("127.0.0.1"),
  /** The gateway's own host key (OpenSSH PEM); generated under .data/ when absent. */
  INTERIM_SSH_GATEWAY_HOST_KEY_FILE: z.string().optional(),
  INTERIM_SESSION_RECORDING_RETENTION_DAYS: z.coerce.number().int().min(1).default(365),
  /** Housekeeping (issue 15, worker/tasks/housekeeping__prune.ts): how long each kind of row is kept. Audit events are never pruned. */
  INTERIM_RETENTION_FAILED_JOBS_DAYS: z.coerce.number().int().min(1).default(14),
  INTERIM_RETENTION_DELIVERIES_DAYS: z.coerce.number().int().min(1).default(90),
  INTERIM_RETENTION_SIGNIN_THROTTLE_DAYS: z.coerce.number().int().min(1).default(7),
  /** SIGTERM: how long the web and the worker wait for in-flight requests and jobs before they cut them (and release their jobs and leases). */
  INTERIM_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(7000),
  INTERIM_WEBHOOK_KEY: z.string().min(32, "INTERIM_WEBHOOK_KEY needs at least 32 characters").optional(),
  NEXTAUTH_SECRET: z.string().min(1).optional(),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  /** A delivery is retried with backoff (5 s, 10 s, 20 s … at most 15 min apart) this many times. */
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  /** The requester is warned this long before a grant ends (at most half its duration before). */
  EXPIRY_WARNING_MINUTES: z.coerce.number().int().positive().default(10),
  /** How far ahead a request may be scheduled. */
  SCHEDULE_MAX_DAYS: z.coerce.number().int().positive().default(30),
  /** How long a web process reuses a requester's computed listing (requests.access); 0 turns the cache off. */
  INTERIM_ACCESS_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),

  // Worker.
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(10),
  WORKER_POLL_INTERVAL_MS: z.coerce.number().int().positive().default(1000),
  GRANT_LEASE_SECONDS: z.coerce.number().int().positive().default(20),
  EXPIRY_BATCH_SIZE: z.coerce.number().int().positive().default(5000),
  LDAP_MODIFY_BATCH_SIZE: z.coerce.number().int().positive().default(500),
  /** At most this many queued activations are claimed and written together (one modify per group and LDAP_MODIFY_BATCH_SIZE values). */
  ACTIVATION_BATCH_SIZE: z.coerce.number().int().positive().default(1000),
  WORKER_DISABLE_TIMER: bool.default(false),
  /** How often the worker checks the DCs for grants and removals still replicating. */
  REPLICATION_CHECK_INTERVAL_MS: z.coerce.number().int().min(100).default(2_000),

  // Health and metrics (server/ops/). Unset token: the web's /api/metrics does not exist (404).
  // REST API tokens (server/api/): the longest expiry an admin may give a token, in days.
  INTERIM_API_TOKEN_MAX_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  INTERIM_METRICS_TOKEN: z.string().min(16, "INTERIM_METRICS_TOKEN needs at least 16 characters").optional(),
  /** The worker's Prometheus listener; unset: none. */
  INTERIM_WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  INTERIM_WORKER_METRICS_BIND: z.string().min(1).default("127.0.0.1"),
  /** The commit the build came from (shown with the version); unset: asked of git, else "dev". */
  INTERIM_BUILD_COMMIT: z
    .string()
    .regex(/^[0-9a-f]{7,40}$/i)
    .optional(),
  /** How the worker notices members added to managed groups between reconciles: AD's DirSync control, or only the minute cron. */
  INTERIM_DRIFT_WATCH: z.enum(["dirsync", "off"]).default("dirsync"),
  /** How often the drift watcher asks the DC for changes. */
  INTERIM_DRIFT_WATCH_INTERVAL_MS: z.coerce.number().int().min(200).max(60_000).default(1_000),
  /** While the directory is unreachable (an open outage), how often the worker tries a bind to see whether it answers again. */
  DIRECTORY_PROBE_INTERVAL_MS: z.coerce.number().int().min(100).default(1_000),
  // Audit anchoring (issue 16, server/audit/checkpoints*.ts, watch*.ts): signed checkpoints of the chain's head.
  /** Ed25519 private key (PEM) that signs checkpoints; or AUDIT_SIGNING_KEY_FILE. Neither: generated into .data/ outside production; production refuses. */
  AUDIT_SIGNING_KEY: z.string().min(1).optional(),
  AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /** Where the worker appends each checkpoint (one JSON line, fsync'd). */
  AUDIT_CHECKPOINT_FILE: z.string().min(1).default(".data/audit-checkpoints.jsonl"),
  /** A checkpoint after this many new events, and at the latest every AUDIT_CHECKPOINT_INTERVAL_MS when the head moved. */
  AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().min(1).default(1000),
  AUDIT_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(100).default(60_000),
  /** How often the worker verifies the rows appended since its last check (0: never). */
  AUDIT_WATCH_INTERVAL_MS: z.coerce.number().int().min(0).default(5_000),

  // SIEM export (server/siem/): the audit trail streamed to syslog, RFC 5424 over TCP or TLS. Unset URL: off.
  SIEM_SYSLOG_URL: z
    .string()
    .regex(
      /^(tcp|tls):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):([1-9][0-9]{0,4})$/,
      "SIEM_SYSLOG_URL must be tcp://host:port or tls://host:port (no path, no credentials)",
    )
    .refine((u) => Number(u.slice(u.lastIndexOf(":") + 1)) <= 65535, "SIEM_SYSLOG_URL: port above 65535")
    .optional(),
  SIEM_FORMAT: z.enum(["json", "cef"], { message: "SIEM_FORMAT must be json or cef" }).default("json"),
  /** PEM CA(s) that signed the receiver's certificate (tls:// only); unset: the system's CAs. */
  SIEM_TLS_CA_FILE: z.string().min(1).optional(),
  /** RFC 5424 APP-NAME and HOSTNAME (printable US-ASCII, no spaces). */
  SIEM_APP_NAME: z
    .string()
    .regex(/^[!-~]{1,48}$/, "SIEM_APP_NAME: 1–48 printable ASCII characters, no spaces")
    .default("interim"),
  SIEM_HOSTNAME: z
    .string()
    .regex(/^[!-~]{1,255}$/, "SIEM_HOSTNAME: 1–255 printable ASCII characters, no spaces")
    .optional(),
  /** Events read and written per batch. */
  SIEM_BATCH_SIZE: z.coerce.number().int().min(1).max(50_000).default(2_000),
  /** How long writes go on one connection before the receiver is asked to confirm them (by closing it in answer to ours). */
  SIEM_CHECKPOINT_MS: z.coerce.number().int().min(50).max(600_000).default(2_000),
  /** How long the receiver has to close its side after ours before the connection counts as failed (its events are sent again). */
  SIEM_CLOSE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** Longest wait between reconnection attempts (backoff from 500 ms, doubling). */
  SIEM_RECONNECT_MAX_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** How often the exporter looks for new audit events once caught up. */
  SIEM_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
});

export type Env = z.infer<typeof schema>;

let parsed: Env | undefined;

function load(): Env {
  const result = schema.safeParse(process.env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  if (result.data.SIEM_TLS_CA_FILE && !result.data.SIEM_SYSLOG_URL?.startsWith("tls://")) {
    throw new Error("Invalid environment:\n  SIEM_TLS_CA_FILE: set, but SIEM_SYSLOG_URL is not a tls:// URL");
  }
  return result.data;
}

/**
 * Every environment variable, validated once on first use (not at import, so `next build`
 * works without a directory). Code reads `env.X`, never `process.env.X`.
 */
export const env: Env = new Proxy({} as Env, {
  get(_target, key: string) {
    parsed ??= load();
    return parsed[key as keyof Env];
  },
});

/** Tests change process.env between cases; this drops the cached parse. */
export function resetEnvForTests() {
  parsed = undefined;
}
