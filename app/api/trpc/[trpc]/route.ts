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

/**
 * Mutations come as JSON or not at all. An HTML form on another site can post
 * application/x-www-form-urlencoded, multipart/form-data or text/plain with the visitor's cookies
 * and no CORS preflight; application/json from another origin needs a preflight, which this app
 * never grants. So a POST of any other type is refused before tRPC parses it.
 */
function postsJson(req: Request): boolean {
  const type = req.headers.get("content-type") ?? "";
  return type.split(";", 1)[0]!.trim().toLowerCase() === "application/json";
}

async function POST(req: Request) {
  if (!postsJson(req)) {
    return Response.json({ error: { message: "Send tRPC calls as application/json.", code: "UNSUPPORTED_MEDIA_TYPE" } }, { status: 415 });
  }
  return handler(req);
}

export { handler as GET, POST };
