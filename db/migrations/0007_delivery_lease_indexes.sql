ALTER TYPE "public"."notification_delivery_state" ADD VALUE 'sending';--> statement-breakpoint
ALTER TABLE "notification_deliveries" ADD COLUMN "claimed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "requests_extends_grant" ON "requests" USING btree ("extends_grant_id") WHERE extends_grant_id is not null;--> statement-breakpoint
CREATE INDEX "grants_request" ON "grants" USING btree ("request_id");