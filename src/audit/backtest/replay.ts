/**
 * What the rule engine needs to re-decide a stored comment without calling anything (pure):
 * the event rebuilt from the stored row, classifier scores answered from the record (then the
 * cache, then a free offline classifier, else assumed 0), and repetition counted over the
 * replayed comments themselves, in the order they were decided.
 */
import type { StoredDecisionRow } from '../../db/repos/backtest.js';
import {
  type Classifier,
  type ClassifierResult,
  type ClassifyRequest,
  type CNode,
  type RepetitionCounter,
  type RepetitionQuery,
  type RuleSet,
  textHash,
} from '../../moderation/index.js';
import type { EventKind, InstagramEvent, MediaProductType } from '../../webhook/events.js';

/** The stored fields a re-decision needs (read by db/repos/backtest.ts). */
export type ReplayRow = Pick<
  StoredDecisionRow,
  | 'id'
  | 'atMicros'
  | 'accountId'
  | 'kind'
  | 'commentId'
  | 'mediaId'
  | 'authorId'
  | 'authorUsername'
  | 'text'
  | 'mediaType'
  | 'adId'
  | 'skipped'
  | 'scores'
>;

const mediaTypes = new Set(['FEED', 'REELS', 'STORY', 'AD']);

export function eventOf(row: ReplayRow): InstagramEvent {
  const kind = row.kind as EventKind;
  return {
    kind,
    accountId: row.accountId,
    field: kind.startsWith('mention') ? 'mentions' : kind === 'live_comment' ? 'live_comments' : 'comments',
    commentId: row.commentId,
    mediaId: row.mediaId,
    // Where a reply would be posted; no condition looks at it.
    parentId: null,
    text: row.text,
    author:
      row.authorId === null && row.authorUsername === null
        ? null
        : { id: row.authorId, username: row.authorUsername },
    fromSelf: row.skipped,
    mediaProductType:
      row.mediaType !== null && mediaTypes.has(row.mediaType) ? (row.mediaType as MediaProductType) : null,
    adId: row.adId,
    sentAt: new Date(row.atMicros / 1000),
    isTest: false,
  };
}

function leaves(ruleSet: RuleSet): Extract<CNode, { t: 'leaf' }>[] {
  const out: Extract<CNode, { t: 'leaf' }>[] = [];
  const walk = (n: CNode): void => {
    if (n.t === 'leaf') out.push(n);
    else if (n.t === 'not') walk(n.child);
    else for (const c of n.children) walk(c);
  };
  for (const r of ruleSet.rules) walk(r.when);
  return out;
}

/** The classifier names a rule set's conditions ask. */
export function classifiersUsed(ruleSet: RuleSet): Set<string> {
  return new Set(leaves(ruleSet).flatMap((n) => (n.leaf.kind === 'classifier' ? [n.leaf.use] : [])));
}

/** Whether a condition counts repetitions. */
export function usesRepetition(ruleSet: RuleSet): boolean {
  return leaves(ruleSet).some((n) => n.leaf.kind === 'repetition');
}

/** Whether a condition looks at the media type (the only one needing the stored event's media fields). */
export function usesMediaType(ruleSet: RuleSet): boolean {
  return leaves(ruleSet).some((n) => n.leaf.kind === 'media-type');
}

/** Where a score came from, counted for the report. */
export interface ScoreSources {
  recorded: number;
  cached: number;
  offline: number;
  candidate: number;
  /** Score lookups with no answer anywhere: assumed 0 (the condition does not match). */
  assumed: number;
  /** Comments with at least one assumed score, and which classifier each lacked. */
  commentsAssumed: number;
  byClassifier: Record<string, number>;
}

/** A cache entry's key (`<classifier>:<namespace>[:<question hash>]:<text hash>`) and scores. */
export interface CachedScores {
  readonly key: string;
  readonly scores: Readonly<Record<string, number>>;
}

/**
 * Classifiers that answer from what is known about the comment being replayed (`current`):
 * its recorded calls, cache entries for its text, or a candidate/offline classifier. Sequential
 * use only: one comment at a time (run.ts awaits each).
 */
export class ReplayClassifiers {
  readonly sources: ScoreSources = {
    recorded: 0,
    cached: 0,
    offline: 0,
    candidate: 0,
    assumed: 0,
    commentsAssumed: 0,
    byClassifier: {},
  };
  readonly ports: Map<string, Classifier> = new Map();
  private row: ReplayRow | null = null;
  private cache: readonly CachedScores[] = [];
  /** The classifiers whose score the current comment lacked. */
  private lacked: string[] = [];

  constructor(
    names: Iterable<string>,
    private readonly candidate: ReadonlyMap<string, Classifier>,
    private readonly offline: ReadonlyMap<string, Classifier>,
  ) {
    for (const name of new Set([...names, ...candidate.keys()])) {
      this.ports.set(name, { name, classify: (request) => this.answer(name, request) });
    }
  }

  /** The comment about to be re-decided, and the cache entries known for its text. */
  use(row: ReplayRow, cache: readonly CachedScores[] = []): void {
    this.row = row;
    this.cache = cache;
    this.lacked = [];
  }

  /** After a comment: counts it once if it lacked a score. */
  settle(): void {
    if (this.lacked.length === 0) return;
    this.sources.commentsAssumed++;
    for (const name of new Set(this.lacked))
      this.sources.byClassifier[name] = (this.sources.byClassifier[name] ?? 0) + 1;
  }

  private answer(name: string, request: ClassifyRequest): Promise<ClassifierResult> {
    const fromCandidate = this.candidate.get(name);
    if (fromCandidate) {
      this.sources.candidate++;
      return fromCandidate.classify(request);
    }
    const question = request.question ?? '';
    for (const [classifier, q, scores] of this.row?.scores ?? []) {
      if (classifier === name && q === question && scores) {
        this.sources.recorded++;
        return Promise.resolve(result(name, 'recorded', scores));
      }
    }
    if (this.cache.length > 0) {
      const hash = textHash(request.normalisedText);
      const qPart = request.question === undefined ? null : `:${textHash(request.question).slice(0, 16)}:`;
      for (const c of this.cache) {
        if (!c.key.startsWith(`${name}:`) || !c.key.endsWith(`:${hash}`)) continue;
        if (qPart !== null && !c.key.includes(qPart)) continue;
        this.sources.cached++;
        return Promise.resolve(result(name, 'cache', c.scores));
      }
    }
    const offline = this.offline.get(name);
    if (offline) {
      this.sources.offline++;
      return offline.classify(request);
    }
    this.sources.assumed++;
    this.lacked.push(name);
    return Promise.resolve(result(name, 'assumed', {}));
  }
}

function result(name: string, provider: string, scores: Readonly<Record<string, number>>): ClassifierResult {
  return { provider, model: name, version: 'backtest', scores, latencyMs: 0, cached: true };
}

/**
 * Repetition over the replayed comments: each comment is counted after it is re-decided, so a
 * condition sees the earlier comments of the window as the live counter saw the earlier rows.
 * Comments before the window are not seen (docs/backtest.md says so).
 */
export class ReplayRepetition implements RepetitionCounter {
  private readonly times = new Map<string, number[]>();

  /** `key`: the first 16 hex digits of the normalised text's hash. */
  record(row: ReplayRow, key: string): void {
    const hash = key;
    const at = row.atMicros / 1000;
    add(this.times, `${row.accountId}\u0000${hash}`, at);
    const author = row.authorId ?? row.authorUsername;
    if (author !== null) add(this.times, `${row.accountId}\u0000${hash}\u0000${author}`, at);
  }

  async count(q: RepetitionQuery): Promise<number> {
    const hash = q.textHash.slice(0, 16);
    const key =
      q.authorId === null ? `${q.accountId}\u0000${hash}` : `${q.accountId}\u0000${hash}\u0000${q.authorId}`;
    const list = this.times.get(key);
    if (!list) return 0;
    const now = q.now.getTime();
    const since = now - q.windowSeconds * 1000;
    let n = 0;
    for (let i = list.length - 1; i >= 0; i--) {
      const t = list[i] as number;
      if (t > now) continue;
      if (t < since) break;
      n++;
      if (q.enough !== undefined && n >= q.enough) break;
    }
    return n;
  }
}

function add(map: Map<string, number[]>, key: string, at: number): void {
  const list = map.get(key);
  if (list) list.push(at);
  else map.set(key, [at]);
}
