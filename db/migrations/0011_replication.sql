CREATE TYPE "public"."replication_mode" AS ENUM('verify', 'wait', 'both');--> statement-breakpoint
ALTER TYPE "public"."grant_state" ADD VALUE 'replicating' BEFORE 'active';--> statement-breakpoint
ALTER TABLE "directory_settings" ADD COLUMN "replication_mode" "replication_mode" DEFAULT 'verify' NOT NULL;--> statement-breakpoint
ALTER TABLE "directory_settings" ADD COLUMN "replication_latency_seconds" integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE "directory_settings" ADD COLUMN "replication_max_wait_seconds" integer DEFAULT 900 NOT NULL;--> statement-breakpoint
ALTER TABLE "directory_settings" ADD COLUMN "replication_dc_urls" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "removal_verified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "replication" jsonb;--> statement-breakpoint
CREATE INDEX "grants_removal_unverified" ON "grants" USING btree ("removed_at") WHERE removal_verified_at is null and activated_at is not null and state in ('expired', 'revoked');--> statement-breakpoint
-- Removals made before replication checks existed count as done (nothing follows them).
UPDATE "grants" SET "removal_verified_at" = "removed_at" WHERE "removed_at" IS NOT NULL AND "activated_at" IS NOT NULL AND "state" IN ('expired', 'revoked');
