import "server-only";
// Defined in shared/ (db/schema/requests.ts types its frozen_policy column with it).
export type * from "@/shared/access-groups/frozen";
