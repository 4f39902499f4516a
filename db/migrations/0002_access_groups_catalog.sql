CREATE TYPE "public"."access_group_activation_state" AS ENUM('active', 'pending', 'suspended');--> statement-breakpoint
CREATE TYPE "public"."access_group_member_kind" AS ENUM('user', 'group');--> statement-breakpoint
CREATE TYPE "public"."catalog_source" AS ENUM('directory', 'manual');--> statement-breakpoint
CREATE TYPE "public"."catalog_sync_state" AS ENUM('queued', 'running', 'succeeded', 'failed');--> statement-breakpoint
CREATE TABLE "access_group_activations" (
	"group_id" uuid NOT NULL,
	"user_guid" text NOT NULL,
	"username" text NOT NULL,
	"display_name" text DEFAULT '' NOT NULL,
	"state" "access_group_activation_state" NOT NULL,
	"source" text NOT NULL,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "access_group_activations_group_id_user_guid_pk" PRIMARY KEY("group_id","user_guid")
);
--> statement-breakpoint
CREATE TABLE "access_group_approvers" (
	"group_id" uuid NOT NULL,
	"user_guid" text NOT NULL,
	"username" text NOT NULL,
	"display_name" text DEFAULT '' NOT NULL,
	"dn" text NOT NULL,
	"level" integer NOT NULL,
	CONSTRAINT "access_group_approvers_group_id_user_guid_pk" PRIMARY KEY("group_id","user_guid")
);
--> statement-breakpoint
CREATE TABLE "access_group_levels" (
	"group_id" uuid NOT NULL,
	"level" integer NOT NULL,
	"required_approvals" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "access_group_levels_group_id_level_pk" PRIMARY KEY("group_id","level")
);
--> statement-breakpoint
CREATE TABLE "access_group_members" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"group_id" uuid NOT NULL,
	"kind" "access_group_member_kind" NOT NULL,
	"object_guid" text NOT NULL,
	"object_sid" text,
	"dn" text NOT NULL,
	"name" text NOT NULL,
	"display_name" text DEFAULT '' NOT NULL,
	"added_by" uuid,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "access_group_members_unique" UNIQUE("group_id","object_guid")
);
--> statement-breakpoint
CREATE TABLE "access_groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"settings" jsonb NOT NULL,
	"criteria" jsonb NOT NULL,
	"limits" jsonb NOT NULL,
	"locations" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "access_groups_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "catalog_credentials" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"username" text NOT NULL,
	"display_name" text DEFAULT '' NOT NULL,
	"type" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}' NOT NULL,
	"device_names" text[] DEFAULT '{}' NOT NULL,
	"source" "catalog_source" NOT NULL,
	"object_guid" text,
	"dn" text,
	"present" boolean DEFAULT true NOT NULL,
	"synced_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog_devices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"model" text DEFAULT '' NOT NULL,
	"type" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}' NOT NULL,
	"website" text,
	"source" "catalog_source" NOT NULL,
	"object_guid" text,
	"dn" text,
	"present" boolean DEFAULT true NOT NULL,
	"synced_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog_sync_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"state" "catalog_sync_state" DEFAULT 'queued' NOT NULL,
	"trigger" text NOT NULL,
	"requested_by" uuid,
	"total" integer DEFAULT 0 NOT NULL,
	"processed" integer DEFAULT 0 NOT NULL,
	"added" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"removed" integer DEFAULT 0 NOT NULL,
	"changes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "change_id" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "governance_code" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "credential_id" uuid;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "emergency" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "access_group_id" uuid;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "policy" jsonb;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "location_country" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "location_region" text;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "window_ends_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "not_after" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "access_group_activations" ADD CONSTRAINT "access_group_activations_group_id_access_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."access_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_group_activations" ADD CONSTRAINT "access_group_activations_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_group_approvers" ADD CONSTRAINT "access_group_approvers_group_id_access_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."access_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_group_levels" ADD CONSTRAINT "access_group_levels_group_id_access_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."access_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_group_members" ADD CONSTRAINT "access_group_members_group_id_access_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."access_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_group_members" ADD CONSTRAINT "access_group_members_added_by_users_id_fk" FOREIGN KEY ("added_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_groups" ADD CONSTRAINT "access_groups_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog_sync_runs" ADD CONSTRAINT "catalog_sync_runs_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_group_approvers_user" ON "access_group_approvers" USING btree ("user_guid");--> statement-breakpoint
CREATE UNIQUE INDEX "catalog_credentials_guid" ON "catalog_credentials" USING btree ("object_guid") WHERE object_guid is not null;--> statement-breakpoint
CREATE INDEX "catalog_credentials_username" ON "catalog_credentials" USING btree ("username");--> statement-breakpoint
CREATE UNIQUE INDEX "catalog_devices_guid" ON "catalog_devices" USING btree ("object_guid") WHERE object_guid is not null;--> statement-breakpoint
CREATE INDEX "catalog_devices_name" ON "catalog_devices" USING btree ("name");--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_credential_id_catalog_credentials_id_fk" FOREIGN KEY ("credential_id") REFERENCES "public"."catalog_credentials"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_access_group_id_access_groups_id_fk" FOREIGN KEY ("access_group_id") REFERENCES "public"."access_groups"("id") ON DELETE set null ON UPDATE no action;