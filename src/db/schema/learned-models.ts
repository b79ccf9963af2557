import { sql } from 'drizzle-orm';
import { boolean, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { BuiltinModelData } from '../../classify/builtin/model.js';

/**
 * Builtin spam models learned from this deployment's moderators (`modbot train --from-audit
 * --apply`), one row per applied model, never deleted: which one is in force (`active`, at most
 * one), who applied it and when, who reverted it, the label counts and training figures it was
 * applied with. No row active = the shipped model.
 */
export const learnedModels = pgTable(
  'learned_models',
  {
    /** The learned model's number, in the order applied (`modbot train --status`). */
    id: serial('id').primaryKey(),
    /** Content hash of the weights, recorded on every decision the model makes. */
    version: text('version').notNull(),
    /** The feature version of the code that trained it: other code does not use it. */
    featureVersion: integer('feature_version').notNull(),
    /** The shipped model it was fine-tuned from. */
    baseVersion: text('base_version').notNull(),
    model: jsonb('model').$type<BuiltinModelData>().notNull(),
    /** Label counts by kind (positive, negative; from hides, deletes, approvals, unhides). */
    labels: jsonb('labels').$type<Record<string, number>>().notNull(),
    /** What training measured: labels right before and after, threshold crossings, options. */
    figures: jsonb('figures').$type<Record<string, unknown>>().notNull(),
    /** The start of the label window (`--since`). */
    labelsSince: timestamp('labels_since', { withTimezone: true }).notNull(),
    active: boolean('active').notNull().default(false),
    appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
    appliedBy: text('applied_by').notNull(),
    revertedAt: timestamp('reverted_at', { withTimezone: true }),
    revertedBy: text('reverted_by'),
  },
  (t) => [uniqueIndex('learned_models_one_active_idx').on(t.active).where(sql`active`)],
);
