/**
 * What compiling a rule set shares across rules: the pattern tables that become the term
 * automata, the named lists, the error collector, and the per-rule state (which rule, whether it
 * normalises, the longest text it can match).
 */
import { Automaton } from '../text/aho.js';
import { isWordChar } from '../text/normalise.js';
import { didYouMean } from './errors.js';
import type { PatternInfo } from './model.js';
import type { Errors, ParsedFile, Path } from './parsed-file.js';

const NO_SPACE_SCRIPTS =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

export class PatternTable {
  readonly automaton = new Automaton();
  readonly leftBoundary: boolean[] = [];
  readonly rightBoundary: boolean[] = [];
  readonly joinedOnly: boolean[] = [];
  /** Used only by whole-word conditions: a hit inside a word can be dropped at once. */
  readonly wordOnly: boolean[] = [];
  private readonly ids = new Map<string, number>();

  add(form: string, joinedOnly: boolean, wordMode: boolean): number {
    const key = `${joinedOnly ? 'j' : 'n'}:${form}`;
    const existing = this.ids.get(key);
    if (existing !== undefined) {
      if (!wordMode) this.wordOnly[existing] = false;
      return existing;
    }
    const id = this.automaton.add(form);
    this.ids.set(key, id);
    const first = String.fromCodePoint(form.codePointAt(0) ?? 32);
    const lastCp = [...form.slice(-2)].pop() ?? ' ';
    // Whole words: a boundary is needed only next to a word character, and not for scripts
    // written without spaces (Chinese, Japanese, Thai...), where words touch.
    this.leftBoundary[id] = isWordChar(first) && !NO_SPACE_SCRIPTS.test(first);
    this.rightBoundary[id] = isWordChar(lastCp) && !NO_SPACE_SCRIPTS.test(lastCp);
    this.joinedOnly[id] = joinedOnly;
    this.wordOnly[id] = wordMode;
    return id;
  }

  info(): PatternInfo {
    return {
      leftBoundary: this.leftBoundary,
      rightBoundary: this.rightBoundary,
      joinedOnly: this.joinedOnly,
      wordOnly: this.wordOnly,
    };
  }
}

/**
 * The strings regexes cannot match without (src/moderation/rules/regex-literals.ts), in one
 * automaton: one pass over a comment says which are present, and a regex none of whose strings
 * is there is not run.
 */
export class LiteralTable {
  readonly automaton = new Automaton();
  private readonly ids = new Map<string, number>();

  add(literal: string): number {
    let id = this.ids.get(literal);
    if (id === undefined) {
      id = this.automaton.add(literal);
      this.ids.set(literal, id);
    }
    return id;
  }

  get size(): number {
    return this.ids.size;
  }
}

export interface CompileContext {
  readonly file: ParsedFile;
  readonly errors: Errors;
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly normal: PatternTable;
  readonly raw: PatternTable;
  readonly regexLiterals: LiteralTable;
  leafCount: number;
  ruleId: string;
  normaliseRule: boolean;
  /** Longest term or domain the rule can match, for the {{matched}} placeholder. */
  longestMatch: number;
}

export type TermsValue = string | Array<string | { list: string }> | { list: string };

/** Resolves a terms value (string, list, {list: name}) into plain strings. */
export function resolveTerms(value: TermsValue, ctx: CompileContext, path: Path): string[] {
  const items = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [value];
  const out: string[] = [];
  items.forEach((item, i) => {
    if (typeof item === 'string') {
      out.push(item);
      return;
    }
    const list = ctx.lists.get(item.list);
    if (!list) {
      const itemPath = Array.isArray(value) ? [...path, i] : path;
      ctx.errors.add(
        ctx.file,
        itemPath,
        ctx.ruleId,
        `unknown list "${item.list}"`,
        didYouMean(item.list, [...ctx.lists.keys()]) ?? 'define it under "lists:" in any rule file',
      );
      return;
    }
    out.push(...list);
  });
  return out;
}
