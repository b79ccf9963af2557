/**
 * The reads behind `modbot rules backtest` and `rules status` (src/audit/backtest/): stored
 * decisions of a window, page by page in time order (keyset on created_at, id: memory stays one
 * page whatever the window holds), the moderators' decisions on those comments (the labels),
 * classifier results from the cache, the history of rule sets, and per-rule counts.
 * Read only: a backtest never writes.
 */
import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from '../client.js';

/** One stored decision with what re-deciding it needs (see page()). */
export interface StoredDecisionRow {
  readonly id: string;
  /** created_at in microseconds since 1970: exact (below 2^53), the keyset cursor. */
  readonly atMicros: number;
  readonly accountId: string;
  readonly kind: string;
  readonly commentId: string | null;
  readonly mediaId: string | null;
  readonly authorId: string | null;
  readonly authorUsername: string | null;
  readonly text: string | null;
  /** The first 16 hex digits of the normalised text's hash (with `withHash`), else null. */
  readonly hashKey: string | null;
  readonly mediaType: string | null;
  readonly adId: string | null;
  /** An own comment or a test event (never acted on). */
  readonly skipped: boolean;
  readonly redacted: boolean;
  readonly action: string;
  readonly decidingRule: string | null;
  readonly replied: boolean;
  /** The scores the decision's classifier calls returned: [classifier, question or '', scores]. */
  readonly scores: ReadonlyArray<readonly [string, string, Readonly<Record<string, number>>]> | null;
}

export interface PageOptions {
  /** Read the media type and ad id from the inbox event (only a `media type` condition needs them). */
  readonly withMedia?: boolean;
  /** Read the text hash prefix (repetition conditions and cache lookups need it). */
  readonly withHash?: boolean;
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
  /** Up to `limit` decisions after the cursor, oldest first. */
  page(
    window: DecisionWindow,
    after: { atMicros: number; id: string } | null,
    limit: number,
    options?: PageOptions,
  ): Promise<StoredDecisionRow[]>;
  /** How many decisions of the window each rule set made. */
  ruleSetsOf(window: DecisionWindow): Promise<Record<string, number>>;
  /** Per comment, what moderators did from `since` on. */
  moderatorLabels(window: Pick<DecisionWindow, 'since' | 'accountId'>): Promise<ModeratorLabelRow[]>;
  /** Cache entries whose text hash starts with one of these 16-digit prefixes (any namespace). */
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

function windowSql(window: DecisionWindow) {
  return sql`d.created_at >= ${window.since.toISOString()}::timestamptz
    and d.created_at < ${window.until.toISOString()}::timestamptz
    ${window.accountId !== undefined ? sql`and d.account_id = ${window.accountId}` : sql``}`;
}

export function createBacktestRepo(db: Database): BacktestRepo {
  return {
    async page(window, after, limit, options: PageOptions = {}) {
      const media = options.withMedia === true;
      // What travels is kept small (the read is most of a backtest's time): camelCase names so
      // the rows are used as they come, times as microseconds, a 16-digit prefix of the text hash.
      const rows = rowsOf<StoredDecisionRow & { scores: StoredDecisionRow['scores'] | string }>(
        await db.execute(sql`
          select d.id, (extract(epoch from d.created_at) * 1000000)::float8 as "atMicros",
            d.account_id as "accountId", d.kind, d.comment_id as "commentId", d.media_id as "mediaId",
            d.author_id as "authorId", d.author_username as "authorUsername", d.text,
            ${options.withHash === true ? sql`left(d.text_hash, 16)` : sql`null`} as "hashKey",
            ${media ? sql`i.event->>'mediaProductType'` : sql`null`} as "mediaType",
            ${media ? sql`i.event->>'adId'` : sql`null`} as "adId",
            -- own comments and test events were skipped; the candidate skips them too
            d.outcome = 'skipped' as skipped, d.redacted_at is not null as redacted, d.action,
            d.deciding_rule as "decidingRule", d.steps @> '[{"type":"reply"}]'::jsonb as replied,
            -- only the scores travel, not the whole explanation
            case when jsonb_array_length(d.detail->'classifierCalls') > 0 then (
              select jsonb_agg(jsonb_build_array(c->>'classifier', coalesce(c->>'question', ''), c->'result'->'scores'))
              from jsonb_array_elements(d.detail->'classifierCalls') c
              where jsonb_typeof(c->'result') = 'object') end as scores
          from decisions d
          ${media ? sql`left join inbox i on i.id = d.inbox_id` : sql``}
          where ${windowSql(window)}
            ${
              after
                ? sql`and (d.created_at, d.id) > ('epoch'::timestamptz + ${String(after.atMicros)}::bigint * interval '1 microsecond', ${after.id}::uuid)`
                : sql``
            }
          order by d.created_at, d.id
          limit ${limit}`),
      );
      for (const r of rows) if (typeof r.scores === 'string') r.scores = JSON.parse(r.scores);
      return rows as StoredDecisionRow[];
    },

    async ruleSetsOf(window) {
      const rows = rowsOf<{ hash: string; n: string | number }>(
        await db.execute(sql`
          select d.rule_set_hash as hash, count(*) as n from decisions d where ${windowSql(window)} group by 1`),
      );
      return Object.fromEntries(rows.map((r) => [r.hash, Number(r.n)]));
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
          where left(split_part(key, ':', -1), 16) = any(${`{${hashes.map((h) => h.replace(/[^0-9a-f]/gi, '')).join(',')}}`}::text[])
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
