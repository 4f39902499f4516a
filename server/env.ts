import "server-only";

// The definition moved to shared/env.ts so db/ can read DATABASE_URL without importing server/.
export { env, resetEnvForTests, type Env } from "@/shared/env";
