// Defined in shared/ (db/schema types its jsonb columns with them; db/ never imports server/).
export * from "@/shared/access-groups/policy-schemas";
