import { TRPCError } from "@trpc/server";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { apiCodes, conflict, DomainError, type ErrorKind, forbidden, invalid, notFound, refused, unauthenticated, unavailable } from "@/server/errors";
import { createCallerFactory, createTRPCRouter, publicProcedure } from "@/server/trpc/init";

const thrower = (make: () => Error) =>
  publicProcedure.query(() => {
    throw make();
  });
const router = createTRPCRouter({
  notFound: thrower(() => notFound("No such privilege.")),
  refused: thrower(() => refused("usual-hours", "Refused (usual-hours): only on weekdays.")),
  plain: thrower(() => new Error("select * from secrets where password = $1")),
});
const caller = createCallerFactory(router)({ user: null, ip: "127.0.0.1", userAgent: "vitest", requestId: "vitest", log: pino({ level: "silent" }) });

describe("domain errors", () => {
  it("carry their kind, rule and the API code of that kind", () => {
    const cases: [DomainError, ErrorKind, string][] = [
      [invalid("Too long.", "duration"), "invalid", "BAD_REQUEST"],
      [unauthenticated("Sign in again."), "unauthenticated", "UNAUTHORIZED"],
      [forbidden("Administrators only."), "forbidden", "FORBIDDEN"],
      [notFound("Gone."), "not-found", "NOT_FOUND"],
      [conflict("Changed meanwhile."), "conflict", "CONFLICT"],
      [refused("limits", "Refused (limits): 3 a day."), "refused", "FORBIDDEN"],
      [unavailable("The directory is down."), "unavailable", "SERVICE_UNAVAILABLE"],
    ];
    for (const [error, kind, code] of cases) {
      expect(error).toBeInstanceOf(DomainError);
      expect(error.kind).toBe(kind);
      expect(error.code).toBe(code);
      expect(apiCodes[kind]).toBe(code);
    }
    expect(invalid("Too long.", "duration").rule).toBe("duration");
    expect(refused("limits", "x").rule).toBe("limits");
  });

  it("reach a tRPC caller as the code of their kind with the same message", async () => {
    const nf = await caller.notFound().catch((e: unknown) => e);
    expect(nf).toBeInstanceOf(TRPCError);
    expect(nf).toMatchObject({ code: "NOT_FOUND", message: "No such privilege." });
    expect((nf as TRPCError).cause).toBeInstanceOf(DomainError);
    await expect(caller.refused()).rejects.toMatchObject({ code: "FORBIDDEN", message: "Refused (usual-hours): only on weekdays." });
    // Anything else stays an internal error (its text is not turned into an answer here).
    await expect(caller.plain()).rejects.toMatchObject({ code: "INTERNAL_SERVER_ERROR" });
  });
});
