import "server-only";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { WebSocketServer } from "ws";

/*
 * SIGTERM for the web process (issue 15): stop accepting at once, let the requests in flight
 * finish, close what would otherwise never end (terminal WebSockets, the SSH gateway's listener),
 * then exit — within `graceMs`, after which whatever is left is cut.
 */

export interface Drainable {
  server: Server;
  /** The terminal WebSockets: told the server is going away (1001), so the browser reconnects elsewhere. */
  sockets?: WebSocketServer;
  /** The SSH gateway, when this process runs it. */
  gateway?: { close: (cb?: (err?: Error) => void) => unknown };
  graceMs: number;
  log: Logger;
}

/** Wraps the request handler: while draining, answers say `Connection: close`, so keep-alive sockets end with them. */
export function drainAware<A extends unknown[]>(handler: (req: IncomingMessage, res: ServerResponse, ...rest: A) => void) {
  let draining = false;
  const wrapped = (req: IncomingMessage, res: ServerResponse, ...rest: A) => {
    if (draining) res.setHeader("Connection", "close");
    handler(req, res, ...rest);
  };
  return Object.assign(wrapped, { startDraining: () => void (draining = true) });
}

/** Stops `d.server` gracefully; resolves `true` when everything finished in time, `false` when the rest was cut. */
export function drain(d: Drainable): Promise<boolean> {
  const started = Date.now();
  d.log.info({ graceMs: d.graceMs }, "draining: no new connections, finishing requests in flight");
  return new Promise((resolve) => {
    let done = false;
    const finish = (clean: boolean) => {
      if (done) return;
      done = true;
      clearInterval(idle);
      clearTimeout(deadline);
      d.log.info({ ms: Date.now() - started, clean }, clean ? "drained" : "drain deadline: cut the connections left");
      resolve(clean);
    };
    d.server.close(() => finish(true));
    for (const ws of d.sockets?.clients ?? []) ws.close(1001, "server shutting down");
    d.gateway?.close();
    // A keep-alive socket that went idle after its answer would hold close() until its timeout.
    const idle = setInterval(() => d.server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => {
      for (const ws of d.sockets?.clients ?? []) ws.terminate();
      d.server.closeAllConnections();
      finish(false);
    }, d.graceMs);
  });
}
