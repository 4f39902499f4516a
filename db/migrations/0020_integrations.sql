CREATE TABLE "audit_chain_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"key" text NOT NULL,
	"problem" text NOT NULL,
	"seq" bigint NOT NULL,
	"message" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" uuid,
	"notified" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"notify_attempts" integer DEFAULT 0 NOT NULL,
	"notified_at" timestamp with time zone,
	"notify_error" text,
	CONSTRAINT "audit_chain_alerts_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "siem_export_state" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"last_hash" text,
	"last_sent_at" timestamp with time zone,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"sent_count" bigint DEFAULT 0 NOT NULL,
	"resent_count" bigint DEFAULT 0 NOT NULL,
	"failure_count" integer DEFAULT 0 NOT NULL,
	"target" text,
	"format" text,
	"tls" boolean,
	"heartbeat_at" timestamp with time zone,
	CONSTRAINT "siem_export_state_one_row" CHECK ("siem_export_state"."id" = 1),
	CONSTRAINT "siem_export_state_seq" CHECK ("siem_export_state"."last_seq" >= 0)
);
--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"scopes" text[] NOT NULL,
	"secret_hash" text NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_by" uuid,
	"last_used_at" timestamp with time zone,
	"last_used_ip" text,
	CONSTRAINT "api_tokens_name_unique" UNIQUE("name"),
	CONSTRAINT "api_tokens_expiry_after_creation" CHECK ("api_tokens"."expires_at" > "api_tokens"."created_at")
);
--> statement-breakpoint
ALTER TABLE "audit_chain_alerts" ADD CONSTRAINT "audit_chain_alerts_acknowledged_by_users_id_fk" FOREIGN KEY ("acknowledged_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_revoked_by_users_id_fk" FOREIGN KEY ("revoked_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_chain_alerts_open" ON "audit_chain_alerts" USING btree ("first_seen_at") WHERE acknowledged_at is null;--> statement-breakpoint
CREATE INDEX "api_tokens_created_by" ON "api_tokens" USING btree ("created_by");--> statement-breakpoint
CREATE INDEX "audit_events_search" ON "audit_events" USING gin (to_tsvector('simple'::regconfig, regexp_replace("action" || ' ' || coalesce("actor_name", '') || ' ' || "target_type" || ' ' || coalesce("target_id", '') || ' ' || ("data")::text, '[^[:alnum:]]+', ' ', 'g')));