CREATE TABLE "erasures" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"confirmation_code" text,
	"subject_hash" text,
	"requested_by" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"cutoff" timestamp with time zone,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "erasures_confirmation_code_unique" UNIQUE("confirmation_code")
);
--> statement-breakpoint
ALTER TABLE "decisions" ADD COLUMN "redacted_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "erasures_kind_requested_idx" ON "erasures" USING btree ("kind","requested_at");--> statement-breakpoint
CREATE INDEX "decisions_created_idx" ON "decisions" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "decisions_fired_rules_idx" ON "decisions" USING gin ("fired_rules");--> statement-breakpoint
CREATE INDEX "decisions_author_created_idx" ON "decisions" USING btree ("author_id","created_at");--> statement-breakpoint
CREATE INDEX "decisions_username_created_idx" ON "decisions" USING btree (lower("author_username"),"created_at");--> statement-breakpoint
CREATE INDEX "decisions_text_search_idx" ON "decisions" USING gin (to_tsvector('simple', coalesce("text", '') || ' ' || coalesce("normalised_text", '')));