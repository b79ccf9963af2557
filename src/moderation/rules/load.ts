/**
 * Rule files → a compiled RuleSet, or every error with file:line:column, rule id, message and
 * suggestion. A rule set with any error is refused as a whole (the caller keeps the last good
 * one). Pure: takes file contents, never reads the disk, so it runs on Node and Workers.
 */
import { isSafePattern } from 'redos-detector';
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { Automaton } from '../text/aho.js';
import { ruleSetHash } from '../text/hash.js';
import { isWordChar, normalise, rawForm, squeezeRepeats } from '../text/normalise.js';
import { didYouMean, type RuleError, ruleError } from './errors.js';
import {
  type CNode,
  type CompiledRule,
  type Leaf,
  type PatternInfo,
  type RuleExample,
  type RuleSet,
  type SourceFile,
  type TermRef,
  TIER_CHEAP,
  TIER_DATABASE,
  TIER_LOCAL_MODEL,
  TIER_REMOTE_MODEL,
  type Tier,
} from './model.js';
import {
  CONDITION_KEYS,
  type ConditionInput,
  type ExampleInput,
  Rule,
  RuleFileObject,
  type RuleInput,
} from './schema.js';
import { maxExpandedLength, PLACEHOLDERS, placeholdersIn, REPLY_MAX_LENGTH } from './template.js';

export type LoadResult = { ok: true; ruleSet: RuleSet } | { ok: false; errors: RuleError[] };

type Path = ReadonlyArray<string | number>;

interface ParsedFile {
  readonly path: string;
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  readonly content: string;
  readonly accounts: string[] | null;
  /** Rules that passed the schema, with their index in the file's rule list. */
  readonly rules: Array<{ index: number; rule: RuleInput }>;
  /** Where the rules array lives in the document. */
  readonly rulesPath: Path;
  readonly lists: Record<string, string[]>;
}

const RULE_FIELDS = ['id', 'reason', 'when', 'action', 'reply', 'priority', 'mode', 'normalise', 'examples'];
const FILE_FIELDS = ['accounts', 'lists', 'rules'];
const EXAMPLE_FIELDS = ['match', 'no match'];
const EXAMPLE_OBJECT_FIELDS = [
  'text',
  'author',
  'kind',
  'media type',
  'decided by',
  'repeats',
  'author repeats',
  'scores',
];
const CLASSIFIER_FIELDS = ['use', 'score', 'at least', 'question', 'fallback'];
const REPETITION_FIELDS = ['times', 'within'];

/** Where a path points in a YAML document (1-based line and column), preferring the key. */
function position(file: ParsedFile, path: Path, key?: string): { line: number; column: number } {
  let offset: number | undefined;
  if (key !== undefined) {
    const parent = file.doc.getIn(path, true);
    if (isMap(parent)) {
      for (const pair of parent.items) {
        if (isScalar(pair.key) && pair.key.value === key && pair.key.range) offset = pair.key.range[0];
      }
    }
  }
  if (offset === undefined) {
    // Walk up until a node with a range is found (missing keys point at their parent).
    for (let depth = path.length; depth >= 0 && offset === undefined; depth--) {
      const node = file.doc.getIn(path.slice(0, depth), true) as
        | { range?: [number, number, number] }
        | undefined;
      if (node && typeof node === 'object' && node.range) offset = node.range[0];
    }
  }
  const pos = file.lineCounter.linePos(offset ?? 0);
  return { line: pos.line, column: pos.col };
}

class Errors {
  readonly list: RuleError[] = [];
  add(
    file: ParsedFile | string,
    path: Path,
    ruleId: string | null,
    message: string,
    suggestion?: string | null,
    key?: string,
  ): void {
    if (typeof file === 'string') {
      this.list.push(ruleError({ file, ruleId, message, suggestion: suggestion ?? null }));
      return;
    }
    const { line, column } = position(file, path, key);
    this.list.push(
      ruleError({ file: file.path, line, column, ruleId, message, suggestion: suggestion ?? null }),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// zod issues → readable errors

type Issue = z.core.$ZodIssue;

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map of fields';
  if (typeof value === 'string') return `the text "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value} ${String(value)}`;
}

const EXPECTED: Record<string, string> = {
  string: 'a text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map of fields',
};

function getAt(root: unknown, path: Path): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/** Which field names are valid in the object at `path`, judging by where it sits. */
function fieldsFor(path: Path): { noun: string; fields: readonly string[] } {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (last === 'when' || last === 'not' || parent === 'any' || parent === 'all')
    return { noun: 'condition', fields: CONDITION_KEYS };
  if (last === 'classifier') return { noun: 'classifier field', fields: CLASSIFIER_FIELDS };
  if (last === 'repeated by author' || last === 'repeated across account')
    return { noun: 'field', fields: REPETITION_FIELDS };
  if (last === 'examples') return { noun: 'examples field', fields: EXAMPLE_FIELDS };
  if (parent === 'match' || parent === 'no match')
    return { noun: 'example field', fields: EXAMPLE_OBJECT_FIELDS };
  if (typeof last === 'number' || last === 'rules') return { noun: 'rule field', fields: RULE_FIELDS };
  if (path.length === 0) return { noun: 'file field', fields: FILE_FIELDS };
  return { noun: 'field', fields: [] };
}

/** zod reports every branch of a union; keep the branch that fits the value's shape. */
function flattenIssues(
  issues: readonly Issue[],
  base: Path,
  root: unknown,
): Array<Issue & { fullPath: Path }> {
  const out: Array<Issue & { fullPath: Path }> = [];
  for (const issue of issues) {
    const fullPath = [...base, ...(issue.path as Array<string | number>)];
    if (issue.code === 'invalid_union' && 'errors' in issue && issue.errors.length > 0) {
      const branches = issue.errors as Issue[][];
      const fitting = branches.filter(
        (branch) =>
          !branch.some(
            (i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'),
          ),
      );
      if (fitting.length > 0) {
        out.push(...flattenIssues(fitting[0] as Issue[], fullPath, root));
        continue;
      }
      // No branch fits: one message naming the accepted shapes.
      const value = getAt(root, fullPath);
      const enums = branches.flat().filter((i) => i.code === 'invalid_value' && i.path.length === 0);
      if (enums.length > 0 && typeof value === 'string') {
        out.push({ ...(enums[0] as Issue), fullPath });
        continue;
      }
      const expected = new Set<string>();
      for (const i of branches.flat())
        if (i.code === 'invalid_type' && i.path.length === 0)
          expected.add(EXPECTED[i.expected] ?? i.expected);
      out.push({
        code: 'custom',
        path: [],
        message: `expected ${[...expected].join(' or ')}, got ${typeName(value)}`,
        input: value,
        fullPath,
      } as Issue & { fullPath: Path });
      continue;
    }
    out.push({ ...issue, fullPath });
  }
  return out;
}

function ruleIdAt(file: ParsedFile, root: unknown, fullPath: Path): string | null {
  const rulesDepth = file.rulesPath.length;
  const index = fullPath[rulesDepth];
  if (typeof index !== 'number') return null;
  const rule = getAt(root, [...file.rulesPath, index]);
  if (rule && typeof rule === 'object' && typeof (rule as { id?: unknown }).id === 'string')
    return (rule as { id: string }).id;
  return null;
}

function reportIssues(
  file: ParsedFile,
  root: unknown,
  issues: readonly Issue[],
  errors: Errors,
  base: Path,
): void {
  for (const issue of flattenIssues(issues, base, root)) {
    const path = issue.fullPath;
    const ruleId = ruleIdAt(file, root, path);
    const last = path[path.length - 1];
    const field = typeof last === 'string' ? `"${last}"` : null;
    switch (issue.code) {
      case 'unrecognized_keys': {
        const { noun, fields } = fieldsFor(path);
        for (const key of issue.keys) {
          let suggestion = didYouMean(key, fields);
          if (!suggestion && noun === 'condition')
            suggestion = 'see docs/rules.md for the list of conditions';
          errors.add(file, path, ruleId, `unknown ${noun} "${key}"`, suggestion, key);
        }
        break;
      }
      case 'invalid_value': {
        const value = getAt(root, path);
        const options = issue.values.map(String);
        const what =
          last === 'action' || path[path.length - 2] === 'action'
            ? 'action'
            : `value for ${field ?? 'this field'}`;
        const suggestion =
          typeof value === 'string'
            ? (didYouMean(value, options) ?? `use one of: ${options.join(', ')}`)
            : `use one of: ${options.join(', ')}`;
        errors.add(file, path, ruleId, `unknown ${what} ${JSON.stringify(value)}`, suggestion);
        break;
      }
      case 'invalid_type': {
        const value = getAt(root, path);
        if (value === undefined) {
          errors.add(file, path.slice(0, -1), ruleId, `missing ${field ?? 'value'}`, null);
        } else {
          errors.add(
            file,
            path,
            ruleId,
            `${field ?? 'value'} should be ${EXPECTED[issue.expected] ?? issue.expected}, got ${typeName(value)}`,
            null,
          );
        }
        break;
      }
      case 'too_small':
      case 'too_big': {
        const value = getAt(root, path);
        const bound =
          issue.code === 'too_small'
            ? `at least ${String(issue.minimum)}`
            : `at most ${String(issue.maximum)}`;
        const thing = Array.isArray(value) ? 'items' : typeof value === 'string' ? 'characters' : '';
        errors.add(
          file,
          path,
          ruleId,
          `${field ?? 'value'} must have ${bound}${thing ? ` ${thing}` : ''}, got ${typeName(value)}`,
          null,
        );
        break;
      }
      default:
        errors.add(file, path, ruleId, `${field ? `${field}: ` : ''}${issue.message}`, null);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// parsing

function parseFile(source: SourceFile, errors: Errors): ParsedFile | null {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.content, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const base = {
    path: source.path,
    doc,
    lineCounter,
    content: source.content,
    accounts: null,
    rules: [],
    rulesPath: [],
    lists: {},
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      errors.list.push(
        ruleError({
          file: source.path,
          line: pos?.line ?? 0,
          column: pos?.col ?? 0,
          message: `YAML syntax: ${e.message.split('\n')[0] ?? e.message}`,
          suggestion:
            e.code === 'DUPLICATE_KEY'
              ? 'each field may appear once per rule'
              : 'check indentation and quotes around text with ":" or "#"',
        }),
      );
    }
    return null;
  }
  const root: unknown = doc.toJS();
  if (root === null || root === undefined) return { ...base };
  let file: ParsedFile;
  let items: unknown[];
  if (Array.isArray(root)) {
    file = { ...base, rulesPath: [] };
    items = root;
  } else if (typeof root === 'object') {
    file = { ...base, rulesPath: ['rules'] };
    const { rules, ...rest } = root as Record<string, unknown>;
    const shell = RuleFileObject.omit({ rules: true }).safeParse(rest);
    if (!shell.success) reportIssues(file, root, shell.error.issues, errors, []);
    else file = { ...file, accounts: shell.data.accounts ?? null, lists: shell.data.lists ?? {} };
    if (rules !== undefined && rules !== null && !Array.isArray(rules)) {
      errors.add(
        file,
        ['rules'],
        null,
        '"rules" should be a list of rules',
        'start each rule with "- id: ..."',
      );
      return null;
    }
    items = (rules as unknown[] | undefined) ?? [];
  } else {
    errors.add(
      source.path,
      [],
      null,
      'a rule file is a list of rules, or a map with "rules:", "lists:" and "accounts:"',
      null,
    );
    return null;
  }
  // Each rule is checked on its own, so one broken rule does not hide the errors of the others.
  const rules: ParsedFile['rules'] = [];
  items.forEach((item, index) => {
    const parsed = Rule.safeParse(item);
    if (parsed.success) rules.push({ index, rule: parsed.data });
    else reportIssues(file, root, parsed.error.issues, errors, [...file.rulesPath, index]);
  });
  return { ...file, rules };
}

// ---------------------------------------------------------------------------------------------
// compiling

const NO_SPACE_SCRIPTS =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

class PatternTable {
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

function parseDuration(text: string): number {
  const m = /^\s*(\d+)\s*([a-z]+)\s*$/i.exec(text);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (unit.startsWith('s')) return n;
  if (unit.startsWith('m')) return n * 60;
  if (unit.startsWith('h')) return n * 3600;
  if (unit.startsWith('d')) return n * 86400;
  return Number.NaN;
}

interface CompileContext {
  readonly file: ParsedFile;
  readonly errors: Errors;
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly normal: PatternTable;
  readonly raw: PatternTable;
  leafCount: number;
  ruleId: string;
  normaliseRule: boolean;
  /** Longest term or domain the rule can match, for the {{matched}} placeholder. */
  longestMatch: number;
}

type TermsValue = string | Array<string | { list: string }> | { list: string };

/** Resolves a terms value (string, list, {list: name}) into plain strings. */
function resolveTerms(value: TermsValue, ctx: CompileContext, path: Path): string[] {
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

function compileTerms(
  value: TermsValue,
  mode: 'word' | 'substring' | 'start' | 'end' | 'exact',
  all: boolean,
  ctx: CompileContext,
  path: Path,
): Leaf {
  const raw = !ctx.normaliseRule;
  const table = raw ? ctx.raw : ctx.normal;
  const terms: TermRef[] = [];
  for (const display of resolveTerms(value, ctx, path)) {
    const form = raw ? rawForm(display).toLowerCase() : normalise(display);
    if (form.length === 0) {
      ctx.errors.add(
        ctx.file,
        path,
        ctx.ruleId,
        `the term ${JSON.stringify(display)} is empty once normalised (only invisible characters or spaces)`,
        'remove it',
      );
      continue;
    }
    ctx.longestMatch = Math.max(ctx.longestMatch, [...display].length);
    const wordMode = mode === 'word';
    const patterns = [table.add(form, false, wordMode)];
    if (!raw && form.includes(' ')) {
      // "dm me" written as "d m m e" is joined to "dme": find the joined form inside joined words.
      patterns.push(table.add(squeezeRepeats(form.replaceAll(' ', '')), true, wordMode));
    }
    terms.push({ display, form, patterns });
  }
  const byPattern = new Map<number, number[]>();
  const byForm = new Map<string, number>();
  terms.forEach((term, i) => {
    for (const p of term.patterns) {
      const list = byPattern.get(p);
      if (list) list.push(i);
      else byPattern.set(p, [i]);
    }
    if (!byForm.has(term.form)) byForm.set(term.form, i);
  });
  return { kind: 'terms', mode, all, terms, raw, byPattern, byForm };
}

/**
 * ReDoS check (redos-detector). The pattern is checked anchored, `^(?:...)`: unanchored, the
 * detector counts the engine's retry at every start position and flags even `dm\s*me`; that
 * retry costs at most quadratic time in the text length, which MAX_TEXT_LENGTH bounds. What is
 * refused is exponential backtracking such as `(a+)+$` or `(a|a)*b`. Checked both in Unicode
 * mode (how rules run) and case-insensitively (the detector cannot combine the two flags).
 */
export function regexIsSafe(source: string): boolean {
  const cached = safetyCache.get(source);
  if (cached !== undefined) return cached;
  const safe = checkRegex(source);
  if (safetyCache.size < 10_000) safetyCache.set(source, safe);
  return safe;
}

/** Hot reloads re-check the same patterns: remember verdicts (they are deterministic). */
const safetyCache = new Map<string, boolean>();

function checkRegex(source: string): boolean {
  const anchored = `^(?:${source})`;
  // A step budget, not a timeout, so the verdict never depends on the machine's load.
  try {
    if (!isSafePattern(anchored, { unicode: true, maxSteps: 2000 }).safe) return false;
  } catch {
    return false;
  }
  try {
    return isSafePattern(anchored, { caseInsensitive: true, maxSteps: 2000 }).safe;
  } catch {
    // Unicode-only syntax (\p{L}) cannot be parsed without the u flag: the first check stands.
    return true;
  }
}

function compileRegexes(value: string | string[], ctx: CompileContext, path: Path): Leaf {
  const sources = typeof value === 'string' ? [value] : value;
  const regexes: RegExp[] = [];
  sources.forEach((source, i) => {
    const itemPath = Array.isArray(value) ? [...path, i] : path;
    let re: RegExp;
    try {
      re = new RegExp(source, 'iu');
    } catch (e) {
      ctx.errors.add(
        ctx.file,
        itemPath,
        ctx.ruleId,
        `invalid regex ${JSON.stringify(source)}: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`,
        'escape special characters such as ( ) [ ] . + ? * with a backslash',
      );
      return;
    }
    const safe = regexIsSafe(source);
    if (!safe) {
      ctx.errors.add(
        ctx.file,
        itemPath,
        ctx.ruleId,
        `regex ${JSON.stringify(source)} can backtrack catastrophically (ReDoS) and is refused`,
        'avoid nested or overlapping repeats such as (a+)+ or (a|a)*; prefer "text contains any" for word lists',
      );
      return;
    }
    ctx.longestMatch = Math.max(ctx.longestMatch, 100);
    regexes.push(re);
  });
  return { kind: 'regex', regexes, raw: !ctx.normaliseRule };
}

function lowerHandle(s: string): string {
  return s.trim().replace(/^[@#]/, '').toLowerCase();
}

function leafNode(key: string, leaf: Leaf, ctx: CompileContext): CNode {
  let tier: Tier = TIER_CHEAP;
  if (leaf.kind === 'repetition') tier = TIER_DATABASE;
  if (leaf.kind === 'classifier') tier = leaf.use === 'builtin' ? TIER_LOCAL_MODEL : TIER_REMOTE_MODEL;
  return { t: 'leaf', key, leaf, tier, id: ctx.leafCount++ };
}

/** A rough per-comment cost rank within a tier (0: free once the comment is scanned). */
function nodeCost(node: CNode): number {
  if (node.t !== 'leaf') return 3;
  switch (node.leaf.kind) {
    case 'terms':
    case 'author':
    case 'media':
    case 'media-type':
    case 'is-live':
    case 'event-kind':
      return 0;
    case 'count':
      return node.leaf.what === 'emoji' ? 2 : 1;
    case 'has-link':
    case 'has-shortened-link':
    case 'link-domain':
    case 'mentions-any':
    case 'hashtags-any':
      return 1;
    default:
      return 2;
  }
}

function maxTier(nodes: readonly CNode[]): Tier {
  let t: Tier = TIER_CHEAP;
  for (const n of nodes) if (n.tier > t) t = n.tier;
  return t;
}

/** Compiles one condition map (all of its keys must hold); children sorted cheapest first. */
function compileCondition(cond: ConditionInput, ctx: CompileContext, path: Path): CNode {
  const children: CNode[] = [];
  const add = (key: string, leaf: Leaf): void => {
    children.push(leafNode(key, leaf, ctx));
  };
  for (const [key, value] of Object.entries(cond) as Array<[keyof ConditionInput, unknown]>) {
    if (value === undefined) continue;
    const at = [...path, key];
    switch (key) {
      case 'text contains any':
        add(key, compileTerms(value as TermsValue, 'word', false, ctx, at));
        break;
      case 'text contains all':
        add(key, compileTerms(value as TermsValue, 'word', true, ctx, at));
        break;
      case 'text contains any (substring)':
        add(key, compileTerms(value as TermsValue, 'substring', false, ctx, at));
        break;
      case 'text contains all (substring)':
        add(key, compileTerms(value as TermsValue, 'substring', true, ctx, at));
        break;
      case 'text starts with':
        add(key, compileTerms(value as TermsValue, 'start', false, ctx, at));
        break;
      case 'text ends with':
        add(key, compileTerms(value as TermsValue, 'end', false, ctx, at));
        break;
      case 'text is':
        add(key, compileTerms(value as TermsValue, 'exact', false, ctx, at));
        break;
      case 'text matches':
        add(key, compileRegexes(value as string | string[], ctx, at));
        break;
      case 'has link':
        add(key, { kind: 'has-link', value: value as boolean });
        break;
      case 'has shortened link':
        add(key, { kind: 'has-shortened-link', value: value as boolean });
        break;
      case 'links at least':
        add(key, { kind: 'count', what: 'links', min: value as number, max: null });
        break;
      case 'link domain in':
      case 'link domain not in': {
        const domains = resolveTerms(value as TermsValue, ctx, at).map((d) =>
          d
            .trim()
            .toLowerCase()
            .replace(/^https?:\/\//, '')
            .replace(/^www\./, '')
            .replace(/\/.*$/, ''),
        );
        for (const d of domains) ctx.longestMatch = Math.max(ctx.longestMatch, d.length);
        add(key, { kind: 'link-domain', domains, negate: key === 'link domain not in' });
        break;
      }
      case 'mentions at least':
        add(key, { kind: 'count', what: 'mentions', min: value as number, max: null });
        break;
      case 'mentions at most':
        add(key, { kind: 'count', what: 'mentions', min: null, max: value as number });
        break;
      case 'hashtags at least':
        add(key, { kind: 'count', what: 'hashtags', min: value as number, max: null });
        break;
      case 'hashtags at most':
        add(key, { kind: 'count', what: 'hashtags', min: null, max: value as number });
        break;
      case 'emoji at least':
        add(key, { kind: 'count', what: 'emoji', min: value as number, max: null });
        break;
      case 'emoji at most':
        add(key, { kind: 'count', what: 'emoji', min: null, max: value as number });
        break;
      case 'length at least':
        add(key, { kind: 'count', what: 'length', min: value as number, max: null });
        break;
      case 'length at most':
        add(key, { kind: 'count', what: 'length', min: null, max: value as number });
        break;
      case 'emoji share at least':
        add(key, { kind: 'share', what: 'emoji', min: value as number });
        break;
      case 'capitals share at least':
        add(key, { kind: 'share', what: 'capitals', min: value as number });
        break;
      case 'mentions any':
      case 'hashtags any': {
        const values = resolveTerms(value as TermsValue, ctx, at).map(lowerHandle);
        for (const v of values) ctx.longestMatch = Math.max(ctx.longestMatch, v.length + 1);
        add(key, { kind: key === 'mentions any' ? 'mentions-any' : 'hashtags-any', values: new Set(values) });
        break;
      }
      case 'repeated by author':
      case 'repeated across account': {
        const rep = value as { times: number; within: string };
        const windowSeconds = parseDuration(rep.within);
        if (!Number.isFinite(windowSeconds) || windowSeconds <= 0 || windowSeconds > 30 * 86400) {
          ctx.errors.add(
            ctx.file,
            [...at, 'within'],
            ctx.ruleId,
            `"within" must be between 1 second and 30 days, got ${JSON.stringify(rep.within)}`,
            'e.g. "10m" or "24h"',
          );
        }
        add(key, {
          kind: 'repetition',
          scope: key === 'repeated by author' ? 'author' : 'account',
          times: rep.times,
          windowSeconds,
        });
        break;
      }
      case 'author is':
      case 'author is not':
        add(key, {
          kind: 'author',
          values: new Set(resolveTerms(value as TermsValue, ctx, at).map(lowerHandle)),
          negate: key === 'author is not',
        });
        break;
      case 'media is':
        add(key, {
          kind: 'media',
          values: new Set(resolveTerms(value as TermsValue, ctx, at).map((s) => s.trim())),
        });
        break;
      case 'media type is':
        add(key, {
          kind: 'media-type',
          values: new Set(typeof value === 'string' ? [value] : (value as string[])),
        });
        break;
      case 'is live':
        add(key, { kind: 'is-live', value: value as boolean });
        break;
      case 'kind is': {
        const kinds = new Set<string>();
        for (const k of typeof value === 'string' ? [value] : (value as string[])) {
          if (k === 'mention') {
            kinds.add('mention_comment');
            kinds.add('mention_caption');
          } else kinds.add(k);
        }
        add(key, { kind: 'event-kind', values: kinds });
        break;
      }
      case 'classifier': {
        const c = value as NonNullable<ConditionInput['classifier']>;
        if (c.use === 'openai-policy' && !c.question) {
          ctx.errors.add(
            ctx.file,
            at,
            ctx.ruleId,
            'the openai-policy classifier needs a "question"',
            'e.g. question: "Does this comment invite people to a private chat to sell something?"',
          );
        }
        if (c.use !== 'openai-policy' && c.question) {
          ctx.errors.add(
            ctx.file,
            at,
            ctx.ruleId,
            `"question" is only used by openai-policy, not ${c.use}`,
            'remove "question" or use: openai-policy',
            'question',
          );
        }
        if (c.use !== 'openai-policy' && !c.score) {
          ctx.errors.add(
            ctx.file,
            at,
            ctx.ruleId,
            'missing "score": which category to compare',
            'e.g. score: scam',
          );
        }
        add(key, {
          kind: 'classifier',
          use: c.use,
          score: c.score ?? 'yes',
          atLeast: c['at least'],
          question: c.question ?? null,
          fallback: c.fallback,
        });
        break;
      }
      case 'any':
      case 'all': {
        const groups = (value as ConditionInput[]).map((g, i) => compileCondition(g, ctx, [...at, i]));
        groups.sort((a, b) => a.tier - b.tier || nodeCost(a) - nodeCost(b));
        children.push({ t: key, children: groups, tier: maxTier(groups) });
        break;
      }
      case 'not': {
        const child = compileCondition(value as ConditionInput, ctx, at);
        children.push({ t: 'not', child, tier: child.tier });
        break;
      }
    }
  }
  if (children.length === 0) {
    ctx.errors.add(
      ctx.file,
      path,
      ctx.ruleId,
      'no conditions',
      'add at least one condition, e.g. text contains any: [word]',
    );
  }
  // Cheap conditions first: dearer ones are only asked when the cheap ones matched. Within a
  // tier, conditions answered from the shared term scan or the event come before those that
  // scan the text again (regexes, emoji, capitals), so a failing cheap one saves the scan.
  children.sort((a, b) => a.tier - b.tier || nodeCost(a) - nodeCost(b));
  if (children.length === 1) return children[0] as CNode;
  return { t: 'all', children, tier: maxTier(children) };
}

function onlyMentions(node: CNode): boolean {
  if (node.t === 'leaf') {
    if (node.leaf.kind !== 'event-kind') return false;
    return [...node.leaf.values].every((k) => k.startsWith('mention'));
  }
  if (node.t === 'all') return node.children.some(onlyMentions);
  return false;
}

function compileExamples(rule: RuleInput, ctx: CompileContext, rulePath: Path): CompiledRule['examples'] {
  const convert = (examples: ExampleInput[] | undefined, key: 'match' | 'no match'): RuleExample[] =>
    (examples ?? []).map((e, i) => {
      const line = position(ctx.file, [...rulePath, 'examples', key, i]).line;
      if (typeof e === 'string') {
        return {
          text: e,
          author: null,
          kind: null,
          mediaType: null,
          decidedBy: null,
          repeats: null,
          authorRepeats: null,
          scores: null,
          line,
        };
      }
      return {
        text: e.text,
        author: e.author ?? null,
        kind: e.kind ?? null,
        mediaType: e['media type'] ?? null,
        decidedBy: e['decided by'] ?? null,
        repeats: e.repeats ?? null,
        authorRepeats: e['author repeats'] ?? null,
        scores: e.scores ?? null,
        line,
      };
    });
  return {
    match: convert(rule.examples?.match, 'match'),
    noMatch: convert(rule.examples?.['no match'], 'no match'),
  };
}

function compileRule(rule: RuleInput, index: number, ctx: CompileContext, order: number): CompiledRule {
  const rulePath = [...ctx.file.rulesPath, index];
  ctx.ruleId = rule.id;
  ctx.normaliseRule = rule.normalise ?? true;
  ctx.longestMatch = 0;
  const when = compileCondition(rule.when, ctx, [...rulePath, 'when']);
  const actions = [...new Set(typeof rule.action === 'string' ? [rule.action] : rule.action)];
  const actionPath = [...rulePath, 'action'];

  // Action combinations: one moderation action, optionally with a reply first.
  const moderation = actions.filter((a) => a !== 'reply');
  if (moderation.length > 1) {
    ctx.errors.add(
      ctx.file,
      actionPath,
      rule.id,
      `a rule can take one of hide, delete, review or allow, got ${moderation.join(' and ')}`,
      'split it into two rules or keep the most severe',
    );
  }
  if (actions.includes('allow') && actions.length > 1) {
    ctx.errors.add(
      ctx.file,
      actionPath,
      rule.id,
      '"allow" cannot be combined with other actions',
      'allow means: take no action',
    );
  }
  if (actions.includes('reply') && actions.includes('delete')) {
    ctx.errors.add(
      ctx.file,
      actionPath,
      rule.id,
      'a reply under a deleted comment is deleted with it',
      'use [reply, hide] or delete alone',
    );
  }
  if (onlyMentions(when) && (actions.includes('hide') || actions.includes('delete'))) {
    ctx.errors.add(
      ctx.file,
      actionPath,
      rule.id,
      'mentions are on other people\u2019s posts: they cannot be hidden or deleted',
      'use reply or review for mentions',
    );
  }

  // Reply template: placeholders known, length bounded after expansion.
  if (actions.includes('reply') && !rule.reply) {
    ctx.errors.add(
      ctx.file,
      rulePath,
      rule.id,
      'the action includes reply but there is no "reply" text',
      'add reply: "Hi {{author}}, ..."',
    );
  }
  if (rule.reply && !actions.includes('reply')) {
    ctx.errors.add(
      ctx.file,
      rulePath,
      rule.id,
      'there is a "reply" text but the action does not include reply',
      `use action: [reply, ${moderation[0] ?? 'hide'}]`,
      'reply',
    );
  }
  if (rule.reply) {
    for (const name of placeholdersIn(rule.reply)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
        ctx.errors.add(
          ctx.file,
          [...rulePath, 'reply'],
          rule.id,
          `unknown placeholder {{${name}}}`,
          didYouMean(name, PLACEHOLDERS) ?? `use ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(' or ')}`,
        );
      }
    }
    const longest = maxExpandedLength(rule.reply, Math.max(ctx.longestMatch, 1));
    if (longest > REPLY_MAX_LENGTH) {
      ctx.errors.add(
        ctx.file,
        [...rulePath, 'reply'],
        rule.id,
        `the reply can be ${longest} characters once placeholders are filled; Instagram allows ${REPLY_MAX_LENGTH}`,
        'shorten the reply',
      );
    }
  }

  const fallbacks: CompiledRule['fallbacks'] = [];
  const collectFallbacks = (n: CNode): void => {
    if (n.t === 'leaf') {
      if (n.leaf.kind === 'classifier' && n.leaf.fallback !== 'allow')
        (fallbacks as string[]).push(n.leaf.fallback);
    } else if (n.t === 'not') collectFallbacks(n.child);
    else for (const c of n.children) collectFallbacks(c);
  };
  collectFallbacks(when);

  const node = ctx.file.doc.getIn(rulePath, true) as { range?: [number, number, number] } | undefined;
  const source = node?.range ? ctx.file.content.slice(node.range[0], node.range[1]) : '';
  return {
    id: rule.id,
    reason: rule.reason ?? null,
    file: ctx.file.path,
    line: position(ctx.file, rulePath).line,
    order,
    priority: rule.priority ?? 0,
    mode: rule.mode ?? 'enforce',
    actions,
    reply: rule.reply ?? null,
    normalise: rule.normalise ?? true,
    accounts: ctx.file.accounts ? new Set(ctx.file.accounts) : null,
    when,
    examples: compileExamples(rule, ctx, rulePath),
    source,
    fallbacks,
  };
}

/**
 * Validates and compiles rule files. Lists are shared by all files; rule ids are unique across
 * the set. Any error refuses the whole set: the caller keeps the last good one.
 */
export function loadRuleSet(files: ReadonlyArray<SourceFile>): LoadResult {
  const errors = new Errors();
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parsed: ParsedFile[] = [];
  for (const f of sorted) {
    const p = parseFile(f, errors);
    if (p) parsed.push(p);
  }

  // Named lists, shared by every file.
  const lists = new Map<string, readonly string[]>();
  const listOrigin = new Map<string, string>();
  for (const file of parsed) {
    for (const [name, items] of Object.entries(file.lists)) {
      const other = listOrigin.get(name);
      if (other !== undefined) {
        errors.add(
          file,
          ['lists'],
          null,
          `list "${name}" is already defined in ${other}`,
          'give one of them another name',
          name,
        );
        continue;
      }
      lists.set(name, items);
      listOrigin.set(name, file.path);
    }
  }

  const normal = new PatternTable();
  const raw = new PatternTable();
  const rules: CompiledRule[] = [];
  const seen = new Map<string, string>();
  const ctxBase = { errors, lists, normal, raw, leafCount: 0 };
  let leafCount = 0;
  for (const file of parsed) {
    const ctx: CompileContext = {
      ...ctxBase,
      file,
      leafCount,
      ruleId: '',
      normaliseRule: true,
      longestMatch: 0,
    };
    for (const { rule, index } of file.rules) {
      const where = seen.get(rule.id);
      if (where !== undefined) {
        errors.add(
          file,
          [...file.rulesPath, index],
          rule.id,
          `duplicate rule id (also ${where})`,
          'rule ids must be unique across all rule files',
          'id',
        );
      } else {
        seen.set(rule.id, `${file.path}:${position(file, [...file.rulesPath, index]).line}`);
      }
      rules.push(compileRule(rule, index, ctx, rules.length));
    }
    leafCount = ctx.leafCount;
  }

  // Examples may name the rule they expect to decide them.
  for (const rule of rules) {
    for (const ex of rule.examples.match) {
      if (ex.decidedBy !== null && !seen.has(ex.decidedBy)) {
        errors.list.push(
          ruleError({
            file: rule.file,
            line: ex.line,
            column: 1,
            ruleId: rule.id,
            message: `example expects unknown rule "${ex.decidedBy}"`,
            suggestion: didYouMean(ex.decidedBy, [...seen.keys()]),
          }),
        );
      }
    }
  }

  if (errors.list.length > 0) {
    const sortedErrors = [...errors.list].sort((a, b) =>
      a.file !== b.file
        ? a.file < b.file
          ? -1
          : 1
        : a.line !== b.line
          ? a.line - b.line
          : a.column - b.column,
    );
    return { ok: false, errors: sortedErrors };
  }
  return {
    ok: true,
    ruleSet: {
      hash: ruleSetHash(sorted),
      files: sorted,
      rules,
      lists,
      automaton: normal.automaton.build(),
      rawAutomaton: raw.automaton.build(),
      patternInfo: { normal: normal.info(), raw: raw.info() },
      leafCount,
      scoped: rules.some((r) => r.accounts !== null),
    },
  };
}
