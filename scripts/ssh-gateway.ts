/**
 * The SSH gateway alone (a separate node, or the tests' killable gateway): `npm run gateway`.
 * The web process runs the same gateway itself when INTERIM_SSH_GATEWAY_PORT is set.
 */
import { env } from "@/server/env";
import { startSshGateway } from "@/server/sessions/gateway/ssh-server";

const server = await startSshGateway({ port: env.INTERIM_SSH_GATEWAY_PORT ?? 2022, host: env.INTERIM_SSH_GATEWAY_BIND });
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => server.close(() => process.exit(0)));
