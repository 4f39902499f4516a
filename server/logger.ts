import "server-only";
import pino, { type Logger } from "pino";
import { env } from "@/server/env";

/**
 * The one logger of the web and worker processes (pino, JSON lines). Every line names the process
 * (INTERIM_PROCESS: interim-web, interim-worker, …); code logs through a child that says where it
 * runs: `logger().child({ scope: "notifications" })`, `logger().child({ job: helpers.job.id })`,
 * `logger().child({ requestId })`. Created on first use, so importing it reads no env.
 */
let root: Logger | undefined;

export function logger(): Logger {
  root ??= pino({ level: env.LOG_LEVEL, base: { proc: process.env.INTERIM_PROCESS ?? "interim" } });
  return root;
}

/** A child logger for one part of the code (`scope`) with any fixed fields. */
export const scoped = (scope: string, fields: Record<string, unknown> = {}): Logger => logger().child({ scope, ...fields });
