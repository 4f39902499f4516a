import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/trpc/init";
import * as lists from "../lists";
import { addMemberInput, groupIdInput, memberPageInput, principalSearchInput, removeMemberInput, setActivationInput } from "../schemas";
import * as members from "../members";

export const usersRouter = createTRPCRouter({
  list: adminProcedure.input(groupIdInput).query(({ ctx, input }) => members.listMembers(ctx.user, input.id)),
  /** One page of the members, searched and filtered by kind (the users tab). */
  page: adminProcedure.input(memberPageInput).query(({ ctx, input }) => lists.pageMembers(ctx.user, input)),
  search: adminProcedure.input(principalSearchInput).query(({ ctx, input }) => members.searchDirectory(ctx.user, input.kind, input.query, input.groupId)),
  add: adminProcedure.input(addMemberInput).mutation(({ ctx, input }) => members.addMember(ctx.user, ctx.actor, input.id, input.objectGuid)),
  remove: adminProcedure.input(removeMemberInput).mutation(({ ctx, input }) => members.removeMember(ctx.user, ctx.actor, input.id, input.memberId)),
  setActivation: adminProcedure
    .input(setActivationInput)
    .mutation(({ ctx, input }) => members.setActivation(ctx.user, ctx.actor, input.id, input.userGuid, input.state)),
});
