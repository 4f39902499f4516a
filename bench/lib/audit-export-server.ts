/**
 * The export route alone, for bench/audit-export.ts: a Node HTTP server that answers
 * /api/audit/export exactly as server/http/serve.ts does (same handler, before Next; Next itself
 * plays no part in this route), in a process of its own so its RSS is the export's and nothing
 * else's. Prints its port on stdout.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { handleAuditExport } from "@/server/http/audit-export";

const server = createServer((req, res) => void handleAuditExport(req, res));
server.listen(0, "127.0.0.1", () => console.log(`port ${(server.address() as AddressInfo).port}`));
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
