/**
 * Reading the audit log: one module for the CLI (`modbot audit`), the HTTP API (/api) and the
 * console. Every user value reaches SQL as a bound parameter (drizzle builders and sql``
 * templates); nothing is concatenated into SQL text. Paging is keyset (created_at, id), so a
 * page costs the same at row 50 and at row 500,000.
 */
import { and, desc, eq, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { isMap, isSeq, parseDocument } from 'yaml';
import type { Database } from '../db/client.js';
import { actionAttempts, actions } from '../db/schema/actions.js';
import { decisionDaily } from '../db/schema/decision-daily.js';
import { decisions } from '../db/schema/decisions.js';
import { ruleSets } from '../db/schema/rule-sets.js';
import { normalise } from '../moderation/index.js';
import { type AuditFilter, AuditInputError, type StatsDimension } from './filters.js';
import { ceilDay, floorDay, rolledUntil, utcDay } from './rollup.js';
import { base64UrlDecode, base64UrlEncode } from './signed-request.js';

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
export function filterConditions(f: AuditFilter): SQL[] {
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

export interface DecisionPage {
  readonly items: readonly DecisionSummary[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

function encodeCursor(at: string, id: string): string {
  return base64UrlEncode(new TextEncoder().encode(JSON.stringify([at, id])));
}

function decodeCursor(cursor: string): { at: string; id: string } {
  const bad = () => new AuditInputError('cursor is not one this API gave out; start again without it');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw bad();
  let parsed: unknown;
  try {
    const bytes = base64UrlDecode(cursor);
    if (!bytes) throw bad();
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw bad();
  const [at, id] = parsed as unknown[];
  if (typeof at !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(at)) throw bad();
  if (typeof id !== 'string' || !uuidPattern.test(id)) throw bad();
  return { at, id };
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Microsecond-exact creation time as text (a JS Date would drop microseconds and break paging). */
const createdAtText = sql<string>`to_char(${d.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export async function listDecisions(
  db: Database,
  filter: AuditFilter,
  page: { limit: number; cursor?: string | undefined },
): Promise<DecisionPage> {
  const conditions = filterConditions(filter);
  if (page.cursor) {
    const { at, id } = decodeCursor(page.cursor);
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
    .limit(page.limit + 1);
  const more = rows.length > page.limit;
  const items = more ? rows.slice(0, page.limit) : rows;
  const last = items.at(-1);
  return {
    items: items.map(({ redactedAt, ...r }) => ({
      ...r,
      firedRules: r.firedRules ?? [],
      redacted: redactedAt !== null,
      actions: typeof r.actions === 'string' ? (JSON.parse(r.actions) as ActionSummary[]) : (r.actions ?? []),
    })),
    nextCursor: more && last ? encodeCursor(last.createdAt, last.id) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// One decision, explained

export interface RuleSource {
  readonly ruleId: string;
  readonly path: string;
  readonly line: number;
  /** The rule as written in the rule set that made the decision. */
  readonly text: string;
}

export interface AttemptView {
  readonly attempt: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly request: string;
  readonly httpStatus: number | null;
  readonly outcome: string;
  readonly errorCode: number | null;
  readonly errorSubcode: number | null;
  readonly error: string | null;
  readonly response: unknown;
}

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

export interface DecisionDetail {
  readonly id: string;
  readonly createdAt: string;
  readonly inboxId: number;
  readonly accountId: string;
  readonly kind: string;
  readonly mediaId: string | null;
  readonly commentId: string | null;
  readonly authorId: string | null;
  readonly authorUsername: string | null;
  readonly text: string | null;
  readonly normalisedText: string | null;
  readonly ruleSetHash: string;
  readonly outcome: string;
  readonly action: string;
  readonly decidingRule: string | null;
  readonly firedRules: readonly string[];
  /** The engine's decision as recorded: rules fired with their condition traces, classifier calls, fallbacks, shadow. */
  readonly detail: unknown;
  readonly steps: unknown;
  readonly dryRun: boolean;
  readonly durationMs: number;
  readonly redactedAt: string | null;
  /** The fired rules as written when the decision was made (null when that rule set was not stored). */
  readonly rules: readonly RuleSource[] | null;
  readonly ruleSetFirstSeenAt: string | null;
  /** Planned and executed actions for this decision, and moderator actions on the same comment. */
  readonly actions: readonly ActionView[];
  /** Other decisions about the same comment (e.g. its mention), newest first. */
  readonly related: readonly string[];
}

/** A decision by id, or the latest decision about a comment id. Null when there is none. */
export async function getDecision(db: Database, idOrCommentId: string): Promise<DecisionDetail | null> {
  const key = idOrCommentId.trim();
  const isUuid = uuidPattern.test(key);
  if (!isUuid && !/^[0-9A-Za-z_-]{1,64}$/.test(key))
    throw new AuditInputError('expected a decision id (uuid) or a comment id (digits)');
  const rows = await db
    .select({
      row: d,
      createdAtText,
      redactedText: sql<
        string | null
      >`to_char(${d.redactedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`,
    })
    .from(d)
    .where(isUuid ? eq(d.id, key) : eq(d.commentId, key))
    .orderBy(desc(d.createdAt), desc(d.id))
    .limit(20);
  const first = rows[0];
  if (!first) return null;
  const row = first.row;

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
  const fired = row.firedRules ?? [];
  const ruleIds =
    row.decidingRule && !fired.includes(row.decidingRule) ? [row.decidingRule, ...fired] : fired;
  const rules = set ? ruleSources(set.files, ruleIds) : null;

  const attemptRows = allAttempts;

  return {
    id: row.id,
    createdAt: first.createdAtText,
    inboxId: row.inboxId,
    accountId: row.accountId,
    kind: row.kind,
    mediaId: row.mediaId,
    commentId: row.commentId,
    authorId: row.authorId,
    authorUsername: row.authorUsername,
    text: row.text,
    normalisedText: row.normalisedText,
    ruleSetHash: row.ruleSetHash,
    outcome: row.outcome,
    action: row.action,
    decidingRule: row.decidingRule,
    firedRules: fired,
    detail: row.detail,
    steps: row.steps,
    dryRun: row.dryRun,
    durationMs: row.durationMs,
    redactedAt: first.redactedText,
    rules,
    ruleSetFirstSeenAt: set ? set.firstSeenAt.toISOString() : null,
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
      attempts: attemptRows
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
    related: rows.slice(1).map((r) => r.row.id),
  };
}

/** Finds each rule's text in the stored files (rule files are YAML lists of rules). */
export function ruleSources(
  files: readonly { path: string; content: string }[],
  ruleIds: readonly string[],
): RuleSource[] {
  const wanted = new Set(ruleIds);
  const found: RuleSource[] = [];
  for (const file of files) {
    if (!/\.ya?ml$/i.test(file.path)) continue;
    let doc: ReturnType<typeof parseDocument>;
    try {
      doc = parseDocument(file.content);
    } catch {
      continue;
    }
    if (!isSeq(doc.contents)) continue;
    for (const item of doc.contents.items) {
      if (!isMap(item)) continue;
      const id = item.get('id');
      if (typeof id !== 'string' || !wanted.has(id) || !item.range) continue;
      const [start, , end] = item.range;
      // Start at the beginning of the line ("- id: …"), keep the rule's own indentation.
      const lineStart = file.content.lastIndexOf('\n', start - 1) + 1;
      found.push({
        ruleId: id,
        path: file.path,
        line: file.content.slice(0, lineStart).split('\n').length,
        text: file.content.slice(lineStart, end).replace(/\s+$/, ''),
      });
    }
  }
  return ruleIds.flatMap((id) => found.filter((r) => r.ruleId === id).slice(0, 1));
}

// ---------------------------------------------------------------------------------------------
// Stats

export interface StatsRow {
  readonly key: string | null;
  /** For authors: the latest username seen. */
  readonly label?: string | null;
  readonly decisions: number;
  readonly allow: number;
  readonly reply: number;
  readonly review: number;
  readonly hide: number;
  readonly delete: number;
  /** For rules: decisions this rule decided (the others it fired on, e.g. in shadow or outranked). */
  readonly deciding?: number;
}

export interface Stats {
  readonly by: StatsDimension;
  readonly since: string;
  readonly until: string | null;
  readonly rows: readonly StatsRow[];
}

const perAction = {
  decisions: sql<number>`count(*)::int`,
  allow: sql<number>`(count(*) filter (where ${d.action} = 'allow'))::int`,
  reply: sql<number>`(count(*) filter (where ${d.action} = 'reply'))::int`,
  review: sql<number>`(count(*) filter (where ${d.action} = 'review'))::int`,
  hide: sql<number>`(count(*) filter (where ${d.action} = 'hide'))::int`,
  delete: sql<number>`(count(*) filter (where ${d.action} = 'delete'))::int`,
};

/** Filters the daily rollup can answer (anything else is counted from the decisions themselves). */
const rollupFilters = new Set(['account', 'action', 'rule', 'since', 'until']);

/**
 * Counts by one dimension. Without `since`, the last 30 days. At most 500 groups (largest first;
 * days in order). Whole closed days come from the daily rollup (decision_daily) when the
 * filters allow it; the open edges are counted from `decisions`, so the answer is exact.
 */
export async function auditStats(
  db: Database,
  by: StatsDimension,
  filter: AuditFilter,
  options: { now?: Date; rollup?: boolean } = {},
): Promise<Stats> {
  const since = filter.since ?? new Date((options.now ?? new Date()).getTime() - 30 * 86_400_000);
  const common = { since: since.toISOString(), until: filter.until ? filter.until.toISOString() : null, by };
  const usable =
    options.rollup !== false &&
    (by === 'day' || by === 'action' || by === 'account' || (by === 'rule' && !filter.rule)) &&
    Object.entries(filter).every(([k, v]) => v === undefined || rollupFilters.has(k));
  const rolled = usable ? await cachedRolledUntil(db) : null;
  if (!rolled) return { ...common, rows: await rawStats(db, by, { ...filter, since }) };
  const from = ceilDay(since);
  const to = new Date(
    Math.min(rolled.getTime(), filter.until ? floorDay(filter.until).getTime() : Number.POSITIVE_INFINITY),
  );
  if (from >= to) return { ...common, rows: await rawStats(db, by, { ...filter, since }) };
  const parts = await Promise.all([
    rollupStats(db, by, filter, from, to),
    since < from ? rawStats(db, by, { ...filter, since, until: from }) : [],
    !filter.until || to < filter.until ? rawStats(db, by, { ...filter, since: to }) : [],
  ]);
  return { ...common, rows: mergeStats(by, parts) };
}

/** How far the rollup goes changes at most every 10 minutes: asked once a minute per database. */
const rolledCache = new WeakMap<object, { at: number; value: Date | null }>();
async function cachedRolledUntil(db: Database): Promise<Date | null> {
  const hit = rolledCache.get(db);
  if (hit && Date.now() - hit.at < 60_000) return hit.value;
  const value = await rolledUntil(db);
  rolledCache.set(db, { at: Date.now(), value });
  return value;
}

function mergeStats(by: StatsDimension, parts: StatsRow[][]): StatsRow[] {
  const merged = new Map<string | null, StatsRow & Record<string, unknown>>();
  for (const rows of parts) {
    for (const r of rows) {
      const prev = merged.get(r.key);
      if (!prev) {
        merged.set(r.key, { ...r });
        continue;
      }
      merged.set(r.key, {
        ...prev,
        decisions: prev.decisions + r.decisions,
        allow: prev.allow + r.allow,
        reply: prev.reply + r.reply,
        review: prev.review + r.review,
        hide: prev.hide + r.hide,
        delete: prev.delete + r.delete,
        ...(prev.deciding !== undefined || r.deciding !== undefined
          ? { deciding: (prev.deciding ?? 0) + (r.deciding ?? 0) }
          : {}),
      });
    }
  }
  const rows = [...merged.values()];
  if (by === 'day') rows.sort((a, b) => String(a.key).localeCompare(String(b.key)));
  else rows.sort((a, b) => b.decisions - a.decisions || String(a.key).localeCompare(String(b.key)));
  return rows.slice(0, 500);
}

async function rollupStats(
  db: Database,
  by: StatsDimension,
  filter: AuditFilter,
  from: Date,
  to: Date,
): Promise<StatsRow[]> {
  const r = decisionDaily;
  const conds: SQL[] = [sql`${r.day} >= ${utcDay(from)}::date`, sql`${r.day} < ${utcDay(to)}::date`];
  if (filter.account) conds.push(eq(r.accountId, filter.account));
  if (filter.action) conds.push(eq(r.action, filter.action));
  if (by === 'rule') conds.push(sql`${r.rule} <> ''`);
  else conds.push(eq(r.rule, filter.rule ?? ''));
  const key =
    by === 'day'
      ? sql<string>`to_char(${r.day}, 'YYYY-MM-DD')`
      : by === 'action'
        ? sql<string>`${r.action}`
        : by === 'account'
          ? sql<string>`${r.accountId}`
          : sql<string>`${r.rule}`;
  const n = (action: string) =>
    sql<number>`(coalesce(sum(${r.n}) filter (where ${r.action} = ${action}), 0))::int`;
  const rows = await db
    .select({
      key,
      decisions: sql<number>`sum(${r.n})::int`,
      deciding: sql<number>`(coalesce(sum(${r.n}) filter (where ${r.deciding}), 0))::int`,
      allow: n('allow'),
      reply: n('reply'),
      review: n('review'),
      hide: n('hide'),
      delete: n('delete'),
    })
    .from(r)
    .where(and(...conds))
    .groupBy(key);
  return rows.map(({ deciding, ...x }) => ({
    ...x,
    key: x.key,
    decisions: Number(x.decisions),
    allow: Number(x.allow),
    reply: Number(x.reply),
    review: Number(x.review),
    hide: Number(x.hide),
    delete: Number(x.delete),
    ...(by === 'rule' ? { deciding: Number(deciding) } : {}),
  }));
}

/** Counts straight from `decisions` (any filter). */
async function rawStats(
  db: Database,
  by: StatsDimension,
  filter: AuditFilter & { since: Date },
): Promise<StatsRow[]> {
  const where = and(...filterConditions(filter));
  const num = (r: Record<string, unknown>) => ({
    decisions: Number(r.decisions),
    allow: Number(r.allow),
    reply: Number(r.reply),
    review: Number(r.review),
    hide: Number(r.hide),
    delete: Number(r.delete),
  });
  switch (by) {
    case 'day': {
      // Group on the truncated timestamp (cheap) and format only the groups.
      const trunc = sql`date_trunc('day', ${d.createdAt} at time zone 'UTC')`;
      const rows = await db
        .select({ key: sql<string>`to_char(${trunc}, 'YYYY-MM-DD')`, ...perAction })
        .from(d)
        .where(where)
        .groupBy(trunc)
        .orderBy(trunc)
        .limit(500);
      return rows.map((r) => ({ key: r.key, ...num(r) }));
    }
    case 'action':
    case 'account': {
      const col = by === 'action' ? d.action : d.accountId;
      const rows = await db
        .select({ key: col, ...perAction })
        .from(d)
        .where(where)
        .groupBy(col)
        .orderBy(desc(sql`count(*)`))
        .limit(500);
      return rows.map((r) => ({ key: r.key, ...num(r) }));
    }
    case 'author': {
      const rows = await db
        .select({
          key: d.authorId,
          label: sql<string | null>`(array_agg(${d.authorUsername} order by ${d.createdAt} desc))[1]`,
          ...perAction,
        })
        .from(d)
        .where(where)
        .groupBy(d.authorId)
        .orderBy(desc(sql`count(*)`))
        .limit(500);
      return rows.map((r) => ({ key: r.key, label: r.label, ...num(r) }));
    }
    case 'outcome': {
      // What became of the actions decisions planned (actions outbox), in the same window.
      const rows = await db
        .select({
          key: sql<string>`coalesce(a.status, case when ${d.action} = 'allow' then 'allowed' when ${d.dryRun} then 'dry_run' else 'none' end)`,
          n: sql<number>`count(*)::int`,
        })
        .from(d)
        .leftJoin(sql`${actions} a`, sql`a.decision_id = ${d.id}`)
        .where(where)
        .groupBy(sql`1`)
        .orderBy(desc(sql`count(*)`))
        .limit(500);
      return rows.map((r) => ({
        key: r.key,
        decisions: Number(r.n),
        allow: 0,
        reply: 0,
        review: 0,
        hide: 0,
        delete: 0,
      }));
    }
    case 'rule': {
      const result = await db.execute(sql`
        select r.rule as key, count(*)::int as decisions,
               (count(*) filter (where ${d.decidingRule} = r.rule))::int as deciding,
               (count(*) filter (where ${d.action} = 'allow'))::int as allow,
               (count(*) filter (where ${d.action} = 'reply'))::int as reply,
               (count(*) filter (where ${d.action} = 'review'))::int as review,
               (count(*) filter (where ${d.action} = 'hide'))::int as hide,
               (count(*) filter (where ${d.action} = 'delete'))::int as delete
        from ${d} cross join lateral unnest(${d.firedRules}) as r(rule)
        where ${where}
        group by r.rule order by count(*) desc limit 500`);
      const rows = (Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? [])) as Record<
        string,
        unknown
      >[];
      return rows.map((r) => ({ key: String(r.key), ...num(r), deciding: Number(r.deciding) }));
    }
  }
}
