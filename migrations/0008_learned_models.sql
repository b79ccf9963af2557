CREATE TABLE "learned_models" (
	"id" serial PRIMARY KEY NOT NULL,
	"version" text NOT NULL,
	"feature_version" integer NOT NULL,
	"base_version" text NOT NULL,
	"model" jsonb NOT NULL,
	"labels" jsonb NOT NULL,
	"figures" jsonb NOT NULL,
	"labels_since" timestamp with time zone NOT NULL,
	"active" boolean DEFAULT false NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL,
	"applied_by" text NOT NULL,
	"reverted_at" timestamp with time zone,
	"reverted_by" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "learned_models_one_active_idx" ON "learned_models" USING btree ("active") WHERE active;
