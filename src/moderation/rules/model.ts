/**
 * The compiled rule set: what the loader produces and the evaluator runs. Pure data plus the
 * term automata. Everything here is built once per rule-set version, never per comment.
 */

import type { Automaton } from '../text/aho.js';
import type { Fallback, KindName, RuleAction } from './schema.js';

/** How expensive a condition is; cheaper tiers are evaluated first, dearer ones only if needed. */
export const TIER_CHEAP = 0;
/** Database-backed (repetition counts). */
export const TIER_DATABASE = 1;
/** In-process model (builtin classifier). */
export const TIER_LOCAL_MODEL = 2;
/** Paid or remote model (OpenAI). */
export const TIER_REMOTE_MODEL = 3;
export type Tier = 0 | 1 | 2 | 3;

export interface TermRef {
  /** As written by the moderator. */
  readonly display: string;
  /** Automaton pattern ids: the normalised term, and its joined form for phrases. */
  readonly patterns: readonly number[];
  /** The normalised (or raw, lower-cased) form, for `text is`. */
  readonly form: string;
}

export type Leaf =
  | {
      readonly kind: 'terms';
      readonly mode: 'word' | 'substring' | 'start' | 'end' | 'exact';
      readonly all: boolean;
      readonly terms: readonly TermRef[];
      readonly raw: boolean;
      /** Pattern id → indexes into `terms`: a comment's few hits are looked up, not every term. */
      readonly byPattern: ReadonlyMap<number, readonly number[]>;
      /** For `text is`: normalised form → index into `terms`. */
      readonly byForm: ReadonlyMap<string, number>;
    }
  | {
      readonly kind: 'regex';
      readonly regexes: readonly RegExp[];
      /**
       * Per regex: ids in `RuleSet.regexLiterals` of strings one of which every match contains
       * (src/moderation/rules/regex-literals.ts); null where none is certain. Normalised text only.
       */
      readonly literalIds: readonly (readonly number[] | null)[];
      readonly raw: boolean;
    }
  | { readonly kind: 'has-link'; readonly value: boolean }
  | { readonly kind: 'has-shortened-link'; readonly value: boolean }
  | { readonly kind: 'link-domain'; readonly domains: readonly string[]; readonly negate: boolean }
  | {
      readonly kind: 'count';
      readonly what: 'links' | 'mentions' | 'hashtags' | 'emoji' | 'length';
      readonly min: number | null;
      readonly max: number | null;
    }
  | { readonly kind: 'share'; readonly what: 'emoji' | 'capitals'; readonly min: number }
  | { readonly kind: 'mentions-any' | 'hashtags-any'; readonly values: ReadonlySet<string> }
  | {
      readonly kind: 'repetition';
      readonly scope: 'author' | 'account';
      readonly times: number;
      readonly windowSeconds: number;
    }
  | { readonly kind: 'author'; readonly values: ReadonlySet<string>; readonly negate: boolean }
  | { readonly kind: 'media'; readonly values: ReadonlySet<string> }
  | { readonly kind: 'media-type'; readonly values: ReadonlySet<string> }
  | { readonly kind: 'is-live'; readonly value: boolean }
  | { readonly kind: 'event-kind'; readonly values: ReadonlySet<string> }
  | {
      readonly kind: 'classifier';
      readonly use: string;
      readonly score: string;
      readonly atLeast: number;
      readonly question: string | null;
      readonly fallback: Fallback;
    };

export type CNode =
  | { readonly t: 'all'; readonly children: readonly CNode[]; readonly tier: Tier }
  | { readonly t: 'any'; readonly children: readonly CNode[]; readonly tier: Tier }
  | { readonly t: 'not'; readonly child: CNode; readonly tier: Tier }
  | {
      readonly t: 'leaf';
      readonly key: string;
      readonly leaf: Leaf;
      readonly tier: Tier;
      readonly id: number;
    };

export interface RuleExample {
  readonly text: string;
  readonly author: string | null;
  readonly kind: KindName | null;
  readonly mediaType: 'FEED' | 'REELS' | 'STORY' | 'AD' | null;
  readonly decidedBy: string | null;
  readonly repeats: number | null;
  readonly authorRepeats: number | null;
  readonly scores: Readonly<Record<string, number>> | null;
  readonly line: number;
}

export interface CompiledRule {
  readonly id: string;
  readonly reason: string | null;
  readonly file: string;
  readonly line: number;
  /** Position in the rule set (files sorted by path, then rule order): the last tie-breaker. */
  readonly order: number;
  readonly priority: number;
  readonly mode: 'enforce' | 'shadow';
  readonly actions: readonly RuleAction[];
  readonly reply: string | null;
  /** With lock_comments: how long comments stay off on the media (`for:`), in seconds. */
  readonly lockSeconds: number | null;
  readonly normalise: boolean;
  /** Account ids the rule's file is scoped to; null = every account. */
  readonly accounts: ReadonlySet<string> | null;
  readonly when: CNode;
  readonly examples: { readonly match: readonly RuleExample[]; readonly noMatch: readonly RuleExample[] };
  /** The rule's YAML text, for audit and explain. */
  readonly source: string;
  /** Fallback actions its classifier conditions may switch to. */
  readonly fallbacks: readonly Fallback[];
}

export interface SourceFile {
  readonly path: string;
  readonly content: string;
}

export interface RuleSet {
  /** sha256 over the files sorted by path: stored with every decision. */
  readonly hash: string;
  readonly files: readonly SourceFile[];
  readonly rules: readonly CompiledRule[];
  readonly lists: ReadonlyMap<string, readonly string[]>;
  /** Terms of normalised rules. */
  readonly automaton: Automaton;
  /** Terms of `normalise: false` rules (lower-cased raw text). */
  readonly rawAutomaton: Automaton;
  /** The strings regexes need (see the regex leaf's `literalIds`), found in one pass. */
  readonly regexLiterals: { readonly automaton: Automaton; readonly count: number };
  /** Per pattern id of `automaton`/`rawAutomaton`: boundary needed on the left / right; joined-form only. */
  readonly patternInfo: { readonly normal: PatternInfo; readonly raw: PatternInfo };
  readonly leafCount: number;
  /** Whether any rule file is scoped to accounts (else every rule applies to every account). */
  readonly scoped: boolean;
}

export interface PatternInfo {
  readonly leftBoundary: readonly boolean[];
  readonly rightBoundary: readonly boolean[];
  readonly joinedOnly: readonly boolean[];
  readonly wordOnly: readonly boolean[];
}

/** Action severity, for conflicts at equal priority: the most severe wins. */
export const SEVERITY: Readonly<Record<RuleAction, number>> = {
  allow: 0,
  reply: 1,
  review: 2,
  hide: 3,
  delete: 4,
  // A media-wide step taken beside the comment's own action: it never makes a rule outrank another.
  lock_comments: 0,
};

export function ruleSeverity(actions: readonly RuleAction[]): number {
  let s = 0;
  for (const a of actions) s = Math.max(s, SEVERITY[a]);
  return s;
}

/**
 * Whether a rule counts the same text across the account (`repeated across account`): when such
 * a rule acts, a wave is under way (people are told about it).
 */
export function isFloodRule(rule: Pick<CompiledRule, 'when'>): boolean {
  const visit = (n: CNode): boolean =>
    n.t === 'leaf'
      ? n.leaf.kind === 'repetition' && n.leaf.scope === 'account'
      : n.t === 'not'
        ? false
        : n.children.some(visit);
  return visit(rule.when);
}
