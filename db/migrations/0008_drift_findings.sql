CREATE TYPE "public"."drift_action" AS ENUM('alert', 'remove');--> statement-breakpoint
CREATE TYPE "public"."drift_kind" AS ENUM('standing', 'outlived');--> statement-breakpoint
CREATE TYPE "public"."drift_resolution" AS ENUM('removed', 'gone', 'accepted');--> statement-breakpoint
CREATE TABLE "drift_findings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"privilege_id" uuid NOT NULL,
	"group_guid" text NOT NULL,
	"group_dn" text NOT NULL,
	"member_guid" text NOT NULL,
	"member_dn" text NOT NULL,
	"member_name" text NOT NULL,
	"member_class" text NOT NULL,
	"kind" "drift_kind" NOT NULL,
	"note" text,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolution" "drift_resolution",
	"resolved_by" uuid,
	"cleared_at" timestamp with time zone,
	CONSTRAINT "drift_findings_resolution" CHECK ((resolution is null) = (resolved_at is null))
);
--> statement-breakpoint
CREATE TABLE "drift_last_check" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	"groups_checked" integer NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	CONSTRAINT "drift_last_check_single_row" CHECK (id = 1)
);
--> statement-breakpoint
CREATE TABLE "privilege_drift_settings" (
	"privilege_id" uuid PRIMARY KEY NOT NULL,
	"action" "drift_action" DEFAULT 'alert' NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "drift_findings" ADD CONSTRAINT "drift_findings_privilege_id_privileges_id_fk" FOREIGN KEY ("privilege_id") REFERENCES "public"."privileges"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drift_findings" ADD CONSTRAINT "drift_findings_resolved_by_users_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "privilege_drift_settings" ADD CONSTRAINT "privilege_drift_settings_privilege_id_privileges_id_fk" FOREIGN KEY ("privilege_id") REFERENCES "public"."privileges"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "privilege_drift_settings" ADD CONSTRAINT "privilege_drift_settings_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "drift_findings_current" ON "drift_findings" USING btree ("group_guid","member_guid") WHERE cleared_at is null;--> statement-breakpoint
CREATE INDEX "drift_findings_open" ON "drift_findings" USING btree ("first_seen_at") WHERE resolved_at is null;--> statement-breakpoint
CREATE INDEX "drift_findings_resolved" ON "drift_findings" USING btree ("resolved_at");