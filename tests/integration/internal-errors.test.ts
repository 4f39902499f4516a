import { Writable } from "node:stream";
import type { AnyTRPCRouter } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { sql } from "drizzle-orm";
import pino from "pino";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { authOptions } from "@/server/auth/options";
import type { SessionUser } from "@/server/auth/permissions";
import { toDirectoryError } from "@/server/directory/errors";
import { notFound } from "@/server/errors";
import { createCallerFactory, createTRPCRouter, publicProcedure, type Context } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import { localUser, ownerDb, resetDatabase } from "./fixtures";

/*
 * Issue 13, item 10 (internal errors): an unexpected failure reaches the client as
 * "Something went wrong (ref <request id>)" — no SQL, no parameters, no stack — and the real error
 * is in the log line that carries the same id.
 */

function capturingContext(user: SessionUser | null, requestId: string) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = pino({ level: "info" }, sink).child({ requestId });
  const ctx: Context = { user, ip: "127.0.0.1", userAgent: "vitest", requestId, log };
  return { ctx, logged: () => lines.join("") };
}

async function overHttp(router: AnyTRPCRouter, path: string, createContext: () => Context | Promise<Context>) {
  const res = await fetchRequestHandler({ endpoint: "/api/trpc", req: new Request(`http://interim.test/api/trpc/${path}`), router, createContext });
  const raw = await res.text();
  const body = JSON.parse(raw) as { error: Parameters<typeof superjson.deserialize>[0] };
  return { status: res.status, raw, error: superjson.deserialize<{ message: string; data: Record<string, unknown> }>(body.error) };
}

const generic = (ref: string) => `Something went wrong (ref ${ref})`;

describe("internal errors", () => {
  let requester: SessionUser;
  beforeAll(async () => {
    await resetDatabase();
    requester = await localUser("alice");
  });
  afterAll(resetDatabase);

  it("a failing query in a real procedure answers with a ref; the SQL is only in the log", async () => {
    const [{ role }] = (await db.execute<{ role: string }>(sql`select current_user as role`)) as unknown as [{ role: string }];
    // The app's role loses its right to read privileges for a moment: privileges.available's query fails in Postgres.
    await ownerDb().execute(sql`revoke select on privileges from ${sql.identifier(role)}`);
    try {
      const { ctx, logged } = capturingContext(requester, "ref-http-1");
      const answer = await overHttp(appRouter, "privileges.available", () => ctx);
      expect(answer.status).toBe(500);
      expect(answer.error.message).toBe(generic("ref-http-1"));
      expect(answer.error.data).toMatchObject({ code: "INTERNAL_SERVER_ERROR" });
      expect(answer.error.data).not.toHaveProperty("stack");
      expect(answer.raw).not.toMatch(/select|permission denied|privileges"|Failed query/i);
      expect(logged()).toMatch(/permission denied for table privileges/);
      expect(logged()).toMatch(/"ref":"ref-http-1"/);
      expect(logged()).toMatch(/Failed query: select/);
    } finally {
      await ownerDb().execute(sql`grant select on privileges to ${sql.identifier(role)}`);
    }
  });

  const boom = createTRPCRouter({
    sqlFails: publicProcedure.query(() => db.execute(sql`select * from interim_no_such_table where secret = ${"p4ssw0rd"}`)),
    notThere: publicProcedure.query(() => {
      throw notFound("No such privilege.");
    }),
    dcDown: publicProcedure.query(() => {
      throw toDirectoryError(Object.assign(new Error("connect ECONNREFUSED 10.9.8.7:636"), { code: "ECONNREFUSED" }), "search users");
    }),
  });

  it("a directory failure says what happened and a ref; the DC's address and words are only in the log", async () => {
    const { ctx, logged } = capturingContext(null, "ref-dc-1");
    const error = (await createCallerFactory(boom)(ctx)
      .dcDown()
      .then(
        () => null,
        (e: unknown) => e,
      )) as Error & { code?: string };
    expect(error).toMatchObject({ code: "SERVICE_UNAVAILABLE", message: "The directory cannot be reached right now; try again shortly (ref ref-dc-1)" });
    expect(logged()).toMatch(/10\.9\.8\.7:636/);
  });

  it("a server-side caller gets the same generic error, logged with its ref", async () => {
    const { ctx, logged } = capturingContext(null, "ref-caller-1");
    const caller = createCallerFactory(boom)(ctx);
    const error = (await caller.sqlFails().then(
      () => null,
      (e: unknown) => e,
    )) as Error & { code?: string; cause?: unknown };
    expect(error).toMatchObject({ code: "INTERNAL_SERVER_ERROR", message: generic("ref-caller-1") });
    expect(String(error.cause)).not.toMatch(/interim_no_such_table|p4ssw0rd/);
    expect(logged()).toMatch(/relation \\"interim_no_such_table\\" does not exist/);
    // Deliberate errors keep their words.
    await expect(caller.notThere()).rejects.toMatchObject({ code: "NOT_FOUND", message: "No such privilege." });
  });

  it("a failure before any procedure (the context) is reported the same way, without its text", async () => {
    const answer = await overHttp(boom, "notThere", () => {
      throw new Error("connect ECONNREFUSED postgres://interim_app:hunter2@db/interim");
    });
    expect(answer.status).toBe(500);
    expect(answer.error.message).toMatch(/^Something went wrong \(ref [0-9a-f-]{36}\)$/);
    expect(answer.raw).not.toMatch(/hunter2|ECONNREFUSED/);
  });

  it("a sign-in that fails for another reason than the credentials says so with a ref, not with the database's words", async () => {
    const [{ role }] = (await db.execute<{ role: string }>(sql`select current_user as role`)) as unknown as [{ role: string }];
    await ownerDb().execute(sql`revoke insert on signin_attempts from ${sql.identifier(role)}`);
    try {
      const provider = authOptions.providers[0] as unknown as {
        options: { authorize: (c: Record<string, string>, req: { headers: Record<string, string> }) => Promise<unknown> };
      };
      const error = (await provider.options.authorize({ username: "alice", password: "wrong password" }, { headers: {} }).then(
        () => null,
        (e: unknown) => e,
      )) as Error;
      expect(error.message).toMatch(/^Sign-in is not possible right now; try again shortly \(ref [0-9a-f-]{36}\)$/);
    } finally {
      await ownerDb().execute(sql`grant insert on signin_attempts to ${sql.identifier(role)}`);
    }
  });
});
