// Defined in shared/ (db/schema/notifications.ts builds its pg enum from NOTIFICATION_EVENTS).
export * from "@/shared/notifications/schemas";
