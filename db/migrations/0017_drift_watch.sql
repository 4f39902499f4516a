CREATE TABLE "drift_watch_state" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"dc" text NOT NULL,
	"cookie" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "drift_watch_state_single_row" CHECK (id = 1)
);
