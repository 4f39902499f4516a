import "server-only";
/*
 * The access-group policy engine: pure functions, no I/O and no clock (callers pass `now`).
 * Each part documents its semantics where it is implemented:
 *   policy/patterns.ts   `*` wildcards
 *   policy/criteria.ts   which privileges, privileged accounts and devices a group selects
 *   policy/limits.ts     validity dates, days of week and time windows, in the group's zone
 *   policy/locations.ts  countries and regions of the requester's IP
 *   policy/groups.ts     the union over a user's groups, and the one group a request binds to
 *   policy/schemas.ts    zod shapes of all of the above, shared with routers and forms
 */
export * from "./policy/schemas";
export * from "./policy/patterns";
export * from "./policy/criteria";
export * from "./policy/limits";
export * from "./policy/locations";
export * from "./policy/groups";
