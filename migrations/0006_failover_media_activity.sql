ALTER TABLE "inbox" ADD COLUMN "lease_holder" integer;--> statement-breakpoint
ALTER TABLE "actions" ADD COLUMN "lease_holder" integer;--> statement-breakpoint
CREATE TABLE "media_activity" (
	"account_id" text NOT NULL,
	"media_id" text NOT NULL,
	"comments_count" integer NOT NULL,
	"swept_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "media_activity_account_id_media_id_pk" PRIMARY KEY("account_id","media_id")
);
