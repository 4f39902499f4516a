import "server-only";
import { generateOpenApiDocument } from "trpc-to-openapi";
import { env } from "@/server/env";
import { restRouter } from "./router";

export const REST_PREFIX = "/api/v1";

let document: ReturnType<typeof generateOpenApiDocument> | undefined;

/** The OpenAPI 3 document of the REST API, generated once from the procedures' metadata and zod schemas. */
export function openApiDocument() {
  document ??= generateOpenApiDocument(restRouter, {
    title: "Interim REST API",
    description:
      "Just-in-time privileged access for Active Directory. Authenticate with an API token created by an admin on /admin/api-tokens: `Authorization: Bearer itm_…`. A token acts for its creator within its scopes.",
    version: "1.0.0",
    baseUrl: `${env.APP_URL.replace(/\/+$/, "")}${REST_PREFIX}`,
    securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An Interim API token (itm_…)" } },
  });
  return document;
}
