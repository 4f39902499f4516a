import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { headers } from "next/headers";
import { createCaller } from "@/server/trpc/root";
import { createContext } from "@/server/trpc/init";

export const dynamic = "force-dynamic";

/**
 * The configuration as a YAML file download (Content-Disposition: attachment). Goes through the
 * `configuration.export` procedure with the request's own session: admins only, as in the page.
 */
export async function GET() {
  try {
    const caller = createCaller(await createContext({ headers: await headers() }));
    const { yaml } = await caller.configuration.download();
    const day = new Date().toISOString().slice(0, 10);
    return new Response(yaml, {
      headers: {
        "content-type": "application/yaml; charset=utf-8",
        "content-disposition": `attachment; filename="interim-configuration-${day}.yaml"`,
        "cache-control": "no-store",
      },
    });
  } catch (err) {
    if (!(err instanceof TRPCError)) throw err;
    return new Response(`${err.message}\n`, {
      status: getHTTPStatusCodeFromError(err),
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
    });
  }
}
