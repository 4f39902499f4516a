CREATE TABLE "directory_outages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"dc_url" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"last_error" text NOT NULL,
	"failures" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "directory_outages_open" ON "directory_outages" USING btree ("dc_url") WHERE "directory_outages"."ended_at" is null;