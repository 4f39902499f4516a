ALTER TABLE "grants" ADD COLUMN "temp_group_guid" text;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "temp_group_dn" text;