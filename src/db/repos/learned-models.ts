/**
 * SQL for learning from moderators (src/learn/ decides what): the moderators' last word on each
 * comment with the comment's recorded text, the recent stored comments a new model would score
 * differently, and the learned models table (apply, revert, which is in force).
 * Every user value reaches SQL as a bound parameter.
 */
import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { BuiltinModelData } from '../../classify/builtin/model.js';
import { type Database, rowsOf } from '../client.js';
import { learnedModels } from '../schema/learned-models.js';

/** What a moderator last did to a comment, with the text the classifier read. */
export interface ModeratorLabelRow {
  readonly accountId: string;
  readonly commentId: string;
  /** The moderator's last action on it: hide, delete, unhide, or review (= an approval). */
  readonly type: 'hide' | 'delete' | 'unhide' | 'review';
  readonly at: Date;
  /** The normalised text of the comment's latest decision; null when erased or never decided. */
  readonly normalisedText: string | null;
  /** Whether modbot itself had hidden (or planned to hide) it: an unhide/approval is a reversal. */
  readonly autoHidden: boolean;
}

/** One distinct text among recent stored comments, with how many comments had it. */
export interface StoredTextRow {
  readonly normalisedText: string;
  readonly text: string;
  readonly commentId: string | null;
  readonly comments: number;
}

/** A stored learned model without its weights (listing). */
export interface LearnedModelSummary {
  readonly id: number;
  readonly version: string;
  readonly featureVersion: number;
  readonly baseVersion: string;
  readonly labels: Record<string, number>;
  readonly figures: Record<string, unknown>;
  readonly labelsSince: Date;
  readonly active: boolean;
  readonly appliedAt: Date;
  readonly appliedBy: string;
  readonly revertedAt: Date | null;
  readonly revertedBy: string | null;
}

export interface NewLearnedModel {
  readonly model: BuiltinModelData;
  readonly baseVersion: string;
  readonly labels: Record<string, number>;
  readonly figures: Record<string, unknown>;
  readonly labelsSince: Date;
  readonly appliedBy: string;
}

const summaryColumns = {
  id: learnedModels.id,
  version: learnedModels.version,
  featureVersion: learnedModels.featureVersion,
  baseVersion: learnedModels.baseVersion,
  labels: learnedModels.labels,
  figures: learnedModels.figures,
  labelsSince: learnedModels.labelsSince,
  active: learnedModels.active,
  appliedAt: learnedModels.appliedAt,
  appliedBy: learnedModels.appliedBy,
  revertedAt: learnedModels.revertedAt,
  revertedBy: learnedModels.revertedBy,
};

export function createLearnedModelsRepo(db: Database) {
  return {
    /**
     * Per comment, the moderators' LAST hide, delete, unhide or approval (an approval is the
     * moderator's "review" row) since `since`: a moderator who hid and then approved meant the
     * approval. With the comment's latest recorded normalised text and whether modbot had hidden it.
     */
    async moderatorLabels(since: Date): Promise<ModeratorLabelRow[]> {
      const rows = rowsOf<{
        account_id: string;
        comment_id: string;
        type: ModeratorLabelRow['type'];
        at: string | Date;
        normalised_text: string | null;
        auto_hidden: boolean;
      }>(
        await db.execute(sql`
          with said as (
            -- What moderators did; a hide or delete of theirs cancelled before it ran is no hide.
            select a.account_id, a.comment_id, a.type, a.created_at, a.id
              from actions a
             where a.actor like 'moderator:%'
               and a.comment_id is not null
               and a.type in ('hide', 'delete', 'unhide', 'review')
               and not (a.type in ('hide', 'delete') and a.status = 'dismissed')
               and a.created_at >= ${since.toISOString()}::timestamptz
            union all
            -- An approval or undo that cancelled modbot's hide before it ran leaves no row of its
            -- own: the hide records it (dismissed, "approved by moderator:…"). It is an unhide.
            select a.account_id, a.comment_id, 'unhide', a.completed_at, a.id
              from actions a
             where a.actor = 'modbot' and a.type = 'hide' and a.status = 'dismissed'
               and a.comment_id is not null and a.completed_at is not null
               and (a.reason like 'approved by moderator:%' or a.reason like 'undone by moderator:%')
               and a.completed_at >= ${since.toISOString()}::timestamptz),
          last as (
            select distinct on (account_id, comment_id) account_id, comment_id, type, created_at
              from said
             order by account_id, comment_id, created_at desc, id desc)
          select last.account_id, last.comment_id, last.type, last.created_at as at,
                 d.normalised_text,
                 exists (select 1 from actions h
                          where h.account_id = last.account_id and h.comment_id = last.comment_id
                            and h.actor = 'modbot' and h.type = 'hide') as auto_hidden
            from last
            left join lateral (
              select case when d.redacted_at is null then d.normalised_text end as normalised_text
                from decisions d
               where d.account_id = last.account_id and d.comment_id = last.comment_id
               order by d.created_at desc limit 1) d on true
           order by last.account_id, last.comment_id`),
      );
      return rows.map((r) => ({
        accountId: r.account_id,
        commentId: r.comment_id,
        type: r.type,
        at: new Date(r.at),
        normalisedText: r.normalised_text,
        autoHidden: r.auto_hidden === true || (r.auto_hidden as unknown) === 't',
      }));
    },

    /** Distinct texts of the comments decided since `since` (not erased), most frequent first. */
    async storedTexts(since: Date, limit: number): Promise<StoredTextRow[]> {
      const rows = rowsOf<{
        normalised_text: string;
        text: string;
        comment_id: string | null;
        n: string | number;
      }>(
        await db.execute(sql`
          -- One comment's text and id as the example (the same row for both).
          select (array_agg(normalised_text order by comment_id))[1] as normalised_text,
                 (array_agg(text order by comment_id))[1] as text,
                 (array_agg(comment_id order by comment_id))[1] as comment_id, count(*) as n
            from decisions
           where created_at >= ${since.toISOString()}::timestamptz
             and kind = 'comment' and redacted_at is null and normalised_text is not null
             and text_hash is not null
           group by account_id, text_hash
           order by count(*) desc, (array_agg(comment_id order by comment_id))[1]
           limit ${limit}`),
      );
      return rows.map((r) => ({
        normalisedText: r.normalised_text,
        text: r.text,
        commentId: r.comment_id,
        comments: Number(r.n),
      }));
    },

    list(): Promise<LearnedModelSummary[]> {
      return db.select(summaryColumns).from(learnedModels).orderBy(desc(learnedModels.id));
    },

    /** The model in force with its weights, or null (the shipped model is). */
    async active(): Promise<(LearnedModelSummary & { model: BuiltinModelData }) | null> {
      const [row] = await db
        .select({ ...summaryColumns, model: learnedModels.model })
        .from(learnedModels)
        .where(eq(learnedModels.active, true));
      return row ?? null;
    },

    /** Which model is in force, cheaply (the reload check): its id, version and feature version. */
    async activeKey(): Promise<{ id: number; version: string; featureVersion: number } | null> {
      const [row] = await db
        .select({
          id: learnedModels.id,
          version: learnedModels.version,
          featureVersion: learnedModels.featureVersion,
        })
        .from(learnedModels)
        .where(eq(learnedModels.active, true));
      return row ?? null;
    },

    /** Stores `m` and puts it in force (the previous one stays, inactive, for a revert). */
    apply(m: NewLearnedModel): Promise<LearnedModelSummary> {
      return db.transaction(async (tx) => {
        await tx.update(learnedModels).set({ active: false }).where(eq(learnedModels.active, true));
        const [row] = await tx
          .insert(learnedModels)
          .values({
            version: m.model.version,
            featureVersion: m.model.featureVersion,
            baseVersion: m.baseVersion,
            model: m.model,
            labels: m.labels,
            figures: m.figures,
            labelsSince: m.labelsSince,
            active: true,
            appliedBy: m.appliedBy,
          })
          .returning(summaryColumns);
        return row!;
      });
    },

    /**
     * Takes the model in force out (recording who) and puts back the one applied before it that
     * was never reverted; none = the shipped model. Returns both, or null when none was in force.
     */
    revert(
      by: string,
    ): Promise<{ reverted: LearnedModelSummary; restored: LearnedModelSummary | null } | null> {
      return db.transaction(async (tx) => {
        const [current] = await tx
          .select(summaryColumns)
          .from(learnedModels)
          .where(eq(learnedModels.active, true))
          .for('update');
        if (!current) return null;
        const [reverted] = await tx
          .update(learnedModels)
          .set({ active: false, revertedAt: new Date(), revertedBy: by })
          .where(eq(learnedModels.id, current.id))
          .returning(summaryColumns);
        const [previous] = await tx
          .select({ id: learnedModels.id })
          .from(learnedModels)
          .where(and(lt(learnedModels.id, current.id), isNull(learnedModels.revertedAt)))
          .orderBy(desc(learnedModels.id))
          .limit(1);
        let restored: LearnedModelSummary | undefined;
        if (previous) {
          [restored] = await tx
            .update(learnedModels)
            .set({ active: true })
            .where(eq(learnedModels.id, previous.id))
            .returning(summaryColumns);
        }
        return { reverted: reverted!, restored: restored ?? null };
      });
    },
  };
}

export type LearnedModelsRepo = ReturnType<typeof createLearnedModelsRepo>;
