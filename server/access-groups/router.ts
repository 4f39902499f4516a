import { createTRPCRouter } from "@/server/trpc/init";

export const accessGroupsRouter = createTRPCRouter({});
