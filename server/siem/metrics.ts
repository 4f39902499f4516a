import "server-only";
import { Counter, Gauge } from "prom-client";
import { metrics } from "@/server/ops/metrics";
import { siemBacklog } from "./status";

/*
 * The SIEM export's Prometheus metrics, in the process's registry (server/ops/metrics.ts). The
 * counters are per process (only the leading worker's move); the backlog is read from the database
 * at scrape time and is the same from every process (aggregate with max).
 */

function build() {
  const registers = [metrics().registry];
  return {
    written: new Counter({
      name: "interim_siem_events_written_total",
      help: "Audit events written to the SIEM's syslog connection (re-sends included).",
      registers,
    }),
    confirmed: new Counter({
      name: "interim_siem_events_confirmed_total",
      help: "Audit events the SIEM's receiver confirmed (by closing the connection after reading them): the cursor's moves.",
      registers,
    }),
    failures: new Counter({
      name: "interim_siem_connection_failures_total",
      help: "SIEM connections that failed before their events were confirmed.",
      registers,
    }),
    backlog: new Gauge({
      name: "interim_siem_backlog_events",
      help: "Audit events not yet confirmed by the SIEM (head seq − cursor; database-wide).",
      registers,
      async collect() {
        const n = await siemBacklog().catch(() => undefined);
        this.reset();
        if (n !== undefined) this.set(n);
      },
    }),
  };
}

const globalForSiem = globalThis as unknown as { interimSiemMetrics?: ReturnType<typeof build> };

export function siemMetrics() {
  globalForSiem.interimSiemMetrics ??= build();
  return globalForSiem.interimSiemMetrics;
}
