import "server-only";
import { createTRPCRouter } from "@/server/trpc/init";
import { approversRouter } from "./routers/approvers";
import { criteriaRouter } from "./routers/criteria";
import { groupsRouter } from "./routers/groups";
import { limitsRouter } from "./routers/limits";
import { locationsRouter } from "./routers/locations";
import { notificationsRouter } from "./routers/notifications";
import { sessionsRouter } from "./routers/sessions";
import { settingsRouter } from "./routers/settings";
import { usersRouter } from "./routers/users";

/** accessGroups.groups.* for the list; one router per tab of a group. */
export const accessGroupsRouter = createTRPCRouter({
  groups: groupsRouter,
  settings: settingsRouter,
  criteria: criteriaRouter,
  users: usersRouter,
  approvers: approversRouter,
  limits: limitsRouter,
  locations: locationsRouter,
  notifications: notificationsRouter,
  sessions: sessionsRouter,
});
