ALTER TABLE "catalog_credentials" ADD COLUMN "owner_dn" text;--> statement-breakpoint
ALTER TABLE "catalog_credentials" ADD COLUMN "owner_guid" text;--> statement-breakpoint
ALTER TABLE "catalog_credentials" ADD COLUMN "owner_name" text;--> statement-breakpoint
ALTER TABLE "catalog_credentials" ADD COLUMN "owner_source" "catalog_source";--> statement-breakpoint
CREATE UNIQUE INDEX "grants_one_live_per_account_group" ON "grants" USING btree (lower("member_guid"),lower("group_guid")) WHERE state in ('pending', 'provisioning', 'replicating', 'active', 'expiring');