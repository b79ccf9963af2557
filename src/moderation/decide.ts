/**
 * Runs a compiled rule set over one comment and decides what to do (issue 3, Must 2).
 *
 * Cost order: every rule is first evaluated with only its cheap conditions (text, links, counts,
 * author, where, kind) in three-valued logic: a database or classifier condition not yet asked
 * is "unknown". Only rules whose cheap part leaves them undecided ask the dearer conditions, one
 * tier at a time (repetition counts, then the builtin model, then remote models), so no model is
 * paid for when cheap conditions decide. An enforce rule that could no longer change the
 * decision is not asked at all; shadow rules always are (recording them is their purpose).
 *
 * Conflicts: the highest priority wins; at equal priority the most severe action wins
 * (delete > hide > review > reply > allow); then the rule that comes first (files by path, rules
 * in file order). So an allow rule of higher priority exempts a comment from lower rules.
 * A reply is posted before hiding (Meta refuses replies under hidden comments).
 * Pure apart from the ports it is given.
 */
import type { InstagramEvent } from '../webhook/events.js';
import { type ClassifierResult, type EvaluatePorts, getClassifier } from './ports.js';
import {
  type CNode,
  type CompiledRule,
  type Leaf,
  type RuleSet,
  ruleSeverity,
  SEVERITY,
  type TermRef,
} from './rules/model.js';
import type { Fallback, RuleAction } from './rules/schema.js';
import { expandTemplate } from './rules/template.js';
import { domainMatches, SHORTENERS, TextFeatures } from './text/features.js';
import { textHash as hashText } from './text/hash.js';
import { isWordChar, type Normalised, normaliseDetailed, rawForm } from './text/normalise.js';

export interface ModerationInput {
  readonly event: InstagramEvent;
  /** The text to judge. Defaults to event.text; for mentions the pipeline passes the fetched text. */
  readonly text?: string | null;
}

export interface EvaluateOptions {
  /** Record every rule's conditions, matched or not (for `rules explain`). */
  readonly explain?: boolean;
}

export type ConditionResult = 'matched' | 'not matched' | 'not evaluated';

export interface ConditionTrace {
  /** The condition as written, e.g. "text contains any". */
  readonly condition: string;
  readonly result: ConditionResult;
  /** What was found, e.g. `found "dm me"`, `2 mentions (at least 1)`. */
  readonly detail: string;
  /** Nesting depth under any/all/not, for display. */
  readonly depth: number;
}

export interface FallbackApplied {
  readonly ruleId: string;
  readonly classifier: string;
  readonly fallback: Fallback;
  readonly error: string;
}

export interface ClassifierCall {
  readonly classifier: string;
  readonly question: string | null;
  readonly result: ClassifierResult | null;
  readonly error: { readonly code: string; readonly message: string } | null;
}

export interface RuleOutcome {
  readonly ruleId: string;
  readonly mode: 'enforce' | 'shadow';
  readonly priority: number;
  readonly reason: string | null;
  /** true: fired; false: did not; null: not evaluated (it could not change the decision). */
  readonly matched: boolean | null;
  /** The rule's actions, or its classifier fallback when one applied. */
  readonly actions: readonly RuleAction[];
  readonly conditions: readonly ConditionTrace[];
  /** Terms, domains, handles or regex matches that matched. */
  readonly matchedTerms: readonly string[];
  readonly fallback: FallbackApplied | null;
}

export type PlannedStep =
  | { readonly type: 'reply'; readonly text: string; readonly to: 'comment' | 'mention' }
  | { readonly type: 'hide' }
  | { readonly type: 'delete' }
  | { readonly type: 'review' };

export type FinalAction = 'allow' | 'reply' | 'review' | 'hide' | 'delete';

interface DecisionBase {
  readonly ruleSetHash: string;
  /** What the rules matched on. Its key for repetition and caches is `textHash(normalisedText)`. */
  readonly normalisedText: string;
  /** Every rule that fired, enforce and shadow, in decision order. */
  readonly fired: readonly RuleOutcome[];
  /** What the shadow rules would have done had they been enforced (recorded, never acted on). */
  readonly shadow: {
    readonly ruleId: string;
    readonly action: FinalAction;
    readonly steps: readonly PlannedStep[];
  } | null;
  readonly classifierCalls: readonly ClassifierCall[];
  readonly fallbacks: readonly FallbackApplied[];
  /** Non-fatal problems (a repetition counter failure...). */
  readonly notes: readonly string[];
  /** With `explain: true`: every rule applicable to the account, in evaluation order. */
  readonly rules?: readonly RuleOutcome[];
}

export type Decision =
  | (DecisionBase & {
      readonly outcome: 'skipped';
      readonly reason: 'own_comment' | 'test_event';
      readonly action: 'allow';
      readonly decidingRule: null;
      readonly steps: readonly [];
    })
  | (DecisionBase & {
      readonly outcome: 'no_match';
      readonly action: 'allow';
      readonly decidingRule: null;
      readonly steps: readonly [];
    })
  | (DecisionBase & {
      readonly outcome: 'matched';
      readonly action: FinalAction;
      readonly decidingRule: string;
      readonly steps: readonly PlannedStep[];
    });

// ---------------------------------------------------------------------------------------------

/** Is the character at `i` a word character? ASCII answered from the code, no string made. */
function isWordAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
  return isWordChar(text[i] as string);
}

/** Reused hit buffer (evaluation is synchronous between awaits while searching). */
const HITS: number[] = [];

const F_ANY = 1;
const F_WORD = 2;
const F_START = 4;
const F_END = 8;

interface HitTable {
  readonly text: string;
  readonly flags: Map<number, number>;
}

interface Resolved {
  readonly value: boolean;
  /** Built only when a trace asks for it. */
  readonly detail: string | (() => string);
  readonly fallback: { classifier: string; fallback: Fallback; error: string } | null;
}

class Context {
  readonly features: TextFeatures;
  private normalisedCache: Normalised | undefined;
  private rawLower: string | undefined;
  private normalHits: HitTable | undefined;
  private rawHits: HitTable | undefined;
  private hashCache: string | undefined;
  readonly resolved = new Map<number, Resolved>();
  readonly leafValues: number[];
  /** Classifier calls by question, made on first need (most comments never ask one). */
  classifierCalls: Map<string, Promise<ClassifierOutcome>> | undefined;
  /** Calls answered without waiting (no classifier configured under that name). */
  classifierSettled: Map<string, ClassifierOutcome> | undefined;
  readonly classifierLog: ClassifierCall[] = [];
  readonly notes: string[] = [];
  /** While tracing: the rule's final status, to say why a dear condition was not asked. */
  tracing: boolean | undefined = undefined;
  /** Leaves of the current tier that a rule needs; filled during collection passes. */
  pending: Array<Extract<CNode, { t: 'leaf' }>> | null = null;

  constructor(
    readonly ruleSet: RuleSet,
    readonly plan: Plan,
    readonly event: InstagramEvent,
    readonly text: string,
    readonly ports: EvaluatePorts,
  ) {
    this.features = new TextFeatures(text, () => (this.normalisedCache ?? this.normalised).entity);
    // A plain array, not a typed array: no ArrayBuffer allocation per comment.
    this.leafValues = new Array<number>(ruleSet.leafCount).fill(UNSET);
  }

  get normalised(): Normalised {
    if (this.normalisedCache === undefined) this.normalisedCache = normaliseDetailed(this.text);
    return this.normalisedCache;
  }

  get textHash(): string {
    if (this.hashCache === undefined) this.hashCache = hashText(this.normalised.text);
    return this.hashCache;
  }

  rawText(): string {
    if (this.rawLower === undefined) this.rawLower = rawForm(this.text).toLowerCase();
    return this.rawLower;
  }

  hits(raw: boolean): HitTable {
    if (raw) {
      if (this.rawHits === undefined) this.rawHits = this.search(this.rawText(), [], true);
      return this.rawHits;
    }
    if (this.normalHits === undefined)
      this.normalHits = this.search(this.normalised.text, this.normalised.joinedSpans, false);
    return this.normalHits;
  }

  private search(text: string, spans: Normalised['joinedSpans'], raw: boolean): HitTable {
    const flags = new Map<number, number>();
    const automaton = raw ? this.ruleSet.rawAutomaton : this.ruleSet.automaton;
    const info = raw ? this.ruleSet.patternInfo.raw : this.ruleSet.patternInfo.normal;
    const leavesOf = raw ? this.plan.rawPatternLeaves : this.plan.patternLeaves;
    const leafValues = this.leafValues;
    const len = text.length;
    const hits = HITS;
    hits.length = 0;
    automaton.searchInto(text, hits);
    const noSpans = spans.length === 0;
    for (let h = 0; h < hits.length; h += 3) {
      const p = hits[h] as number;
      const start = hits[h + 1] as number;
      const end = hits[h + 2] as number;
      let inJoined = false;
      if (!noSpans) {
        for (const [s, e] of spans) {
          if (start >= s && end <= e) {
            inJoined = true;
            break;
          }
        }
      }
      if (!inJoined && info.joinedOnly[p]) continue;
      const whole =
        inJoined ||
        ((start === 0 || !info.leftBoundary[p] || !isWordAt(text, start - 1)) &&
          (end === len || !info.rightBoundary[p] || !isWordAt(text, end)));
      // "u" inside "you": nothing to record for a term only used as a whole word.
      if (!whole && info.wordOnly[p]) continue;
      let f = whole ? F_ANY | F_WORD : F_ANY;
      if (start === 0) f |= F_START;
      if (end === len) f |= F_END;
      const previous = flags.get(p);
      const merged = (previous ?? 0) | f;
      if (merged !== previous) flags.set(p, merged);
      // "Any of" term conditions this hit satisfies are true: one pass for all of them.
      const leaves = leavesOf[p];
      if (leaves !== undefined) {
        for (let k = 0; k < leaves.length; k += 2)
          if ((f & (leaves[k + 1] as number)) !== 0) leafValues[leaves[k] as number] = TRUE;
      }
    }
    return { text, flags };
  }
}

// ---------------------------------------------------------------------------------------------
// leaves

type LeafResult = { value: boolean | undefined; detail: string; matched?: string[] };

/** Shared results for the fast path (no detail wanted): no allocation per condition. */
const R_TRUE: LeafResult = Object.freeze({ value: true, detail: '' });
const R_FALSE: LeafResult = Object.freeze({ value: false, detail: '' });
const R_UNKNOWN: LeafResult = Object.freeze({ value: undefined, detail: 'not evaluated' });
function bool(value: boolean): LeafResult {
  return value ? R_TRUE : R_FALSE;
}

function quote(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max).map((s) => JSON.stringify(s));
  return items.length > max ? `${shown.join(', ')} and ${items.length - max} more` : shown.join(', ');
}

function bounds(min: number | null, max: number | null): string {
  if (min !== null && max !== null) return `between ${min} and ${max}`;
  return min !== null ? `at least ${min}` : `at most ${String(max)}`;
}

/** A term condition with what it found, for traces. */
function describeTerms(leaf: Extract<Leaf, { kind: 'terms' }>, ctx: Context): LeafResult {
  if (leaf.mode === 'exact') {
    const index = leaf.byForm.get(leaf.raw ? ctx.rawText() : ctx.normalised.text);
    const hit = index === undefined ? undefined : leaf.terms[index];
    return hit
      ? { value: true, detail: `the text is ${JSON.stringify(hit.display)}`, matched: [hit.display] }
      : { value: false, detail: 'the text is none of them' };
  }
  const table = ctx.hits(leaf.raw);
  const need = modeFlag(leaf.mode);
  let found: Set<number> | null = null;
  for (const [p, flags] of table.flags) {
    if ((flags & need) === 0) continue;
    const indexes = leaf.byPattern.get(p);
    if (indexes === undefined) continue;
    found ??= new Set();
    for (const i of indexes) found.add(i);
  }
  const count = found?.size ?? 0;
  const value = leaf.all ? count === leaf.terms.length : count > 0;
  const matched = found
    ? [...found].sort((x, y) => x - y).map((i) => (leaf.terms[i] as TermRef).display)
    : [];
  if (leaf.all) {
    const missing = leaf.terms.filter((_, i) => !found?.has(i)).map((t) => t.display);
    return value
      ? { value, detail: `found all: ${quote(matched)}`, matched }
      : { value, detail: `missing ${quote(missing)}` };
  }
  return value
    ? { value, detail: `found ${quote(matched)}`, matched }
    : { value, detail: `none of ${leaf.terms.length} term${leaf.terms.length === 1 ? '' : 's'} found` };
}

/** `want`: build the human-readable detail and matched terms (tracing); otherwise only the value. */
function evalCheapLeaf(
  leaf: Exclude<Leaf, { kind: 'repetition' | 'classifier' }>,
  ctx: Context,
  want: boolean,
): LeafResult {
  const f = ctx.features;
  const ev = ctx.event;
  switch (leaf.kind) {
    case 'terms': {
      // Tracing has its own function: its property reads then see one kind of leaf only.
      if (want) return describeTerms(leaf, ctx);
      if (leaf.mode === 'exact')
        return bool(leaf.byForm.get(leaf.raw ? ctx.rawText() : ctx.normalised.text) !== undefined);
      const table = ctx.hits(leaf.raw);
      const need = modeFlag(leaf.mode);
      // Walk this comment's hits (a handful), not the leaf's terms (maybe thousands).
      if (!leaf.all) {
        for (const [p, flags] of table.flags)
          if ((flags & need) !== 0 && leaf.byPattern.has(p)) return R_TRUE;
        return R_FALSE;
      }
      const found = new Set<number>();
      for (const [p, flags] of table.flags) {
        if ((flags & need) === 0) continue;
        const indexes = leaf.byPattern.get(p);
        if (indexes !== undefined) for (const i of indexes) found.add(i);
      }
      return bool(found.size === leaf.terms.length);
    }
    case 'regex': {
      const text = leaf.raw ? ctx.rawText() : ctx.normalised.forRegex;
      for (const re of leaf.regexes) {
        const m = re.exec(text);
        if (m && !want) return bool(true);
        if (m)
          return { value: true, detail: `/${re.source}/ matched ${JSON.stringify(m[0])}`, matched: [m[0]] };
      }
      return want ? { value: false, detail: 'no match' } : R_FALSE;
    }
    case 'has-link': {
      const links = f.links;
      if (!want) return bool(links.length > 0 === leaf.value);
      return {
        value: links.length > 0 === leaf.value,
        detail: links.length > 0 ? `links: ${quote(links.map((l) => l.domain))}` : 'no links',
        matched: links.map((l) => l.domain),
      };
    }
    case 'has-shortened-link': {
      const short =
        f.links.length === 0 ? [] : f.links.filter((l) => SHORTENERS.some((s) => domainMatches(l.domain, s)));
      if (!want) return bool(short.length > 0 === leaf.value);
      return {
        value: short.length > 0 === leaf.value,
        detail: short.length > 0 ? `shortened: ${quote(short.map((l) => l.url))}` : 'no shortened links',
        matched: short.map((l) => l.domain),
      };
    }
    case 'link-domain': {
      if (f.links.length === 0) return want ? { value: false, detail: 'no links' } : R_FALSE;
      const domains = f.links.map((l) => l.domain);
      const hits = domains.filter((d) => leaf.domains.some((x) => domainMatches(d, x)) !== leaf.negate);
      if (!want) return bool(hits.length > 0);
      if (domains.length === 0) return { value: false, detail: 'no links' };
      return hits.length > 0
        ? { value: true, detail: `${leaf.negate ? 'not allowed' : 'listed'}: ${quote(hits)}`, matched: hits }
        : { value: false, detail: `links: ${quote(domains)}` };
    }
    case 'count': {
      const n =
        leaf.what === 'links'
          ? f.links.length
          : leaf.what === 'mentions'
            ? f.mentions.length
            : leaf.what === 'hashtags'
              ? f.hashtags.length
              : leaf.what === 'emoji'
                ? f.emojiCount
                : f.length;
      const ok = (leaf.min === null || n >= leaf.min) && (leaf.max === null || n <= leaf.max);
      if (!want) return bool(ok);
      const noun = leaf.what === 'length' ? 'characters' : leaf.what;
      const matched =
        leaf.what === 'mentions'
          ? f.mentions.map((m) => `@${m}`)
          : leaf.what === 'hashtags'
            ? f.hashtags.map((h) => `#${h}`)
            : undefined;
      return {
        value: ok,
        detail: `${n} ${noun} (${bounds(leaf.min, leaf.max)})`,
        ...(ok && matched ? { matched } : {}),
      };
    }
    case 'share': {
      const share = leaf.what === 'emoji' ? f.emojiShare : f.capitalsShare;
      if (!want) return bool(share >= leaf.min);
      return {
        value: share >= leaf.min,
        detail: `${Math.round(share * 100)}% ${leaf.what} (at least ${Math.round(leaf.min * 100)}%)`,
      };
    }
    case 'mentions-any':
    case 'hashtags-any': {
      const have = leaf.kind === 'mentions-any' ? f.mentions : f.hashtags;
      const hits = have.length === 0 ? have : have.filter((h) => leaf.values.has(h));
      if (!want) return bool(hits.length > 0);
      const sigil = leaf.kind === 'mentions-any' ? '@' : '#';
      return hits.length > 0
        ? {
            value: true,
            detail: `found ${quote(hits.map((h) => sigil + h))}`,
            matched: hits.map((h) => sigil + h),
          }
        : {
            value: false,
            detail:
              have.length > 0
                ? `has ${quote(have.map((h) => sigil + h))}`
                : `no ${leaf.kind === 'mentions-any' ? 'mentions' : 'hashtags'}`,
          };
    }
    case 'author': {
      const name = ev.author?.username?.toLowerCase() ?? null;
      const id = ev.author?.id ?? null;
      const listed = (name !== null && leaf.values.has(name)) || (id !== null && leaf.values.has(id));
      if (!want) return bool(listed !== leaf.negate);
      const who = name !== null ? `@${name}` : id !== null ? `id ${id}` : 'unknown author';
      return {
        value: listed !== leaf.negate,
        detail: `${who} ${listed ? 'is' : 'is not'} listed`,
        ...(listed ? { matched: [who] } : {}),
      };
    }
    case 'media':
      if (!want) return bool(ev.mediaId !== null && leaf.values.has(ev.mediaId));
      return {
        value: ev.mediaId !== null && leaf.values.has(ev.mediaId),
        detail: `media ${ev.mediaId ?? 'unknown'}`,
      };
    case 'media-type': {
      const type = ev.adId !== null ? 'AD' : ev.mediaProductType;
      if (!want) return bool(type !== null && leaf.values.has(type));
      return { value: type !== null && leaf.values.has(type), detail: `media type ${type ?? 'unknown'}` };
    }
    case 'is-live':
      if (!want) return bool((ev.kind === 'live_comment') === leaf.value);
      return {
        value: (ev.kind === 'live_comment') === leaf.value,
        detail: ev.kind === 'live_comment' ? 'a live comment' : 'not live',
      };
    case 'event-kind':
      if (!want) return bool(leaf.values.has(ev.kind));
      return { value: leaf.values.has(ev.kind), detail: `kind ${ev.kind}` };
  }
}

const UNSET = 0;
const FALSE = 1;
const TRUE = 2;

function evalLeaf(node: Extract<CNode, { t: 'leaf' }>, ctx: Context, want: boolean): LeafResult {
  const leaf = node.leaf;
  if (leaf.kind === 'repetition' || leaf.kind === 'classifier') {
    const r = ctx.resolved.get(node.id);
    if (r) {
      if (!want) return bool(r.value);
      return { value: r.value, detail: typeof r.detail === 'string' ? r.detail : r.detail() };
    }
    if (ctx.pending && !ctx.pending.includes(node)) ctx.pending.push(node);
    return R_UNKNOWN;
  }
  if (want) return evalCheapLeaf(leaf, ctx, true);
  // Cheap leaves are pure for one comment: each is computed once, whatever the passes.
  const cached = ctx.leafValues[node.id];
  if (cached !== UNSET && cached !== undefined) return bool(cached === TRUE);
  if (leaf.kind === 'terms' && isAnyOfTerms(leaf)) {
    // Scanning the text marks every "any of" term condition a hit satisfies (Context.search).
    ctx.hits(leaf.raw);
    if (ctx.leafValues[node.id] === TRUE) return R_TRUE;
    ctx.leafValues[node.id] = FALSE;
    return R_FALSE;
  }
  const r = evalCheapLeaf(leaf, ctx, false);
  ctx.leafValues[node.id] = r.value ? TRUE : FALSE;
  return r;
}

interface Trace {
  readonly conditions: ConditionTrace[];
  readonly matched: string[];
  readonly fallbacks: Array<{ classifier: string; fallback: Fallback; error: string }>;
}

/** Three-valued: true, false, or undefined (depends on a dearer condition not asked yet). */
function evalNode(node: CNode, ctx: Context, trace: Trace | null, depth: number): boolean | undefined {
  switch (node.t) {
    case 'leaf': {
      if (trace === null) {
        // Known already (cheap leaves are computed once per comment).
        const known = ctx.leafValues[node.id];
        if (known === TRUE) return true;
        if (known === FALSE) return false;
      }
      const r = evalLeaf(node, ctx, trace !== null);
      if (trace) {
        trace.conditions.push({
          condition: node.key,
          result: r.value === undefined ? 'not evaluated' : r.value ? 'matched' : 'not matched',
          detail: r.value === undefined ? notEvaluatedReason(ctx.tracing) : r.detail,
          depth,
        });
        if (r.value === true && r.matched) trace.matched.push(...r.matched);
        const fb = ctx.resolved.get(node.id)?.fallback;
        if (fb && r.value === true) trace.fallbacks.push(fb);
      }
      return r.value;
    }
    case 'all': {
      if (trace && depth > 0)
        trace.conditions.push({ condition: 'all', result: 'not evaluated', detail: '', depth });
      const at = trace ? trace.conditions.length - 1 : -1;
      let unknown = false;
      let result: boolean | undefined = true;
      for (const child of node.children) {
        const v = evalNode(child, ctx, trace, depth === 0 ? 0 : depth + 1);
        if (v === false) {
          result = false;
          if (!trace) break;
        } else if (v === undefined) unknown = true;
      }
      if (result !== false && unknown) result = undefined;
      if (trace && depth > 0) setGroupResult(trace, at, result);
      return result;
    }
    case 'any': {
      if (trace) trace.conditions.push({ condition: 'any', result: 'not evaluated', detail: '', depth });
      const at = trace ? trace.conditions.length - 1 : -1;
      let unknown = false;
      let result: boolean | undefined = false;
      for (const child of node.children) {
        const v = evalNode(child, ctx, trace, depth + 1);
        if (v === true) {
          result = true;
          if (!trace) break;
        } else if (v === undefined) unknown = true;
      }
      if (result !== true && unknown) result = undefined;
      if (trace) setGroupResult(trace, at, result);
      return result;
    }
    case 'not': {
      if (trace) trace.conditions.push({ condition: 'not', result: 'not evaluated', detail: '', depth });
      const at = trace ? trace.conditions.length - 1 : -1;
      // Terms found under "not" are not what made the rule fire.
      const inner: Trace | null = trace
        ? { conditions: trace.conditions, matched: [], fallbacks: trace.fallbacks }
        : null;
      const v = evalNode(node.child, ctx, inner, depth + 1);
      const result = v === undefined ? undefined : !v;
      if (trace) setGroupResult(trace, at, result);
      return result;
    }
  }
}

function setGroupResult(trace: Trace, at: number, result: boolean | undefined): void {
  const entry = trace.conditions[at];
  if (entry)
    trace.conditions[at] = {
      ...entry,
      result: result === undefined ? 'not evaluated' : result ? 'matched' : 'not matched',
    };
}

function notEvaluatedReason(ruleStatus: boolean | undefined): string {
  return ruleStatus === undefined
    ? 'not evaluated: the rule could not change the decision'
    : 'not evaluated: not needed, the cheaper conditions decided';
}

// ---------------------------------------------------------------------------------------------
// dear leaves

function callKey(use: string, question: string | null): string {
  return `${use}\u0000${question ?? ''}`;
}

/**
 * Asks one dear condition. Answers what it can at once (no counter, unknown author, no
 * classifier configured) and returns null; otherwise returns a promise settled once the answer
 * is recorded in `ctx.resolved` (it never rejects; a classifier that throws instead of
 * returning a promise throws here, and the evaluation rejects, as it always did).
 */
function askLeaf(node: Extract<CNode, { t: 'leaf' }>, ctx: Context): Promise<void> | null {
  const leaf = node.leaf;
  if (leaf.kind === 'repetition') {
    const counter = ctx.ports.repetition;
    if (!counter) {
      ctx.resolved.set(node.id, {
        value: false,
        detail: 'not evaluated (no repetition counter configured)',
        fallback: null,
      });
      return null;
    }
    const authorId =
      leaf.scope === 'author' ? (ctx.event.author?.id ?? ctx.event.author?.username ?? null) : null;
    if (leaf.scope === 'author' && authorId === null) {
      ctx.resolved.set(node.id, { value: false, detail: 'unknown author', fallback: null });
      return null;
    }
    const failed = (e: unknown): void => {
      ctx.notes.push(`repetition count failed: ${(e as Error).message}`);
      ctx.resolved.set(node.id, {
        value: false,
        detail: `repetition count failed: ${(e as Error).message}`,
        fallback: null,
      });
    };
    let counted: Promise<number>;
    try {
      counted = Promise.resolve(
        counter.count({
          accountId: ctx.event.accountId,
          authorId,
          textHash: ctx.textHash,
          windowSeconds: leaf.windowSeconds,
          now: ctx.ports.now ? ctx.ports.now() : new Date(),
          enough: leaf.times - 1,
        }),
      );
    } catch (e) {
      failed(e);
      return null;
    }
    return counted.then((previous) => {
      const times = previous + 1;
      // A counter may stop at `enough`: from there on the count is a lower bound.
      const seen = previous >= leaf.times - 1 ? `at least ${times}` : `${times}`;
      ctx.resolved.set(node.id, {
        value: times >= leaf.times,
        detail: () =>
          `seen ${seen} time${times === 1 ? '' : 's'} ${leaf.scope === 'author' ? 'from this author' : 'on this account'} within ${leaf.windowSeconds}s (at least ${leaf.times})`,
        fallback: null,
      });
    }, failed);
  }
  if (leaf.kind !== 'classifier') return null;
  const key = callKey(leaf.use, leaf.question);
  const settled = ctx.classifierSettled?.get(key);
  if (settled) {
    applyClassifier(node, leaf, settled, ctx);
    return null;
  }
  let call = ctx.classifierCalls?.get(key);
  if (!call) {
    const classifier = getClassifier(ctx.ports, leaf.use);
    if (!classifier) {
      const outcome: ClassifierOutcome = {
        error: { code: 'not_configured', message: `no classifier configured for "${leaf.use}"` },
      };
      ctx.classifierSettled ??= new Map();
      ctx.classifierSettled.set(key, outcome);
      ctx.classifierLog.push({
        classifier: leaf.use,
        question: leaf.question,
        result: null,
        error: outcome.error,
      });
      applyClassifier(node, leaf, outcome, ctx);
      return null;
    }
    call = classifier
      .classify({
        text: ctx.text,
        normalisedText: ctx.normalised.text,
        ...(leaf.question ? { question: leaf.question } : {}),
      })
      .then(
        (result): ClassifierOutcome => ({ result }),
        (e: unknown): ClassifierOutcome => ({
          error: {
            code:
              typeof e === 'object' && e !== null && 'code' in e
                ? String((e as { code: unknown }).code)
                : 'error',
            message: e instanceof Error ? e.message : String(e),
          },
        }),
      );
    ctx.classifierCalls ??= new Map();
    ctx.classifierCalls.set(key, call);
    void call.then((r) =>
      ctx.classifierLog.push({
        classifier: leaf.use,
        question: leaf.question,
        result: 'result' in r ? r.result : null,
        error: 'error' in r ? r.error : null,
      }),
    );
  }
  return call.then((outcome) => applyClassifier(node, leaf, outcome, ctx));
}

type ClassifierOutcome = { result: ClassifierResult } | { error: { code: string; message: string } };

function applyClassifier(
  node: Extract<CNode, { t: 'leaf' }>,
  leaf: Extract<Leaf, { kind: 'classifier' }>,
  outcome: ClassifierOutcome,
  ctx: Context,
): void {
  if ('error' in outcome) {
    const value = leaf.fallback !== 'allow';
    const reason =
      outcome.error.code === 'not_configured'
        ? 'not evaluated (no classifier configured)'
        : `${leaf.use} failed: ${outcome.error.message}`;
    ctx.resolved.set(node.id, {
      value,
      detail: `${reason}; fallback ${leaf.fallback}`,
      fallback: {
        classifier: leaf.use,
        fallback: leaf.fallback,
        error: `${outcome.error.code}: ${outcome.error.message}`,
      },
    });
    return;
  }
  const score = outcome.result.scores[leaf.score] ?? 0;
  ctx.resolved.set(node.id, {
    value: score >= leaf.atLeast,
    detail: `${leaf.use} ${leaf.score} ${score.toFixed(2)} (at least ${leaf.atLeast})${outcome.result.reason ? `: ${outcome.result.reason}` : ''}`,
    fallback: null,
  });
}

// ---------------------------------------------------------------------------------------------
// deciding

function effectiveActions(rule: CompiledRule, fallbacks: Trace['fallbacks']): readonly RuleAction[] {
  if (fallbacks.length === 0) return rule.actions;
  // A failed classifier with fallback review/hide replaces the rule's action.
  const worst = fallbacks.reduce<Fallback>(
    (a, f) => (SEVERITY[f.fallback] > SEVERITY[a] ? f.fallback : a),
    'allow',
  );
  return [worst];
}

interface Rank {
  readonly priority: number;
  readonly severity: number;
  readonly order: number;
}

type Fired = { rule: CompiledRule; outcome: RuleOutcome };

function rankOf(f: Fired): Rank {
  return { priority: f.rule.priority, severity: ruleSeverity(f.outcome.actions), order: f.rule.order };
}

function compareFired(a: Fired, b: Fired): number {
  const ra = rankOf(a);
  const rb = rankOf(b);
  return outrank(ra, rb) ? -1 : outrank(rb, ra) ? 1 : 0;
}

function outcomeOf(f: Fired): RuleOutcome {
  return f.outcome;
}

function outrank(a: Rank, b: Rank): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.severity !== b.severity) return a.severity > b.severity;
  return a.order < b.order;
}

function plan(
  rule: CompiledRule,
  actions: readonly RuleAction[],
  outcome: RuleOutcome,
  event: InstagramEvent,
  notes: string[],
): { action: FinalAction; steps: PlannedStep[] } {
  const mention = event.kind === 'mention_comment' || event.kind === 'mention_caption';
  const steps: PlannedStep[] = [];
  // Reply first: Meta refuses replies under a hidden comment.
  if (actions.includes('reply') && rule.reply) {
    const text = expandTemplate(rule.reply, {
      author: event.author?.username ?? null,
      matched: outcome.matchedTerms[0] ?? null,
    });
    steps.push({ type: 'reply', text, to: mention ? 'mention' : 'comment' });
  }
  let action: FinalAction = actions.includes('reply') ? 'reply' : 'allow';
  for (const a of actions) {
    if (a === 'reply' || a === 'allow') continue;
    if (mention && (a === 'hide' || a === 'delete')) {
      notes.push(
        `rule "${rule.id}": a mention cannot be ${a === 'hide' ? 'hidden' : 'deleted'}; held for review instead`,
      );
      steps.push({ type: 'review' });
      action = 'review';
      continue;
    }
    steps.push({ type: a });
    action = a;
  }
  return { action, steps };
}

/**
 * What the evaluator derives once per rule set, never per comment: each rule's severity (and
 * with its classifier fallbacks) and, per automaton pattern, the "any of" term conditions a hit
 * of that pattern satisfies.
 */
interface Plan {
  readonly severity: readonly number[];
  readonly dearSeverity: readonly number[];
  /** Pattern id → [leaf id, flag needed, leaf id, flag needed, ...]. */
  readonly patternLeaves: ReadonlyArray<readonly number[] | undefined>;
  readonly rawPatternLeaves: ReadonlyArray<readonly number[] | undefined>;
}

const plans = new WeakMap<RuleSet, Plan>();

/** `text contains any` (and starts/ends with, substring): true as soon as one term is found. */
function isAnyOfTerms(leaf: Extract<Leaf, { kind: 'terms' }>): boolean {
  return !leaf.all && leaf.mode !== 'exact';
}

function modeFlag(mode: 'word' | 'substring' | 'start' | 'end'): number {
  return mode === 'word' ? F_WORD : mode === 'substring' ? F_ANY : mode === 'start' ? F_START : F_END;
}

function planOf(ruleSet: RuleSet): Plan {
  const cached = plans.get(ruleSet);
  if (cached) return cached;
  const patternLeaves: number[][] = [];
  const rawPatternLeaves: number[][] = [];
  const walk = (n: CNode): void => {
    if (n.t === 'leaf') {
      const leaf = n.leaf;
      if (leaf.kind !== 'terms' || leaf.all || leaf.mode === 'exact') return;
      const table = leaf.raw ? rawPatternLeaves : patternLeaves;
      const need = modeFlag(leaf.mode);
      for (const p of leaf.byPattern.keys()) {
        const list = table[p];
        if (list) list.push(n.id, need);
        else table[p] = [n.id, need];
      }
    } else if (n.t === 'not') walk(n.child);
    else for (const c of n.children) walk(c);
  };
  for (const r of ruleSet.rules) walk(r.when);
  const plan: Plan = {
    severity: ruleSet.rules.map((r) => ruleSeverity(r.actions)),
    dearSeverity: ruleSet.rules.map((r) => Math.max(ruleSeverity(r.actions), ruleSeverity(r.fallbacks))),
    patternLeaves,
    rawPatternLeaves,
  };
  plans.set(ruleSet, plan);
  return plan;
}

/**
 * The key repetition conditions count by (`textHash` of the normalised text `evaluate` matches
 * on): lets a caller deciding several comments at once know which of them repeat each other.
 */
export function repetitionKey(input: ModerationInput): string {
  return hashText(normaliseDetailed(input.text ?? input.event.text ?? '').text);
}

/** Decides what to do with one comment. */
export function evaluate(
  ruleSet: RuleSet,
  input: ModerationInput,
  ports: EvaluatePorts = {},
  options: EvaluateOptions = {},
): Promise<Decision> {
  const event = input.event;
  const text = input.text ?? event.text ?? '';
  let plan = planOf(ruleSet);
  if (ruleSet.scoped) plan = scopedPlan(ruleSet, plan, event.accountId);
  const ctx = new Context(ruleSet, plan, event, text, ports);
  if (event.fromSelf || event.isTest)
    return Promise.resolve(skipped(ctx, event.fromSelf ? 'own_comment' : 'test_event'));

  const rules = ruleSet.scoped
    ? ruleSet.rules.filter((r) => r.accounts === null || r.accounts.has(event.accountId))
    : ruleSet.rules;
  // status[i]: rules[i] fired (true), did not (false), or depends on a dear condition (undefined).
  const status: Array<boolean | undefined> = new Array(rules.length);
  let undecided = 0;
  for (let i = 0; i < rules.length; i++) {
    const v = evalNode((rules[i] as CompiledRule).when, ctx, null, 0);
    if (v === undefined) undecided++;
    status[i] = v;
  }
  // The common case is fully synchronous: no database or classifier condition was needed.
  if (undecided === 0) return Promise.resolve(finish(ctx, rules, status, options));
  // Dear conditions: only what a port must answer asynchronously is awaited.
  try {
    const decided = resolveDear(ctx, rules, status, 1, () => finish(ctx, rules, status, options));
    return decided instanceof Promise ? decided : Promise.resolve(decided);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** The plan's per-rule arrays for the rules that apply to one account (in rule-set order). */
function scopedPlan(ruleSet: RuleSet, plan: Plan, accountId: string): Plan {
  const severity: number[] = [];
  const dearSeverity: number[] = [];
  ruleSet.rules.forEach((r, i) => {
    if (r.accounts !== null && !r.accounts.has(accountId)) return;
    severity.push(plan.severity[i] as number);
    dearSeverity.push(plan.dearSeverity[i] as number);
  });
  return { ...plan, severity, dearSeverity };
}

function skipped(ctx: Context, reason: 'own_comment' | 'test_event'): Decision {
  // Our own comments (and our replies coming back as webhooks) are never acted on.
  return {
    outcome: 'skipped',
    reason,
    action: 'allow',
    decidingRule: null,
    steps: [],
    ruleSetHash: ctx.ruleSet.hash,
    normalisedText: ctx.normalised.text,
    fired: [],
    shadow: null,
    classifierCalls: [],
    fallbacks: [],
    notes: [],
  };
}

/**
 * Asks dearer conditions tier by tier, only for rules still undecided that could matter, then
 * decides (`done`): at once when every answer came at once, else once the answers are in.
 */
function resolveDear(
  ctx: Context,
  rules: readonly CompiledRule[],
  status: Array<boolean | undefined>,
  fromTier: number,
  done: () => Decision,
): Decision | Promise<Decision> {
  const { severity, dearSeverity } = ctx.plan;
  for (let tier = fromTier; tier <= 3; tier++) {
    // The enforce rule that would win so far.
    let best = -1;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i] as CompiledRule;
      if (r.mode !== 'enforce' || status[i] !== true) continue;
      if (best < 0) {
        best = i;
        continue;
      }
      const b = rules[best] as CompiledRule;
      if (outranks(r.priority, severity[i] as number, r.order, b.priority, severity[best] as number, b.order))
        best = i;
    }
    const worth: number[] = [];
    for (let i = 0; i < rules.length; i++) {
      if (status[i] !== undefined) continue;
      const r = rules[i] as CompiledRule;
      if (r.mode === 'shadow' || best < 0) {
        worth.push(i);
        continue;
      }
      const b = rules[best] as CompiledRule;
      if (
        outranks(
          r.priority,
          dearSeverity[i] as number,
          r.order,
          b.priority,
          severity[best] as number,
          b.order,
        )
      )
        worth.push(i);
    }
    if (worth.length === 0) return done();
    const pending: Array<Extract<CNode, { t: 'leaf' }>> = [];
    ctx.pending = pending;
    for (const i of worth) evalNode((rules[i] as CompiledRule).when, ctx, null, 0);
    ctx.pending = null;
    const waits: Array<Promise<void>> = [];
    for (const node of pending) {
      if (node.tier !== tier) continue;
      let w: Promise<void> | null;
      try {
        w = askLeaf(node, ctx);
      } catch (e) {
        // A port that throws instead of rejecting: the other asks still go out, then it rejects.
        w = Promise.reject(e);
      }
      if (w !== null) waits.push(w);
    }
    if (waits.length > 0) {
      const next = tier + 1;
      const all = waits.length === 1 ? (waits[0] as Promise<void>) : Promise.all(waits);
      return all.then(() =>
        reevaluate(ctx, rules, status, worth) > 0 ? resolveDear(ctx, rules, status, next, done) : done(),
      );
    }
    if (reevaluate(ctx, rules, status, worth) === 0) return done();
  }
  return done();
}

/** Evaluates the given rules again with the answers so far; returns how many stay undecided. */
function reevaluate(
  ctx: Context,
  rules: readonly CompiledRule[],
  status: Array<boolean | undefined>,
  worth: readonly number[],
): number {
  let undecided = 0;
  for (const i of worth) {
    const v = evalNode((rules[i] as CompiledRule).when, ctx, null, 0);
    if (v === undefined) undecided++;
    status[i] = v;
  }
  return undecided;
}

function outranks(
  priority: number,
  severity: number,
  order: number,
  otherPriority: number,
  otherSeverity: number,
  otherOrder: number,
): boolean {
  if (priority !== otherPriority) return priority > otherPriority;
  if (severity !== otherSeverity) return severity > otherSeverity;
  return order < otherOrder;
}

function finish(
  ctx: Context,
  rules: readonly CompiledRule[],
  status: ReadonlyArray<boolean | undefined>,
  options: EvaluateOptions,
): Decision {
  const event = ctx.event;
  const ruleSet = ctx.ruleSet;
  // Outcomes: full traces for fired rules (and for every rule when explaining).
  const outcomes: RuleOutcome[] = [];
  const fired: Array<{ rule: CompiledRule; outcome: RuleOutcome }> = [];
  const fallbacks: FallbackApplied[] = [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as CompiledRule;
    const st = status[i];
    if (st !== true && !options.explain) continue;
    const trace: Trace = { conditions: [], matched: [], fallbacks: [] };
    ctx.tracing = st;
    evalNode(rule.when, ctx, trace, 0);
    const fb = st === true ? (trace.fallbacks[0] ?? null) : null;
    const outcome: RuleOutcome = {
      ruleId: rule.id,
      mode: rule.mode,
      priority: rule.priority,
      reason: rule.reason,
      matched: st === undefined ? null : st,
      actions: st === true ? effectiveActions(rule, trace.fallbacks) : rule.actions,
      conditions: trace.conditions,
      matchedTerms: trace.matched.length < 2 ? trace.matched : [...new Set(trace.matched)],
      fallback: fb ? { ruleId: rule.id, ...fb } : null,
    };
    if (outcome.fallback) fallbacks.push(outcome.fallback);
    outcomes.push(outcome);
    if (st === true) fired.push({ rule, outcome });
  }

  if (fired.length > 1) fired.sort(compareFired);
  let winner: { rule: CompiledRule; outcome: RuleOutcome } | undefined;
  let topShadow = false;
  for (const f of fired) {
    if (f.rule.mode === 'enforce') {
      winner ??= f;
    } else topShadow = true;
  }
  const notes = ctx.notes;

  let shadow: DecisionBase['shadow'] = null;
  const top = fired[0];
  if (topShadow && top && top.rule.mode === 'shadow') {
    // What would happen if shadow rules were enforced: the top of all fired rules.
    const p = plan(top.rule, top.outcome.actions, top.outcome, event, []);
    shadow = { ruleId: top.rule.id, action: p.action, steps: p.steps };
  }

  const firedOutcomes = fired.length === 0 ? [] : fired.map(outcomeOf);
  const explained = options.explain ? { rules: outcomes } : null;
  if (!winner) {
    const decision: Decision = {
      outcome: 'no_match',
      action: 'allow',
      decidingRule: null,
      steps: [],
      ruleSetHash: ruleSet.hash,
      normalisedText: ctx.normalised.text,
      fired: firedOutcomes,
      shadow,
      classifierCalls: ctx.classifierLog,
      fallbacks,
      notes,
    };
    return explained ? { ...decision, ...explained } : decision;
  }
  const p = plan(winner.rule, winner.outcome.actions, winner.outcome, event, notes);
  const decision: Decision = {
    outcome: 'matched',
    action: p.action,
    decidingRule: winner.rule.id,
    steps: p.steps,
    ruleSetHash: ruleSet.hash,
    normalisedText: ctx.normalised.text,
    fired: firedOutcomes,
    shadow,
    classifierCalls: ctx.classifierLog,
    fallbacks,
    notes,
  };
  return explained ? { ...decision, ...explained } : decision;
}
