import { createTRPCRouter } from "@/server/trpc/init";

// Filled in by the catalog work (devices, credentials, sync).
export const catalogRouter = createTRPCRouter({});
