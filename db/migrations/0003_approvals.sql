CREATE TYPE "public"."decision_kind" AS ENUM('approve', 'deny');--> statement-breakpoint
ALTER TYPE "public"."request_status" ADD VALUE 'expired';--> statement-breakpoint
CREATE TABLE "request_decisions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_id" uuid NOT NULL,
	"level" integer NOT NULL,
	"approver_id" uuid NOT NULL,
	"approver_guid" text NOT NULL,
	"decision" "decision_kind" NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"duration_minutes" integer,
	"decided_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "request_decisions_once" UNIQUE("request_id","level","approver_guid")
);
--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "current_level" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "approval_deadline" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "approved_duration_minutes" integer;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "outcome_comment" text;--> statement-breakpoint
ALTER TABLE "request_decisions" ADD CONSTRAINT "request_decisions_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_decisions" ADD CONSTRAINT "request_decisions_approver_id_users_id_fk" FOREIGN KEY ("approver_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "request_decisions_approver" ON "request_decisions" USING btree ("approver_id","decided_at");--> statement-breakpoint
CREATE INDEX "requests_pending_deadline" ON "requests" USING btree ("approval_deadline") WHERE status = 'pending';