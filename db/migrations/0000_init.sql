CREATE TYPE "public"."grant_mechanism" AS ENUM('direct', 'ttl', 'temporary-group');--> statement-breakpoint
CREATE TYPE "public"."request_status" AS ENUM('pending', 'approved', 'denied', 'cancelled', 'failed');--> statement-breakpoint
CREATE TYPE "public"."grant_end_reason" AS ENUM('expired', 'revoked', 'ended_early');--> statement-breakpoint
CREATE TYPE "public"."grant_state" AS ENUM('pending', 'provisioning', 'active', 'expiring', 'expired', 'revoked', 'failed');--> statement-breakpoint
CREATE TABLE "signin_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"account_key" text NOT NULL,
	"username" text NOT NULL,
	"ip" text NOT NULL,
	"success" boolean NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"username" text NOT NULL,
	"dn" text NOT NULL,
	"object_guid" text NOT NULL,
	"display_name" text NOT NULL,
	"email" text,
	"is_admin" boolean DEFAULT false NOT NULL,
	"admin_checked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_sign_in_at" timestamp with time zone,
	CONSTRAINT "users_username_unique" UNIQUE("username"),
	CONSTRAINT "users_object_guid_unique" UNIQUE("object_guid")
);
--> statement-breakpoint
CREATE TABLE "directory_settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"domain_dn" text,
	"pam_feature_enabled" boolean,
	"domain_controllers" jsonb,
	"lockout_threshold" integer,
	"checked_at" timestamp with time zone,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "privileges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"group_dn" text NOT NULL,
	"group_guid" text NOT NULL,
	"group_sid" text,
	"tags" text[] DEFAULT '{}' NOT NULL,
	"max_duration_minutes" integer NOT NULL,
	"default_duration_minutes" integer NOT NULL,
	"allow_extension" boolean DEFAULT false NOT NULL,
	"mechanism" "grant_mechanism" DEFAULT 'direct' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "privileges_name_unique" UNIQUE("name"),
	CONSTRAINT "privileges_group_guid_unique" UNIQUE("group_guid")
);
--> statement-breakpoint
CREATE TABLE "requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"requester_id" uuid NOT NULL,
	"privilege_id" uuid NOT NULL,
	"target_dn" text NOT NULL,
	"duration_minutes" integer NOT NULL,
	"justification" text DEFAULT '' NOT NULL,
	"status" "request_status" DEFAULT 'pending' NOT NULL,
	"client_ip" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "grants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"privilege_id" uuid NOT NULL,
	"mechanism" "grant_mechanism" DEFAULT 'direct' NOT NULL,
	"member_guid" text NOT NULL,
	"member_dn" text NOT NULL,
	"group_guid" text NOT NULL,
	"group_dn" text NOT NULL,
	"pre_existing" boolean DEFAULT false NOT NULL,
	"state" "grant_state" DEFAULT 'pending' NOT NULL,
	"duration_seconds" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"removed_at" timestamp with time zone,
	"end_reason" "grant_end_reason",
	"ended_by" uuid,
	"claimed_at" timestamp with time zone,
	"claim_token" uuid,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"actor_name" text,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text,
	"data" jsonb NOT NULL,
	"ip" text,
	"user_agent" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_events_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
ALTER TABLE "privileges" ADD CONSTRAINT "privileges_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_requester_id_users_id_fk" FOREIGN KEY ("requester_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_privilege_id_privileges_id_fk" FOREIGN KEY ("privilege_id") REFERENCES "public"."privileges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_privilege_id_privileges_id_fk" FOREIGN KEY ("privilege_id") REFERENCES "public"."privileges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_ended_by_users_id_fk" FOREIGN KEY ("ended_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "signin_attempts_account_at" ON "signin_attempts" USING btree ("account_key","at");--> statement-breakpoint
CREATE INDEX "signin_attempts_ip_at" ON "signin_attempts" USING btree ("ip","at");--> statement-breakpoint
CREATE INDEX "requests_requester" ON "requests" USING btree ("requester_id","created_at");--> statement-breakpoint
CREATE INDEX "grants_due" ON "grants" USING btree ("expires_at") WHERE state in ('active', 'expiring');--> statement-breakpoint
CREATE INDEX "grants_user" ON "grants" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "grants_group_member" ON "grants" USING btree ("group_guid","member_guid");--> statement-breakpoint
CREATE INDEX "grants_state" ON "grants" USING btree ("state");