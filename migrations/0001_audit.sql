CREATE TABLE "decisions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"inbox_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"account_id" text NOT NULL,
	"kind" text NOT NULL,
	"comment_id" text,
	"media_id" text,
	"author_id" text,
	"author_username" text,
	"text" text,
	"normalised_text" text,
	"text_hash" text,
	"rule_set_hash" text NOT NULL,
	"outcome" text NOT NULL,
	"action" text NOT NULL,
	"deciding_rule" text,
	"fired_rules" text[] DEFAULT '{}'::text[] NOT NULL,
	"detail" jsonb NOT NULL,
	"steps" jsonb NOT NULL,
	"dry_run" boolean NOT NULL,
	"duration_ms" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rule_sets" (
	"hash" text PRIMARY KEY NOT NULL,
	"files" jsonb NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "classifier_cache" (
	"key" text PRIMARY KEY NOT NULL,
	"result" jsonb NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "decisions_inbox_idx" ON "decisions" USING btree ("inbox_id");--> statement-breakpoint
CREATE INDEX "decisions_account_created_idx" ON "decisions" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE INDEX "decisions_repetition_idx" ON "decisions" USING btree ("account_id","text_hash","created_at");--> statement-breakpoint
CREATE INDEX "decisions_comment_idx" ON "decisions" USING btree ("comment_id");--> statement-breakpoint
CREATE INDEX "classifier_cache_expires_idx" ON "classifier_cache" USING btree ("expires_at");