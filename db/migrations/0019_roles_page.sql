CREATE TABLE "access_version" (
	"id" integer PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "privilege_favourites" (
	"user_id" uuid NOT NULL,
	"privilege_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "privilege_favourites_user_id_privilege_id_pk" PRIMARY KEY("user_id","privilege_id")
);
--> statement-breakpoint
ALTER TABLE "privilege_favourites" ADD CONSTRAINT "privilege_favourites_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "privilege_favourites" ADD CONSTRAINT "privilege_favourites_privilege_id_privileges_id_fk" FOREIGN KEY ("privilege_id") REFERENCES "public"."privileges"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "privilege_favourites_user" ON "privilege_favourites" USING btree ("user_id","created_at");--> statement-breakpoint
-- Hand-written: the access version (server/requests/access-cache.ts). One row, bumped by a statement
-- trigger in the writing transaction, so a reader sees the new version only once the change is visible.
INSERT INTO "access_version" ("id", "version") VALUES (1, 0) ON CONFLICT DO NOTHING;--> statement-breakpoint
CREATE FUNCTION "bump_access_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "access_version" SET "version" = "version" + 1 WHERE "id" = 1;
  RETURN NULL;
END $$;--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['access_groups', 'access_group_members', 'access_group_activations', 'access_group_approvers', 'access_group_levels',
                           'privileges', 'privilege_sets', 'privilege_set_items', 'privilege_set_accounts', 'catalog_credentials', 'catalog_devices'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION "bump_access_version"()',
                   t || '_bump_access_version', t);
  END LOOP;
END $$;
