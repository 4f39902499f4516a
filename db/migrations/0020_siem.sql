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
