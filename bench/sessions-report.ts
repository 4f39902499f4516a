/** The sessions phase's lines of the printed table: each figure next to its direct-ssh twin from the same run. */
import { ms, pct } from "./lib/stats";
import type { SessionsResult } from "./sessions";

const signed = (v: number) => `${v >= 0 ? "+" : "−"}${ms(Math.abs(v))}`;

export function sessionRows(r: SessionsResult): string[][] {
  const s = r.start;
  const e = r.echo;
  const c = r.concurrent;
  const st = s.steps;
  return [
    [
      "session start: approved → shell prompt through the gateway",
      pct(s.startMs),
      `${pct(s.rawLoginMs)} (ssh2 password login → prompt)`,
      `${s.sessions} sequential sessions on one managed account, worker steps in-process; difference p50 ${signed(s.startMs.p50 - s.rawLoginMs.p50)}, p99 ${signed(s.startMs.p99 - s.rawLoginMs.p99)}; p50 of each step: request ${ms(st.submitMs.p50)}, activation (member add) ${ms(st.activateMs.p50)}, replication wait ${ms(st.replicationMs.p50)}, password reset ${ms(st.prepareMs.p50)}, token ${ms(st.tokenMs.p50)}, gateway login + target login + prompt ${ms(st.gatewayToPromptMs.p50)} (p99 ${ms(st.gatewayToPromptMs.p99)}); exit → finished and swept p50 ${ms(s.endMs.p50)}`,
    ],
    [
      "keystroke echo at the shell prompt",
      pct(e.gatewayMs),
      pct(e.directMs),
      `${e.samples} samples each, interleaved; p50 ${signed(e.gatewayMs.p50 - e.directMs.p50)}, p99 ${signed(e.p99DifferenceMs)} — target ≤ +${e.targetMs} ms p99: ${e.meetsTarget ? "met" : "NOT MET"}; gateway CPU ${e.gatewayCpuMsPerKeystroke.toFixed(2)} ms per keystroke (both ways + recording)`,
    ],
    [
      `${c.sessions} concurrent recorded sessions, ${(c.outputBytesPerSession / 1e6).toFixed(1)} MB of output each`,
      `${c.wallSeconds.toFixed(2)} s · ${c.throughputMBps.toFixed(1)} MB/s`,
      `${c.raw.wallSeconds.toFixed(2)} s · ${c.raw.throughputMBps.toFixed(1)} MB/s`,
      `${c.megabytes.toFixed(1)} MB received by the clients (command sent → every shell closed); recordings verified byte for byte ${c.recordingsVerified}/${c.sessions} (${(c.recordedBytes / 1e6).toFixed(1)} MB in chunks); gateway CPU ${c.gatewayCpuSeconds.toFixed(2)} s = ${c.cpuSecondsPerSession.toFixed(3)} s per session, ${(c.cpuSecondsPerMB * 1000).toFixed(1)} ms per MB; gateway RSS ${c.gatewayRssMbBefore.toFixed(0)} → ${c.gatewayRssMbAfter.toFixed(0)} MB; ready in ${c.prepareSeconds.toFixed(1)} s, connected in ${c.connectSeconds.toFixed(1)} s`,
    ],
    [
      "sessions ended: memberships left · passwords changed after",
      `${r.cleanup.membershipsLeft} · ${r.cleanup.passwordsRotated}/${r.cleanup.sessions}`,
      "—",
      "every session: exit → finishSession (grants end through the revoke path, a new password nobody keeps) → sweep; the DC asked after",
    ],
  ];
}
