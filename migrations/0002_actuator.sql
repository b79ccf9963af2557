CREATE TABLE "accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"username" text,
	"login_type" text NOT NULL,
	"access_token_encrypted" text,
	"token_expires_at" timestamp with time zone,
	"token_refreshed_at" timestamp with time zone,
	"status" text DEFAULT 'active' NOT NULL,
	"status_reason" text,
	"paused_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "action_attempts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"action_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL,
	"request" text NOT NULL,
	"http_status" integer,
	"outcome" text NOT NULL,
	"error_code" integer,
	"error_subcode" integer,
	"error" text,
	"response" jsonb
);
--> statement-breakpoint
CREATE TABLE "actions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"decision_id" uuid,
	"inbox_id" bigint,
	"account_id" text NOT NULL,
	"comment_id" text,
	"media_id" text,
	"type" text NOT NULL,
	"message" text,
	"seq" smallint DEFAULT 0 NOT NULL,
	"priority" smallint DEFAULT 0 NOT NULL,
	"actor" text DEFAULT 'modbot' NOT NULL,
	"rule_id" text,
	"status" text DEFAULT 'planned' NOT NULL,
	"reason" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"claim_token" uuid,
	"last_error" text,
	"result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "action_attempts_action_idx" ON "action_attempts" USING btree ("action_id");--> statement-breakpoint
CREATE UNIQUE INDEX "actions_decision_seq_idx" ON "actions" USING btree ("decision_id","seq");--> statement-breakpoint
CREATE INDEX "actions_due_idx" ON "actions" USING btree ("priority","next_attempt_at") WHERE status = 'planned';--> statement-breakpoint
CREATE INDEX "actions_lease_idx" ON "actions" USING btree ("lease_until") WHERE status = 'in_progress';--> statement-breakpoint
CREATE INDEX "actions_account_idx" ON "actions" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE INDEX "actions_comment_idx" ON "actions" USING btree ("comment_id");