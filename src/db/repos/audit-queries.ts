/**
 * The audit log's read-side SQL: the filter conditions, a page of decisions, one decision with
 * its rule set, actions and their calls (counts: audit-stats.ts).
 * Every user value reaches SQL as a bound parameter (drizzle builders and sql`` templates);
 * nothing is concatenated into SQL text. Paging is keyset (created_at, id), so a page costs the
 * same at row 50 and at row 500,000. Validation, cursors, rule sources and merging counts are
 * the audit's own (src/audit/query.ts).
 */
import { and, desc, eq, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { normalise } from '../../moderation/index.js';
import type { AttemptRecord } from '../../pipeline/ports.js';
import type { Database } from '../client.js';
import { actionAttempts, actions } from '../schema/actions.js';
import { decisions } from '../schema/decisions.js';
import { ruleSets } from '../schema/rule-sets.js';

/**
 * What decisions may be filtered by (src/audit/filters.ts checks and parses it: its AuditFilter
 * is one of these).
 */
export interface DecisionFilter {
  readonly account?: string | undefined;
  readonly media?: string | undefined;
  readonly comment?: string | undefined;
  /** An id, or a username (with @: only a username). */
  readonly author?: string | undefined;
  readonly rule?: string | undefined;
  readonly action?: string | undefined;
  readonly outcome?: string | undefined;
  /** "name" or "name:category". */
  readonly classifier?: string | undefined;
  readonly minScore?: number | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
  readonly q?: string | undefined;
  readonly dryRun?: boolean | undefined;
}

/** What counts can be grouped by (the audit's statsDimensions). */
export type StatsDimension = 'rule' | 'action' | 'day' | 'account' | 'author' | 'outcome';
const d = decisions;

/** The statuses each outcome filter stands for (actions.status). */
const outcomeStatuses: Record<string, readonly string[]> = {
  done: ['done'],
  failed: ['failed'],
  gone: ['gone'],
  pending: ['planned', 'in_progress', 'waiting'],
  held: ['held'],
  dismissed: ['dismissed'],
};

/** Stored tsvector of text and normalised text (GIN-indexed; decisions_search_idx). */
const searchVector = sql`${d.search}`;

function hasActionWith(statuses: readonly string[]): SQL {
  return sql`exists (select 1 from ${actions} a where a.decision_id = ${d.id} and a.status in ${sql`(${sql.join(
    statuses.map((s) => sql`${s}`),
    sql`, `,
  )})`})`;
}

/** The WHERE conditions for a filter (all bound parameters). */
export function filterConditions(f: DecisionFilter): SQL[] {
  const c: SQL[] = [];
  if (f.account) c.push(eq(d.accountId, f.account));
  if (f.media) c.push(eq(d.mediaId, f.media));
  if (f.comment) c.push(eq(d.commentId, f.comment));
  if (f.author) {
    const name = f.author.replace(/^@/, '');
    const byName = sql`lower(${d.authorUsername}) = lower(${name})`;
    // A bare number could be either: ids are numeric, usernames rarely are.
    c.push(f.author.startsWith('@') ? byName : (or(eq(d.authorId, name), byName) as SQL));
  }
  if (f.rule) c.push(sql`${d.firedRules} @> array[${f.rule}]::text[]`);
  if (f.action) c.push(eq(d.action, f.action));
  if (f.dryRun !== undefined) c.push(eq(d.dryRun, f.dryRun));
  if (f.since) c.push(gte(d.createdAt, f.since));
  if (f.until) c.push(lt(d.createdAt, f.until));
  if (f.outcome) {
    if (f.outcome === 'allowed') c.push(eq(d.action, 'allow'));
    else if (f.outcome === 'dry_run') {
      // Dry-run decisions with actions: rows marked dry_run, or (before the actuator existed) none at all.
      c.push(
        sql`(${hasActionWith(['dry_run'])} or (${d.dryRun} and ${d.action} <> 'allow' and not exists (select 1 from ${actions} a where a.decision_id = ${d.id})))`,
      );
    } else c.push(hasActionWith(outcomeStatuses[f.outcome] ?? []));
  }
  if (f.classifier) {
    const [name, category] = f.classifier.split(':');
    const min = f.minScore ?? 0;
    c.push(sql`exists (
      select 1 from jsonb_array_elements(case when jsonb_typeof(${d.detail}->'classifierCalls') = 'array' then ${d.detail}->'classifierCalls' else '[]'::jsonb end) call,
                    jsonb_each(case when jsonb_typeof(call->'result'->'scores') = 'object' then call->'result'->'scores' else '{}'::jsonb end) score
      where call->>'classifier' = ${name ?? ''}
        and (${category ?? null}::text is null or score.key = ${category ?? null}::text)
        and jsonb_typeof(score.value) = 'number'
        and (score.value #>> '{}')::float8 >= ${min}::float8)`);
  }
  if (f.q) {
    // As written and as modbot normalises it, so "dm me" also finds "𝐃𝐌 𝐦𝐞".
    const folded = normalise(f.q);
    c.push(
      folded && folded !== f.q.toLowerCase()
        ? sql`${searchVector} @@ (websearch_to_tsquery('simple', ${f.q}) || websearch_to_tsquery('simple', ${folded}))`
        : sql`${searchVector} @@ websearch_to_tsquery('simple', ${f.q})`,
    );
  }
  return c;
}
// ---------------------------------------------------------------------------------------------
// Listing

export interface ActionSummary {
  readonly id: string;
  readonly type: string;
  readonly status: string;
  readonly actor: string;
}

export interface DecisionSummary {
  readonly id: string;
  readonly createdAt: string;
  readonly accountId: string;
  readonly mediaId: string | null;
  readonly commentId: string | null;
  readonly kind: string;
  readonly authorId: string | null;
  readonly authorUsername: string | null;
  readonly text: string | null;
  readonly action: string;
  readonly outcome: string;
  readonly decidingRule: string | null;
  readonly firedRules: readonly string[];
  readonly dryRun: boolean;
  readonly redacted: boolean;
  readonly actions: readonly ActionSummary[];
}

/** Microsecond-exact creation time as text (a JS Date would drop microseconds and break paging). */
const createdAtText = sql<string>`to_char(${d.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Decisions matching `filter`, newest first, older than `before` (keyset paging): at most `limit`. */
export async function listDecisionRows(
  db: Database,
  filter: DecisionFilter,
  page: { limit: number; before?: { at: string; id: string } | undefined },
): Promise<DecisionSummary[]> {
  const conditions = filterConditions(filter);
  if (page.before) {
    const { at, id } = page.before;
    conditions.push(sql`(${d.createdAt}, ${d.id}) < (${at}::timestamptz, ${id}::uuid)`);
  }
  const rows = await db
    .select({
      id: d.id,
      createdAt: createdAtText,
      accountId: d.accountId,
      mediaId: d.mediaId,
      commentId: d.commentId,
      kind: d.kind,
      authorId: d.authorId,
      authorUsername: d.authorUsername,
      text: d.text,
      action: d.action,
      outcome: d.outcome,
      decidingRule: d.decidingRule,
      firedRules: d.firedRules,
      dryRun: d.dryRun,
      redactedAt: d.redactedAt,
      // In the same round trip; Postgres evaluates it only for the rows kept by LIMIT. (Qualified by
      // hand: drizzle leaves columns unqualified in a one-table select list.)
      actions: sql<
        ActionSummary[]
      >`(select coalesce(jsonb_agg(jsonb_build_object('id', a.id, 'type', a.type, 'status', a.status, 'actor', a.actor) order by a.seq), '[]'::jsonb)
        from ${actions} a where a.decision_id = "decisions"."id")`,
    })
    .from(d)
    .where(and(...conditions))
    .orderBy(desc(d.createdAt), desc(d.id))
    .limit(page.limit);
  return rows.map(({ redactedAt, ...r }) => ({
    ...r,
    firedRules: r.firedRules ?? [],
    redacted: redactedAt !== null,
    actions: typeof r.actions === 'string' ? (JSON.parse(r.actions) as ActionSummary[]) : (r.actions ?? []),
  }));
}

// ---------------------------------------------------------------------------------------------
// One decision

/** One Graph API call of an action, as `audit show` prints it (times as ISO strings). */
export type AttemptView = Omit<AttemptRecord, 'startedAt'> & {
  readonly attempt: number;
  readonly startedAt: string;
};

export interface ActionView {
  readonly id: string;
  readonly decisionId: string | null;
  readonly type: string;
  readonly status: string;
  readonly actor: string;
  readonly ruleId: string | null;
  readonly message: string | null;
  readonly reason: string | null;
  readonly lastError: string | null;
  readonly result: unknown;
  readonly createdAt: string;
  readonly completedAt: string | null;
  readonly attempts: readonly AttemptView[];
}

/** A stored decision, its times as text (creation to the microsecond, redaction to the second). */
export type DecisionRow = Omit<typeof decisions.$inferSelect, 'createdAt' | 'redactedAt' | 'search'> & {
  readonly createdAt: string;
  readonly redactedAt: string | null;
};

/** The decision with this id, or those about this comment id: newest first, at most 20. */
export async function findDecisionRows(
  db: Database,
  key: string,
  by: 'id' | 'comment',
): Promise<DecisionRow[]> {
  const rows = await db
    .select({
      row: d,
      createdAtText,
      redactedText: sql<
        string | null
      >`to_char(${d.redactedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`,
    })
    .from(d)
    .where(by === 'id' ? eq(d.id, key) : eq(d.commentId, key))
    .orderBy(desc(d.createdAt), desc(d.id))
    .limit(20);
  return rows.map(({ row: { createdAt: _at, redactedAt: _redacted, search: _search, ...row }, ...t }) => ({
    ...row,
    createdAt: t.createdAtText,
    redactedAt: t.redactedText,
  }));
}

/**
 * What explains a decision besides itself, read at once: the rule set that made it (null when it
 * was not stored), and the actions it planned and those on the same comment, with their calls.
 */
export async function decisionContext(
  db: Database,
  row: Pick<DecisionRow, 'id' | 'accountId' | 'commentId' | 'ruleSetHash'>,
): Promise<{
  ruleSet: { files: { path: string; content: string }[]; firstSeenAt: Date } | null;
  actions: ActionView[];
}> {
  const onThisComment = row.commentId
    ? or(
        eq(actions.decisionId, row.id),
        and(eq(actions.accountId, row.accountId), eq(actions.commentId, row.commentId)),
      )
    : eq(actions.decisionId, row.id);
  // Independent reads, at once: the rule set, the actions, their attempts.
  const [[set], actionRows, allAttempts] = await Promise.all([
    db.select().from(ruleSets).where(eq(ruleSets.hash, row.ruleSetHash)),
    db.select().from(actions).where(onThisComment).orderBy(actions.createdAt, actions.seq),
    db
      .select()
      .from(actionAttempts)
      .where(
        inArray(actionAttempts.actionId, db.select({ id: actions.id }).from(actions).where(onThisComment)),
      )
      .orderBy(actionAttempts.startedAt, actionAttempts.attempt),
  ]);
  return {
    ruleSet: set ? { files: set.files, firstSeenAt: set.firstSeenAt } : null,
    actions: actionRows.map((a) => ({
      id: a.id,
      decisionId: a.decisionId,
      type: a.type,
      status: a.status,
      actor: a.actor,
      ruleId: a.ruleId,
      message: a.message,
      reason: a.reason,
      lastError: a.lastError,
      result: a.result,
      createdAt: a.createdAt.toISOString(),
      completedAt: a.completedAt ? a.completedAt.toISOString() : null,
      attempts: allAttempts
        .filter((t) => t.actionId === a.id)
        .map((t) => ({
          attempt: t.attempt,
          startedAt: t.startedAt.toISOString(),
          durationMs: t.durationMs,
          request: t.request,
          httpStatus: t.httpStatus,
          outcome: t.outcome,
          errorCode: t.errorCode,
          errorSubcode: t.errorSubcode,
          error: t.error,
          response: t.response,
        })),
    })),
  };
}

/** Whether any decision names this rule (fired or decided): to tell an unknown rule from a quiet one. */
export async function decisionsNameRule(db: Database, rule: string): Promise<boolean> {
  const rows = await db
    .select({ one: sql<number>`1` })
    .from(d)
    .where(or(sql`${rule} = any(${d.firedRules})`, eq(d.decidingRule, rule)))
    .limit(1);
  return rows.length > 0;
}
