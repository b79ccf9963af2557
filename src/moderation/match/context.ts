/**
 * One comment's evaluation state: its text in each form (made on first need), the single scan of
 * the term automata that marks every "any of" term condition at once, the value of each cheap
 * condition (computed once whatever the passes), and the answers of dear ones.
 */
import type { InstagramEvent } from '../../webhook/events.js';
import type { ClassifierCall } from '../decision.js';
import type { ClassifierResult, EvaluatePorts } from '../ports.js';
import type { CNode, RuleSet } from '../rules/model.js';
import type { Fallback } from '../rules/schema.js';
import { TextFeatures } from '../text/features.js';
import { textHash as hashText } from '../text/hash.js';
import {
  collapseSpaces,
  isWordChar,
  type Normalised,
  normaliseDetailed,
  rawForm,
} from '../text/normalise.js';
import { F_ANY, F_END, F_START, F_WORD, type Plan } from './plan.js';

/** Is the character at `i` a word character? ASCII answered from the code, no string made. */
function isWordAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
  return isWordChar(text[i] as string);
}

/** Reused hit buffers (evaluation is synchronous between awaits while searching). */
const HITS: number[] = [];
const ACROSS_HITS: number[] = [];
const LITERAL_HITS: number[] = [];
/**
 * The shortest joined phrase looked for across a joined word's edges: shorter ones ("dme", "subme")
 * turn up inside ordinary words run together ("admeasure").
 */
const MIN_ACROSS = 6;

function insideAny(spans: Normalised['joinedSpans'], at: number): boolean {
  for (const [s, e] of spans) if (at >= s && at < e) return true;
  return false;
}

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

export class Context {
  readonly features: TextFeatures;
  private normalisedCache: Normalised | undefined;
  private rawLower: string | undefined;
  private normalHits: HitTable | undefined;
  private rawHits: HitTable | undefined;
  private hashCache: string | undefined;
  private regexLiteralsPresent: Uint8Array | undefined;
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

  /** Whether one of these regex literals (ids in `ruleSet.regexLiterals`) is in the regex text. */
  anyRegexLiteral(ids: readonly number[]): boolean {
    let present = this.regexLiteralsPresent;
    if (present === undefined) {
      const { automaton, count } = this.ruleSet.regexLiterals;
      present = new Uint8Array(count);
      const hits = LITERAL_HITS;
      hits.length = 0;
      automaton.searchInto(this.normalised.forRegex, hits);
      for (let h = 0; h < hits.length; h += 3) present[hits[h] as number] = 1;
      this.regexLiteralsPresent = present;
    }
    for (const id of ids) if (present[id] === 1) return true;
    return false;
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
      this.recordHit(flags, leavesOf, p, f);
    }
    if (!noSpans) this.searchAcrossJoined(text, spans, flags);
    return { text, flags };
  }

  /**
   * A phrase spaced out only in part ("c h e c k o u t this video o n YouTube") spans a joined
   * word and ordinary ones: its joined form is looked for in the text with the spaces removed,
   * and counts when it reaches into a joined word and starts and ends on word edges.
   */
  private searchAcrossJoined(
    text: string,
    spans: Normalised['joinedSpans'],
    flags: Map<number, number>,
  ): void {
    const info = this.ruleSet.patternInfo.normal;
    const leavesOf = this.plan.patternLeaves;
    const collapsed = collapseSpaces(text);
    const hits = ACROSS_HITS;
    hits.length = 0;
    this.ruleSet.automaton.searchInto(collapsed.text, hits);
    for (let h = 0; h < hits.length; h += 3) {
      const p = hits[h] as number;
      const start = hits[h + 1] as number;
      const end = hits[h + 2] as number;
      if (!info.joinedOnly[p] || end - start < MIN_ACROSS) continue;
      const from = collapsed.from[start] as number;
      const to = (collapsed.from[end - 1] as number) + 1;
      let reaches = false;
      for (const [s, e] of spans) if (from < e && to > s) reaches = true;
      if (!reaches) continue;
      const startsOnEdge = from === 0 || insideAny(spans, from) || !isWordAt(text, from - 1);
      const endsOnEdge = to === text.length || insideAny(spans, to - 1) || !isWordAt(text, to);
      if (!startsOnEdge || !endsOnEdge) continue;
      this.recordHit(flags, leavesOf, p, F_ANY | F_WORD);
    }
  }

  /**
   * One hit of pattern `p` with flags `f`: remembered for the term conditions that need more
   * than "found" (whole word, start, end), and every "any of" term condition it satisfies is
   * true at once.
   */
  private recordHit(flags: Map<number, number>, leavesOf: Plan['patternLeaves'], p: number, f: number): void {
    const previous = flags.get(p);
    const merged = (previous ?? 0) | f;
    if (merged !== previous) flags.set(p, merged);
    const leaves = leavesOf[p];
    if (leaves === undefined) return;
    for (let k = 0; k < leaves.length; k += 2)
      if ((f & (leaves[k + 1] as number)) !== 0) this.leafValues[leaves[k] as number] = TRUE;
  }
}

/** A cheap condition's value in `Context.leafValues`. */
export const UNSET = 0;
export const FALSE = 1;
export const TRUE = 2;

export type ClassifierOutcome = { result: ClassifierResult } | { error: { code: string; message: string } };
