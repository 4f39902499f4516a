CREATE TABLE "webhook_secrets" (
	"access_group_id" uuid NOT NULL,
	"webhook_id" uuid NOT NULL,
	"sealed" text NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_secrets_access_group_id_webhook_id_pk" PRIMARY KEY("access_group_id","webhook_id")
);
--> statement-breakpoint
ALTER TABLE "webhook_secrets" ADD CONSTRAINT "webhook_secrets_access_group_id_access_groups_id_fk" FOREIGN KEY ("access_group_id") REFERENCES "public"."access_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Hand-written: errors stored before this migration quoted the receiver's answer and raw socket
-- errors; keep only the status or a fixed word (the audit trail's copies stay, it is append-only).
UPDATE "notification_deliveries" SET "last_error" = CASE
	WHEN "last_error" ~ ' answered [0-9]{3}' THEN 'HTTP ' || substring("last_error" from ' answered ([0-9]{3})')
	WHEN "last_error" LIKE '%did not answer within%' THEN 'timed out'
	WHEN "last_error" LIKE '%ECONNREFUSED%' THEN 'connection refused'
	ELSE 'delivery failed'
END
WHERE "channel" = 'webhook' AND "last_error" IS NOT NULL;
