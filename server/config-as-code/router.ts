import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import { applyInput, applyImport, downloadConfiguration, exportConfiguration, previewImport, previewInput } from "./service";

export const configAsCodeRouter = createTRPCRouter({
  /** The whole configuration as YAML (and the hash of the state it shows). */
  export: adminProcedure.query(({ ctx }) => exportConfiguration(ctx.user)),
  /** The same, as the download route serves it: audited as config.exported. */
  download: adminProcedure.mutation(({ ctx }) => downloadConfiguration(ctx.user, ctx.actor)),
  /** Checks a document and lists what applying it would change; `ok: false` lists every problem by path. */
  preview: adminProcedure.input(previewInput).mutation(({ ctx, input }) => previewImport(ctx.user, input)),
  /** Applies a previewed document in one transaction, refused when the state changed since the preview. */
  applyImport: adminProcedure.input(applyInput).mutation(({ ctx, input }) => applyImport(ctx.user, ctx.actor, input)),
});
