CREATE TABLE "deliveries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"request_id" text,
	"signed_with" text NOT NULL,
	"body" text NOT NULL,
	"change_count" integer NOT NULL,
	"event_count" integer NOT NULL,
	"unhandled" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"is_test" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "inbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"delivery_id" uuid NOT NULL,
	"dedupe_key" text NOT NULL,
	"account_id" text NOT NULL,
	"field" text NOT NULL,
	"kind" text NOT NULL,
	"comment_id" text,
	"media_id" text,
	"event" jsonb NOT NULL,
	"is_test" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"priority" smallint DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"claim_token" uuid,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	CONSTRAINT "inbox_dedupe_key_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
CREATE INDEX "inbox_due_idx" ON "inbox" USING btree ("priority","next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "inbox_lease_idx" ON "inbox" USING btree ("lease_until") WHERE status = 'processing';--> statement-breakpoint
CREATE INDEX "inbox_account_created_idx" ON "inbox" USING btree ("account_id","created_at");