CREATE TYPE "public"."device_session_state" AS ENUM('requested', 'preparing', 'ready', 'live', 'ended', 'failed');--> statement-breakpoint
CREATE TYPE "public"."session_command_action" AS ENUM('allow', 'alert', 'block');--> statement-breakpoint
ALTER TYPE "public"."notification_event" ADD VALUE 'session_alert';--> statement-breakpoint
CREATE TABLE "device_session_chunks" (
	"session_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"first_at" jsonb NOT NULL,
	"last_at" jsonb NOT NULL,
	"data" text NOT NULL,
	"bytes" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "device_session_chunks_session_id_seq_pk" PRIMARY KEY("session_id","seq")
);
--> statement-breakpoint
CREATE TABLE "device_session_commands" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"session_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"offset" jsonb NOT NULL,
	"text" text NOT NULL,
	"source" text NOT NULL,
	"uncertain" boolean DEFAULT false NOT NULL,
	"action" "session_command_action" DEFAULT 'allow' NOT NULL,
	"rule" text,
	"deviation" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "device_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"device_id" uuid NOT NULL,
	"credential_id" uuid,
	"access_group_id" uuid,
	"login" text NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"host_key_sha256" text NOT NULL,
	"state" "device_session_state" DEFAULT 'requested' NOT NULL,
	"recording" boolean DEFAULT true NOT NULL,
	"max_minutes" integer NOT NULL,
	"idle_minutes" integer NOT NULL,
	"rules" jsonb NOT NULL,
	"planned_activity" text[] DEFAULT '{}' NOT NULL,
	"password_sealed" text,
	"password_set_at" timestamp with time zone,
	"password_rotated_at" timestamp with time zone,
	"connect_token_hash" text,
	"connect_token_expires_at" timestamp with time zone,
	"gateway" text,
	"heartbeat_at" timestamp with time zone,
	"connected_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"last_input_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"ended_by" uuid,
	"error" text,
	"flagged" boolean DEFAULT false NOT NULL,
	"recording_bytes" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "device_sessions_request_id_unique" UNIQUE("request_id")
);
--> statement-breakpoint
ALTER TABLE "access_groups" ADD COLUMN "sessions" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "catalog_credentials" ADD COLUMN "managed" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "catalog_devices" ADD COLUMN "dns_host_name" text;--> statement-breakpoint
ALTER TABLE "catalog_devices" ADD COLUMN "ssh_enabled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "catalog_devices" ADD COLUMN "ssh_host" text;--> statement-breakpoint
ALTER TABLE "catalog_devices" ADD COLUMN "ssh_port" integer DEFAULT 22 NOT NULL;--> statement-breakpoint
ALTER TABLE "catalog_devices" ADD COLUMN "host_key_sha256" text;--> statement-breakpoint
ALTER TABLE "catalog_devices" ADD COLUMN "host_key_confirmed_by" uuid;--> statement-breakpoint
ALTER TABLE "catalog_devices" ADD COLUMN "host_key_confirmed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "catalog_devices" ADD COLUMN "host_key_seen" text;--> statement-breakpoint
ALTER TABLE "catalog_devices" ADD COLUMN "host_key_seen_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "device_session_chunks" ADD CONSTRAINT "device_session_chunks_session_id_device_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."device_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_session_commands" ADD CONSTRAINT "device_session_commands_session_id_device_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."device_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_sessions" ADD CONSTRAINT "device_sessions_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_sessions" ADD CONSTRAINT "device_sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_sessions" ADD CONSTRAINT "device_sessions_device_id_catalog_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."catalog_devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_sessions" ADD CONSTRAINT "device_sessions_credential_id_catalog_credentials_id_fk" FOREIGN KEY ("credential_id") REFERENCES "public"."catalog_credentials"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_sessions" ADD CONSTRAINT "device_sessions_access_group_id_access_groups_id_fk" FOREIGN KEY ("access_group_id") REFERENCES "public"."access_groups"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_sessions" ADD CONSTRAINT "device_sessions_ended_by_users_id_fk" FOREIGN KEY ("ended_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "device_session_commands_session" ON "device_session_commands" USING btree ("session_id","seq");--> statement-breakpoint
CREATE INDEX "device_session_commands_at" ON "device_session_commands" USING btree ("at");--> statement-breakpoint
CREATE INDEX "device_sessions_user" ON "device_sessions" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "device_sessions_created" ON "device_sessions" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "device_sessions_open" ON "device_sessions" USING btree ("state") WHERE state in ('requested', 'preparing', 'ready', 'live');--> statement-breakpoint
CREATE INDEX "device_sessions_rotation" ON "device_sessions" USING btree ("ended_at") WHERE password_rotated_at is null and ended_at is not null;--> statement-breakpoint
ALTER TABLE "catalog_devices" ADD CONSTRAINT "catalog_devices_host_key_confirmed_by_users_id_fk" FOREIGN KEY ("host_key_confirmed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;