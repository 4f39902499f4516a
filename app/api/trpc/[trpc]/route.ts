import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { scoped } from "@/server/logger";
import { createContext } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createContext({ headers: req.headers }),
    // ctx is missing only when createContext itself failed.
    onError({ error, path, ctx }) {
      // Unexpected failures are logged, with the ref the client sees, by server/trpc/init.ts.
      if (error.code === "INTERNAL_SERVER_ERROR") return;
      const log = ctx?.log ?? scoped("trpc");
      log.info({ path, code: error.code, reason: error.message }, "procedure refused");
    },
  });

export { handler as GET, handler as POST };
