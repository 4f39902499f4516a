import { connect, createServer, type Socket } from "node:net";

/**
 * A TCP relay in front of the real DC that can stall: while stalled, bytes stop flowing both ways
 * (the connections stay open), so an LDAP operation in flight hangs as it would with a DC that
 * stopped answering. The directory behind it is the real one; nothing is answered in its place.
 */
export interface StallProxy {
  port: number;
  stall: () => void;
  /** Connections opened since the last stall(): something is now waiting on the DC. */
  openedWhileStalled: () => number;
  resume: () => void;
  close: () => Promise<void>;
}

export async function startStallProxy(target: { host: string; port: number }, listenPort: number): Promise<StallProxy> {
  let stalled = false;
  let opened = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (stalled) opened++;
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(upstream);
    upstream.pipe(client);
    // After pipe(), which sets the streams flowing.
    if (stalled) for (const s of [client, upstream]) s.pause();
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(listenPort, "127.0.0.1", resolve));
  return {
    port: listenPort,
    openedWhileStalled: () => opened,
    stall: () => {
      stalled = true;
      opened = 0;
      for (const s of sockets) s.pause();
    },
    resume: () => {
      stalled = false;
      for (const s of sockets) s.resume();
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
