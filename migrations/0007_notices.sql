-- Notices waiting to be sent on Cloudflare Workers (src/notify/stored.ts): written by the
-- invocation that raised them, sent by the cron minute as one message.
CREATE TABLE "notices" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"notice" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_until" timestamp with time zone,
	"sent_at" timestamp with time zone
);--> statement-breakpoint
CREATE INDEX "notices_unsent_idx" ON "notices" USING btree ("id") WHERE sent_at is null;--> statement-breakpoint
CREATE INDEX "notices_sent_at_idx" ON "notices" USING btree ("sent_at");--> statement-breakpoint
CREATE INDEX "notices_key_idx" ON "notices" USING btree ("key","id");
