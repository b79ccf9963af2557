/**
 * Backtest: what a candidate rule set (and, optionally, candidate classifiers) would have done to
 * the comments modbot already decided, against what the recorded decisions did (issue 15).
 *
 * 1. Load the moderators' decisions on the window's comments (the labels; few rows).
 * 2. Read the window's decisions page by page, oldest first (keyset: memory is one page).
 * 3. Re-decide each with the candidate: scores from the record, the cache or a free offline
 *    classifier (never a paid call), repetition counted over the replayed comments.
 *    The cache is read once per page, for the comments whose record lacks a classifier the
 *    candidate asks.
 * 4. Tally the difference in total, per rule and against the labels.
 * Read only; nothing is called, nothing is written.
 */
import type { Database } from '../../db/client.js';
import { createBacktestRepo, type StoredDecisionRow } from '../../db/repos/backtest.js';
import { type Classifier, type Decision, evaluate, type RuleSet, textHash } from '../../moderation/index.js';
import {
  type CachedScores,
  classifiersUsed,
  eventOf,
  ReplayClassifiers,
  ReplayRepetition,
  type ScoreSources,
  usesMediaType,
  usesRepetition,
} from './replay.js';
import {
  BacktestTally,
  effectsOf,
  type Label,
  type LabelReport,
  type RuleChange,
  type TallyTotals,
} from './tally.js';

export interface BacktestOptions {
  /** The rule set to try (the working copy of rules/, or the files pasted in the console). */
  readonly candidateRules: RuleSet;
  /**
   * Classifiers to try instead of the recorded scores, by the name rules use (e.g. a model
   * trained from this deployment's labels as `builtin`). Called for every comment whose rules ask
   * them; without them no classifier is called except `offlineClassifiers` for missing scores.
   */
  readonly candidateClassifiers?: ReadonlyMap<string, Classifier>;
  /** Free local classifiers answering scores neither the record nor the cache has (the builtin). */
  readonly offlineClassifiers?: ReadonlyMap<string, Classifier>;
  readonly since: Date;
  /** Default: now. */
  readonly until?: Date;
  readonly account?: string | undefined;
  /** Examples kept per rule and per label kind (default 3). */
  readonly examples?: number;
  /** Decisions read per page (default 2000). */
  readonly pageSize?: number;
}

export interface BacktestReport {
  readonly window: { readonly since: string; readonly until: string; readonly account: string | null };
  readonly candidate: {
    readonly ruleSetHash: string;
    readonly rules: number;
    readonly classifiers: readonly string[];
  };
  /** Rule sets that made the recorded decisions, by hash, with how many each decided. */
  readonly recordedRuleSets: Readonly<Record<string, number>>;
  readonly totals: TallyTotals;
  readonly rules: readonly RuleChange[];
  readonly labels: LabelReport;
  readonly scores: ScoreSources & { readonly assumption: string };
  readonly elapsedMs: number;
  readonly commentsPerSecond: number;
}

export const scoreAssumption =
  'a score found neither in the recorded decision nor in the classifier cache (nor from an offline classifier) is taken as 0: the condition asking it does not match';

export async function runBacktest(db: Database, options: BacktestOptions): Promise<BacktestReport> {
  const started = performance.now();
  const repo = createBacktestRepo(db);
  const until = options.until ?? new Date();
  const window = { since: options.since, until, accountId: options.account };
  const candidateClassifiers = options.candidateClassifiers ?? new Map<string, Classifier>();

  // 1. The labels.
  const labels = new Map<string, Label>();
  for (const l of await repo.moderatorLabels(window))
    labels.set(`${l.accountId}\u0000${l.commentId}`, { approved: l.approved, hidden: l.hidden });

  const classifiers = new ReplayClassifiers(
    classifiersUsed(options.candidateRules),
    candidateClassifiers,
    options.offlineClassifiers ?? new Map(),
  );
  const repetition = new ReplayRepetition();
  // The clock of the comment being re-decided (a Date only when a repetition condition asks).
  let nowMs = options.since.getTime();
  const ports = { classifiers: classifiers.ports, repetition, now: () => new Date(nowMs) };
  const tally = new BacktestTally(options.examples ?? 3);
  const recordedRuleSets = await repo.ruleSetsOf(window);
  const pageSize = options.pageSize ?? 2000;

  const decide = (row: StoredDecisionRow, cache?: readonly CachedScores[]): Promise<Decision> => {
    classifiers.use(row, cache);
    nowMs = row.atMicros / 1000;
    return evaluate(options.candidateRules, { event: eventOf(row), text: row.text }, ports);
  };
  const record = (row: StoredDecisionRow, decision: Decision): void => {
    classifiers.settle();
    tally.add({
      decisionId: row.id,
      commentId: row.commentId,
      accountId: row.accountId,
      text: row.text ?? '',
      recorded: effectsOf(row.action, row.replied),
      recordedRule: row.decidingRule,
      candidate: effectsOf(
        decision.action,
        decision.steps.some((s) => s.type === 'reply'),
      ),
      candidateRule: decision.decidingRule,
      label: row.commentId === null ? undefined : labels.get(`${row.accountId}\u0000${row.commentId}`),
    });
  };

  // Classifiers that neither a candidate nor an offline one answers: the record, else the cache.
  const fromCacheOnly = [...classifiersUsed(options.candidateRules)].filter(
    (n) => !candidateClassifiers.has(n) && !options.offlineClassifiers?.has(n),
  );

  /** Cache entries by text hash, for the rows whose record has no score of such a classifier. */
  const cacheForPage = async (rows: readonly StoredDecisionRow[]): Promise<Map<string, CachedScores[]>> => {
    const byHash = new Map<string, CachedScores[]>();
    if (fromCacheOnly.length === 0) return byHash;
    const hashes = new Set<string>();
    for (const row of rows)
      if (row.hashKey && fromCacheOnly.some((n) => !row.scores?.some((s) => s[0] === n)))
        hashes.add(row.hashKey);
    if (hashes.size === 0) return byHash;
    for (const entry of await repo.cachedByTextHash([...hashes])) {
      const hash = entry.key.slice(entry.key.lastIndexOf(':') + 1, entry.key.lastIndexOf(':') + 17);
      const list = byHash.get(hash);
      if (list) list.push(entry);
      else byHash.set(hash, [entry]);
    }
    return byHash;
  };

  const withMedia = usesMediaType(options.candidateRules);
  const countsRepetition = usesRepetition(options.candidateRules);
  const withHash = countsRepetition || fromCacheOnly.length > 0;

  // 2. Page by page. The next page is asked for before this one is re-decided, so on Postgres
  // the server reads it while this process decides (on PGlite the two take turns).
  const read = (after: { atMicros: number; id: string } | null) => {
    const page = repo.page(window, after, pageSize, { withMedia, withHash });
    // Should deciding this page fail, the read ahead must not become an unhandled rejection.
    page.catch(() => undefined);
    return page;
  };
  let next: Promise<StoredDecisionRow[]> | null = read(null);
  while (next) {
    const rows: StoredDecisionRow[] = await next;
    const last = rows[rows.length - 1];
    next = last && rows.length === pageSize ? read({ atMicros: last.atMicros, id: last.id }) : null;
    // The cache is read for a page only when the candidate asks a classifier answered by it alone.
    const cache = await cacheForPage(rows);
    for (const row of rows) {
      if (row.redacted || row.text === null) {
        tally.skipRedacted();
        continue;
      }
      // 3. Re-decide; then this comment counts for the repetition of the later ones.
      const decision = await decide(row, (row.hashKey && cache.get(row.hashKey)) || undefined);
      if (countsRepetition)
        repetition.record(row, row.hashKey ?? textHash(decision.normalisedText).slice(0, 16));
      record(row, decision);
    }
  }

  const totals = tally.totals();
  const elapsedMs = performance.now() - started;
  return {
    window: {
      since: options.since.toISOString(),
      until: until.toISOString(),
      account: options.account ?? null,
    },
    candidate: {
      ruleSetHash: options.candidateRules.hash,
      rules: options.candidateRules.rules.length,
      classifiers: [...candidateClassifiers.keys()],
    },
    recordedRuleSets,
    totals,
    rules: tally.ruleChanges(),
    labels: tally.labels(),
    scores: { ...classifiers.sources, assumption: scoreAssumption },
    elapsedMs: Math.round(elapsedMs),
    commentsPerSecond: Math.round(totals.decisions / Math.max(elapsedMs / 1000, 1e-6)),
  };
}
