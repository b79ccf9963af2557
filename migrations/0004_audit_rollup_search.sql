CREATE TABLE "decision_daily" (
	"day" date NOT NULL,
	"account_id" text NOT NULL,
	"action" text NOT NULL,
	"rule" text NOT NULL,
	"deciding" boolean NOT NULL,
	"n" integer NOT NULL,
	"rolled_up_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "decision_daily_day_account_id_action_rule_deciding_pk" PRIMARY KEY("day","account_id","action","rule","deciding")
);
--> statement-breakpoint
DROP INDEX "decisions_created_idx";--> statement-breakpoint
DROP INDEX "decisions_text_search_idx";--> statement-breakpoint
ALTER TABLE "decisions" ADD COLUMN "search" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', coalesce(text, '') || ' ' || coalesce(normalised_text, ''))) STORED;--> statement-breakpoint
CREATE INDEX "decision_daily_rule_day_idx" ON "decision_daily" USING btree ("rule","day");--> statement-breakpoint
CREATE INDEX "decisions_created_account_action_idx" ON "decisions" USING btree ("created_at","account_id","action");--> statement-breakpoint
CREATE INDEX "decisions_search_idx" ON "decisions" USING gin ("search");