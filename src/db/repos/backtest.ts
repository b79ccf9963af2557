/**
 * The reads behind `modbot rules backtest` and `rules status` (src/audit/backtest/): stored
 * decisions of a window, page by page in time order (keyset on created_at, id: memory stays one
 * page whatever the window holds), the moderators' decisions on those comments (the labels),
 * classifier results from the cache, the history of rule sets, and per-rule counts.
 * Read only: a backtest never writes.
 */
import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from '../client.js';

/** One stored decision with what re-deciding it needs (the event's fields from its inbox row). */
export interface StoredDecisionRow {
  readonly id: string;
  /** created_at as Postgres prints it: the exact keyset cursor (microseconds kept). */
  readonly at: string;
  readonly createdAt: Date;
  readonly accountId: string;
  readonly kind: string;
  readonly commentId: string | null;
  readonly mediaId: string | null;
  readonly parentId: string | null;
  readonly authorId: string | null;
  readonly authorUsername: string | null;
  readonly text: string | null;
  readonly textHash: string | null;
  readonly mediaType: string | null;
  readonly adId: string | null;
  readonly fromSelf: boolean;
  readonly isTest: boolean;
  readonly redacted: boolean;
  readonly ruleSetHash: string;
  readonly action: string;
  readonly decidingRule: string | null;
  readonly replied: boolean;
  /** The scores the decision's classifier calls returned: [classifier, question or '', scores]. */
  readonly scores: ReadonlyArray<readonly [string, string, Readonly<Record<string, number>>]> | null;
}

export interface DecisionWindow {
  readonly since: Date;
  readonly until: Date;
  readonly accountId?: string | undefined;
}

/** What moderators did to one comment, as far as a backtest needs it. */
export interface ModeratorLabelRow {
  readonly accountId: string;
  readonly commentId: string;
  /** An unhide, an approval, or a hide cancelled by an approval/undo. */
  readonly approved: boolean;
  /** A hide or delete by a moderator (not cancelled). */
  readonly hidden: boolean;
}

export interface RuleHitsRow {
  readonly ruleId: string;
  readonly last7Days: number;
  readonly last30Days: number;
}

export interface ReversalRow {
  readonly ruleId: string | null;
  readonly action: string;
  readonly decided: number;
  readonly reversed: number;
}

export interface BacktestRepo {
  /**
   * Up to `limit` decisions after the cursor, oldest first. The media type and ad id come from
   * the inbox event only with `withMedia` (the join costs about as much as the rest of the read,
   * and only a `media type` condition needs them).
   */
  page(
    window: DecisionWindow,
    after: { at: string; id: string } | null,
    limit: number,
    options?: { withMedia?: boolean },
  ): Promise<StoredDecisionRow[]>;
  /** Per comment, what moderators did from `since` on. */
  moderatorLabels(window: Pick<DecisionWindow, 'since' | 'accountId'>): Promise<ModeratorLabelRow[]>;
  /** Cache keys ending with one of these text hashes (the namespace is unknown to a backtest). */
  cachedByTextHash(
    hashes: readonly string[],
  ): Promise<Array<{ key: string; scores: Record<string, number> }>>;
  /** Every stored rule set, oldest first (for when a rule was added). */
  ruleSetHistory(): Promise<
    Array<{ hash: string; firstSeenAt: Date; files: { path: string; content: string }[] }>
  >;
  /** How often each rule fired (enforce or shadow) in the last 7 and 30 days. */
  ruleHits(now: Date): Promise<RuleHitsRow[]>;
  /** How many decisions the rule fired on since a time. */
  firedSince(ruleId: string, since: Date): Promise<number>;
  /** What shadow rules would have done (the top rule of `detail.shadow`) since a time, by action. */
  shadowWouldDo(ruleId: string, since: Date): Promise<Array<{ action: string; count: number }>>;
  /** Automatic hides/holds/deletes since `since` and how many moderators reversed, by rule. */
  reversals(since: Date): Promise<ReversalRow[]>;
}

/** A moderator's approval or undo, or a hide cancelled by one (src/audit/moderator-action.ts). */
const approvalSql = sql`(
  (a.actor like 'moderator:%' and a.type = 'unhide' and a.status <> 'dismissed')
  or (a.actor like 'moderator:%' and a.type = 'review' and a.status = 'dismissed')
  or (a.actor = 'modbot' and a.type = 'hide' and a.status = 'dismissed'
      and a.reason ~ '^(approved|undone) by moderator:'))`;

const manualHideSql = sql`(a.actor like 'moderator:%' and a.type in ('hide', 'delete') and a.status <> 'dismissed')`;

export function createBacktestRepo(db: Database): BacktestRepo {
  return {
    async page(window, after, limit, options: { withMedia?: boolean } = {}) {
      const media = options.withMedia === true;
      const rows = rowsOf<{
        id: string;
        at: string;
        account_id: string;
        kind: string;
        comment_id: string | null;
        media_id: string | null;
        author_id: string | null;
        author_username: string | null;
        text: string | null;
        text_hash: string | null;
        media_type: string | null;
        ad_id: string | null;
        from_self: boolean | null;
        redacted: boolean;
        rule_set_hash: string;
        action: string;
        deciding_rule: string | null;
        replied: boolean;
        scores: Array<[string, string, Record<string, number>]> | string | null;
      }>(
        await db.execute(sql`
          select d.id, d.created_at::text as at, d.account_id, d.kind, d.comment_id, d.media_id,
            d.author_id, d.author_username, d.text, d.text_hash,
            ${media ? sql`i.event->>'mediaProductType'` : sql`null`} as media_type,
            ${media ? sql`i.event->>'adId'` : sql`null`} as ad_id,
            -- own comments and test events were skipped; the candidate skips them too
            d.outcome = 'skipped' as from_self,
            d.redacted_at is not null as redacted, d.rule_set_hash, d.action, d.deciding_rule,
            d.steps @> '[{"type":"reply"}]'::jsonb as replied,
            -- only the scores travel, not the whole explanation
            case when jsonb_array_length(d.detail->'classifierCalls') > 0 then (
              select jsonb_agg(jsonb_build_array(c->>'classifier', coalesce(c->>'question', ''), c->'result'->'scores'))
              from jsonb_array_elements(d.detail->'classifierCalls') c
              where jsonb_typeof(c->'result') = 'object') end as scores
          from decisions d
          ${media ? sql`left join inbox i on i.id = d.inbox_id` : sql``}
          where d.created_at >= ${window.since.toISOString()}::timestamptz
            and d.created_at < ${window.until.toISOString()}::timestamptz
            ${window.accountId !== undefined ? sql`and d.account_id = ${window.accountId}` : sql``}
            ${after ? sql`and (d.created_at, d.id) > (${after.at}::timestamptz, ${after.id}::uuid)` : sql``}
          order by d.created_at, d.id
          limit ${limit}`),
      );
      return rows.map((r) => ({
        id: r.id,
        at: r.at,
        createdAt: new Date(r.at),
        accountId: r.account_id,
        kind: r.kind,
        commentId: r.comment_id,
        mediaId: r.media_id,
        // Only where a reply would be posted depends on it; a decision does not.
        parentId: null,
        authorId: r.author_id,
        authorUsername: r.author_username,
        text: r.text,
        textHash: r.text_hash,
        mediaType: r.media_type,
        adId: r.ad_id,
        fromSelf: r.from_self === true,
        isTest: false,
        redacted: r.redacted,
        ruleSetHash: r.rule_set_hash,
        action: r.action,
        decidingRule: r.deciding_rule,
        replied: r.replied,
        scores: typeof r.scores === 'string' ? JSON.parse(r.scores) : r.scores,
      }));
    },

    async moderatorLabels(window) {
      const rows = rowsOf<{ account_id: string; comment_id: string; approved: boolean; hidden: boolean }>(
        await db.execute(sql`
          select a.account_id, a.comment_id, bool_or(${approvalSql}) as approved, bool_or(${manualHideSql}) as hidden
          from actions a
          where a.created_at >= ${window.since.toISOString()}::timestamptz and a.comment_id is not null
            and (a.actor like 'moderator:%' or (a.actor = 'modbot' and a.status = 'dismissed'))
            ${window.accountId !== undefined ? sql`and a.account_id = ${window.accountId}` : sql``}
          group by a.account_id, a.comment_id`),
      );
      return rows
        .filter((r) => r.approved || r.hidden)
        .map((r) => ({
          accountId: r.account_id,
          commentId: r.comment_id,
          approved: r.approved,
          hidden: r.hidden,
        }));
    },

    async cachedByTextHash(hashes) {
      if (hashes.length === 0) return [];
      const rows = rowsOf<{ key: string; scores: Record<string, number> | string | null }>(
        await db.execute(sql`
          select key, result->'scores' as scores from classifier_cache
          where split_part(key, ':', -1) = any(${`{${hashes.map((h) => h.replace(/[^0-9a-f]/gi, '')).join(',')}}`}::text[])
            and expires_at > now()`),
      );
      return rows.flatMap((r) => {
        const scores = typeof r.scores === 'string' ? JSON.parse(r.scores) : r.scores;
        return scores ? [{ key: r.key, scores }] : [];
      });
    },

    async ruleSetHistory() {
      const rows = rowsOf<{
        hash: string;
        first_seen_at: string;
        files: { path: string; content: string }[] | string;
      }>(
        await db.execute(
          sql`select hash, first_seen_at::text, files from rule_sets order by first_seen_at, hash`,
        ),
      );
      return rows.map((r) => ({
        hash: r.hash,
        firstSeenAt: new Date(r.first_seen_at),
        files: typeof r.files === 'string' ? JSON.parse(r.files) : r.files,
      }));
    },

    async ruleHits(now) {
      const d7 = new Date(now.getTime() - 7 * 86_400_000).toISOString();
      const d30 = new Date(now.getTime() - 30 * 86_400_000).toISOString();
      const rows = rowsOf<{ rule_id: string; d7: string | number; d30: string | number }>(
        await db.execute(sql`
          select r.rule_id, count(*) filter (where d.created_at >= ${d7}::timestamptz) as d7, count(*) as d30
          from decisions d cross join lateral unnest(d.fired_rules) as r(rule_id)
          where d.created_at >= ${d30}::timestamptz and d.created_at <= ${now.toISOString()}::timestamptz
          group by r.rule_id`),
      );
      return rows.map((r) => ({ ruleId: r.rule_id, last7Days: Number(r.d7), last30Days: Number(r.d30) }));
    },

    async firedSince(ruleId, since) {
      const [row] = rowsOf<{ n: string | number }>(
        await db.execute(sql`
          select count(*) as n from decisions d
          where d.created_at >= ${since.toISOString()}::timestamptz and d.fired_rules @> array[${ruleId}]::text[]`),
      );
      return Number(row?.n ?? 0);
    },

    async shadowWouldDo(ruleId, since) {
      const rows = rowsOf<{ action: string; n: string | number }>(
        await db.execute(sql`
          select d.detail->'shadow'->>'action' as action, count(*) as n from decisions d
          where d.created_at >= ${since.toISOString()}::timestamptz and d.fired_rules @> array[${ruleId}]::text[]
            and d.detail->'shadow'->>'ruleId' = ${ruleId}
          group by 1`),
      );
      return rows.map((r) => ({ action: r.action, count: Number(r.n) }));
    },

    async reversals(since) {
      const rows = rowsOf<{
        rule_id: string | null;
        action: string;
        decided: string | number;
        reversed: string | number;
      }>(
        await db.execute(sql`
          select d.deciding_rule as rule_id, d.action, count(*) as decided,
            count(*) filter (where exists (
              select 1 from actions a where a.comment_id = d.comment_id and a.account_id = d.account_id
                and a.created_at >= d.created_at and ${approvalSql})) as reversed
          from decisions d
          where d.created_at >= ${since.toISOString()}::timestamptz and d.action in ('hide', 'delete', 'review')
          group by 1, 2`),
      );
      return rows.map((r) => ({
        ruleId: r.rule_id,
        action: r.action,
        decided: Number(r.decided),
        reversed: Number(r.reversed),
      }));
    },
  };
}
