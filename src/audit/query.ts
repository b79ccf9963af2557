/**
 * Reading the audit log: one module for the CLI (`modbot audit`), the HTTP API (/api) and the
 * console. Checks what callers ask for (ids, cursors), pages by keyset cursor, finds the fired
 * rules' text in the stored rule set, and answers counts from the daily rollup where it can.
 * The SQL is in src/db/repos/audit-queries.ts and audit-stats.ts: every user value reaches it
 * as a bound parameter.
 */
import { isMap, isSeq, parseDocument } from 'yaml';
import type { Database } from '../db/client.js';
import {
  type ActionView,
  type DecisionSummary,
  decisionContext,
  findDecisionRows,
  listDecisionRows,
} from '../db/repos/audit-queries.js';
import { rawStats, rollupStats, type StatsRow } from '../db/repos/audit-stats.js';
import { type AuditFilter, AuditInputError, type StatsDimension } from './filters.js';
import { ceilDay, floorDay, rolledUntil, utcDay } from './rollup.js';
import { base64UrlDecode, base64UrlEncode } from './signed-request.js';

export type {
  ActionSummary,
  ActionView,
  AttemptView,
  DecisionSummary,
} from '../db/repos/audit-queries.js';
export type { StatsRow } from '../db/repos/audit-stats.js';

// ---------------------------------------------------------------------------------------------
// Listing

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

export async function listDecisions(
  db: Database,
  filter: AuditFilter,
  page: { limit: number; cursor?: string | undefined },
): Promise<DecisionPage> {
  const rows = await listDecisionRows(db, filter, {
    limit: page.limit + 1,
    before: page.cursor ? decodeCursor(page.cursor) : undefined,
  });
  const more = rows.length > page.limit;
  const items = more ? rows.slice(0, page.limit) : rows;
  const last = items.at(-1);
  return { items, nextCursor: more && last ? encodeCursor(last.createdAt, last.id) : null };
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
  const rows = await findDecisionRows(db, key, isUuid ? 'id' : 'comment');
  const row = rows[0];
  if (!row) return null;
  // The rule set that made it, its actions and those on the same comment, their calls.
  const { ruleSet: set, actions } = await decisionContext(db, row);
  const fired = row.firedRules ?? [];
  const ruleIds =
    row.decidingRule && !fired.includes(row.decidingRule) ? [row.decidingRule, ...fired] : fired;
  const rules = set ? ruleSources(set.files, ruleIds) : null;

  return {
    id: row.id,
    createdAt: row.createdAt,
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
    redactedAt: row.redactedAt,
    rules,
    ruleSetFirstSeenAt: set ? set.firstSeenAt.toISOString() : null,
    actions,
    related: rows.slice(1).map((r) => r.id),
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

export interface Stats {
  readonly by: StatsDimension;
  readonly since: string;
  readonly until: string | null;
  readonly rows: readonly StatsRow[];
}

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
    rollupStats(db, by, filter, utcDay(from), utcDay(to)),
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
        ...(prev.shadow !== undefined || r.shadow !== undefined
          ? { shadow: (prev.shadow ?? 0) + (r.shadow ?? 0) }
          : {}),
      });
    }
  }
  const rows = [...merged.values()];
  if (by === 'day') rows.sort((a, b) => String(a.key).localeCompare(String(b.key)));
  else rows.sort((a, b) => b.decisions - a.decisions || String(a.key).localeCompare(String(b.key)));
  return rows.slice(0, 500);
}
