"use client";

import "@xterm/xterm/css/xterm.css";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { describeError, useTRPC } from "@/trpc/client";
import { ErrorAlert, Loading } from "@/components/alerts";
import { Button } from "@/components/button";
import { Countdown } from "@/components/countdown";
import { TextField } from "@/components/form-field";
import { SESSION_STATE_LABEL } from "../../_components/sessions-section";

type Phase =
  { kind: "idle" } | { kind: "connecting" } | { kind: "live" } | { kind: "ended"; reason: string; message: string } | { kind: "error"; message: string };

/*
 * The browser terminal (issue 14). The gateway serves /api/sessions/<id>/terminal on this origin,
 * authenticated by the sign-in cookie. After the socket opens we send {"type":"start",cols,rows,
 * password?}; keystrokes go as binary frames, window size changes as {"type":"resize"}. The server
 * sends output as binary frames and JSON text frames ready / error / end. A password typed here is
 * sent once in the start frame and kept nowhere.
 */
export function TerminalSession({ sessionId }: { sessionId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const mine = useQuery(trpc.deviceSessions.mine.queryOptions());
  const session = mine.data?.find((s) => s.id === sessionId);
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [password, setPassword] = useState("");
  const container = useRef<HTMLDivElement>(null);
  const connection = useRef<Connection | null>(null);

  useEffect(() => () => connection.current?.dispose(), []);

  if (mine.isPending) return <Loading label="Loading the session…" />;
  if (mine.isError) return <ErrorAlert>{describeError(mine.error).message}</ErrorAlert>;
  if (!session) return <ErrorAlert>This session is not one of yours, or it no longer exists.</ErrorAlert>;

  const needsPassword = session.needsPassword && phase.kind === "idle";
  const connectable = session.state === "ready";
  const ends = [session.endsAt, session.grantsEndAt].filter((d): d is Date => d !== null).map((d) => new Date(d).getTime());

  async function connect(e: FormEvent) {
    e.preventDefault();
    if (!container.current) return;
    setPhase({ kind: "connecting" });
    const typed = password;
    setPassword("");
    connection.current = await openTerminal(container.current, sessionId, typed || undefined, (next) => {
      setPhase(next);
      if (next.kind === "ended" || next.kind === "error") void queryClient.invalidateQueries({ queryKey: trpc.deviceSessions.mine.queryKey() });
    });
  }

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3 text-sm">
        <div>
          <p className="font-medium text-slate-900">
            {session.device} <span className="font-normal text-slate-600">as {session.login}</span>
          </p>
          <p role="status" aria-live="polite" className="text-slate-700">
            {phaseLabel(phase, SESSION_STATE_LABEL[session.state])}
          </p>
          {ends.length > 0 && phase.kind === "live" && <Countdown until={new Date(Math.min(...ends))} prefix="Time left" className="text-xs" />}
        </div>
        <div className="flex gap-2">
          {(phase.kind === "live" || phase.kind === "connecting") && (
            <Button variant="danger" onClick={() => connection.current?.disconnect()}>
              Disconnect
            </Button>
          )}
          <Link href="/roles" className="self-center text-indigo-700 underline">
            Back to my sessions
          </Link>
        </div>
      </div>
      {phase.kind === "idle" && (
        <form noValidate onSubmit={connect} className="max-w-md space-y-3">
          {!connectable && (
            <p className="text-sm text-slate-700">This session is {SESSION_STATE_LABEL[session.state].toLowerCase()}: it cannot be connected now.</p>
          )}
          {needsPassword && connectable && (
            <TextField
              id="session-password"
              label={`Password of ${session.login}`}
              hint="Sent once to the device to sign in; Interim does not keep it."
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
          <Button type="submit" variant="primary" disabled={!connectable || (needsPassword && !password)}>
            Connect
          </Button>
        </form>
      )}
      {phase.kind === "error" && <ErrorAlert>{phase.message}</ErrorAlert>}
      <div ref={container} aria-label="Terminal" role="region" className="h-[70vh] min-h-64 w-full overflow-hidden rounded-md bg-black p-1" />
    </div>
  );
}

function phaseLabel(phase: Phase, state: string): string {
  switch (phase.kind) {
    case "idle":
      return state;
    case "connecting":
      return "Connecting…";
    case "live":
      return "Connected";
    case "ended":
      // The gateway's end frame has no message when the device closed the shell (the person typed exit).
      return `Ended: ${phase.message || "the session on the device closed."}`;
    case "error":
      return "Connection failed";
  }
}

interface Connection {
  /** Closes the connection; the output stays on screen. */
  disconnect: () => void;
  /** On leaving the page: the terminal goes too. */
  dispose: () => void;
}

async function openTerminal(element: HTMLElement, sessionId: string, password: string | undefined, onPhase: (p: Phase) => void): Promise<Connection> {
  const [{ Terminal }, { FitAddon }, { stampStyleNonces }] = await Promise.all([import("@xterm/xterm"), import("@xterm/addon-fit"), import("./style-nonce")]);
  const unstamp = stampStyleNonces();
  const terminal = new Terminal({ cursorBlink: true, convertEol: false, fontSize: 14, scrollback: 5000 });
  const fit = new FitAddon();
  terminal.loadAddon(fit);
  terminal.open(element);
  fit.fit();
  terminal.focus();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/api/sessions/${sessionId}/terminal`);
  socket.binaryType = "arraybuffer";
  const encoder = new TextEncoder();
  let finished = false;
  const finish = (p: Phase) => {
    if (finished) return;
    finished = true;
    onPhase(p);
  };
  const send = (frame: object) => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify(frame));

  socket.onopen = () => send({ type: "start", cols: terminal.cols, rows: terminal.rows, ...(password ? { password } : {}) });
  socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
    if (typeof event.data !== "string") {
      terminal.write(new Uint8Array(event.data));
      return;
    }
    const frame = JSON.parse(event.data) as { type: string; reason?: string; message?: string };
    if (frame.type === "ready") onPhase({ kind: "live" });
    else if (frame.type === "error") finish({ kind: "error", message: frame.message ?? "The gateway refused the connection." });
    else if (frame.type === "end") finish({ kind: "ended", reason: frame.reason ?? "ended", message: frame.message ?? "" });
  };
  socket.onerror = () => finish({ kind: "error", message: "The connection to the session gateway failed." });
  socket.onclose = () => finish({ kind: "ended", reason: "closed", message: "The connection closed." });
  const input = terminal.onData((data) => socket.readyState === WebSocket.OPEN && socket.send(encoder.encode(data)));
  const resized = terminal.onResize(({ cols, rows }) => send({ type: "resize", cols, rows }));
  const onWindowResize = () => fit.fit();
  window.addEventListener("resize", onWindowResize);
  const observer = new ResizeObserver(() => fit.fit());
  observer.observe(element);

  const disconnect = () => {
    input.dispose();
    resized.dispose();
    if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(1000, "disconnect");
    finish({ kind: "ended", reason: "disconnected", message: "You disconnected." });
  };
  return {
    disconnect,
    dispose: () => {
      disconnect();
      window.removeEventListener("resize", onWindowResize);
      observer.disconnect();
      terminal.dispose();
      unstamp();
    },
  };
}
