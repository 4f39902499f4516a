import "server-only";
import postgres from "postgres";
import { env } from "@/shared/env";
import { sqlClient } from "./index";

export interface Subscription {
  /** Whether the connection that LISTENs is still there and listening (false when it was cut, e.g. by a Postgres restart). */
  listening: () => Promise<boolean>;
  close: () => Promise<void>;
}

/**
 * LISTENs on `channel` on a connection of its own. postgres-js's `listen` re-subscribes once when
 * its connection closes; if that attempt fails (the server is still restarting), the channel stays
 * in its table with the failed LISTEN and every later `listen` on that client awaits the same
 * failure. So a subscription is a client of its own: when it is lost, close it and subscribe anew.
 */
export async function subscribe(channel: string, onNotify: () => void): Promise<Subscription> {
  const client = postgres(env.DATABASE_URL, {
    max: 1,
    onnotice: () => {},
    connection: { application_name: process.env.INTERIM_PROCESS ?? "interim" },
  });
  const close = () => client.end({ timeout: 1 }).catch(() => {});
  try {
    // `state` is the listening connection's, kept current by postgres-js when it reconnects.
    const { state } = await client.listen(channel, onNotify);
    return {
      close,
      async listening() {
        // A listening backend sits idle with its last statement, the LISTEN, as its query.
        const rows = await sqlClient()`select 1 from pg_stat_activity where pid = ${state.pid} and state = 'idle' and query ilike 'listen%'`;
        return rows.length > 0;
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
