CREATE TABLE "privilege_set_accounts" (
	"set_id" uuid NOT NULL,
	"credential_id" uuid NOT NULL,
	CONSTRAINT "privilege_set_accounts_set_id_credential_id_pk" PRIMARY KEY("set_id","credential_id")
);
--> statement-breakpoint
CREATE TABLE "privilege_set_items" (
	"set_id" uuid NOT NULL,
	"privilege_id" uuid NOT NULL,
	CONSTRAINT "privilege_set_items_set_id_privilege_id_pk" PRIMARY KEY("set_id","privilege_id")
);
--> statement-breakpoint
CREATE TABLE "privilege_sets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"allow_own_account" boolean DEFAULT false NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "privilege_sets_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "privilege_set_id" uuid;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "set_privilege_ids" uuid[];--> statement-breakpoint
ALTER TABLE "privilege_set_accounts" ADD CONSTRAINT "privilege_set_accounts_set_id_privilege_sets_id_fk" FOREIGN KEY ("set_id") REFERENCES "public"."privilege_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "privilege_set_accounts" ADD CONSTRAINT "privilege_set_accounts_credential_id_catalog_credentials_id_fk" FOREIGN KEY ("credential_id") REFERENCES "public"."catalog_credentials"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "privilege_set_items" ADD CONSTRAINT "privilege_set_items_set_id_privilege_sets_id_fk" FOREIGN KEY ("set_id") REFERENCES "public"."privilege_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "privilege_set_items" ADD CONSTRAINT "privilege_set_items_privilege_id_privileges_id_fk" FOREIGN KEY ("privilege_id") REFERENCES "public"."privileges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "privilege_sets" ADD CONSTRAINT "privilege_sets_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "privilege_set_accounts_credential" ON "privilege_set_accounts" USING btree ("credential_id");--> statement-breakpoint
CREATE INDEX "privilege_set_items_privilege" ON "privilege_set_items" USING btree ("privilege_id");--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_privilege_set_id_privilege_sets_id_fk" FOREIGN KEY ("privilege_set_id") REFERENCES "public"."privilege_sets"("id") ON DELETE no action ON UPDATE no action;