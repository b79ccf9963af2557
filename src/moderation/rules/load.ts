/**
 * Rule files → a compiled RuleSet, or every error with file:line:column, rule id, message and
 * suggestion. A rule set with any error is refused as a whole (the caller keeps the last good
 * one). Pure: takes file contents, never reads the disk, so it runs on Node and Workers.
 *
 * The steps: parse each file (parse.ts), share the named lists, compile each rule
 * (compile-rule.ts) into the shared term automata, check that every `decided by` names a rule.
 */
import { ruleSetHash } from '../text/hash.js';
import { type CompileContext, LiteralTable, PatternTable } from './compile-context.js';
import { compileRule } from './compile-rule.js';
import { regexIsSafe } from './compile-text.js';
import { didYouMean, type RuleError, ruleError } from './errors.js';
import type { CompiledRule, RuleSet, SourceFile } from './model.js';
import { parseFile } from './parse.js';
import { Errors, type ParsedFile, position } from './parsed-file.js';

export type LoadResult = { ok: true; ruleSet: RuleSet } | { ok: false; errors: RuleError[] };

/**
 * Validates and compiles rule files. Lists are shared by all files; rule ids are unique across
 * the set. Any error refuses the whole set: the caller keeps the last good one.
 */
export function loadRuleSet(files: ReadonlyArray<SourceFile>): LoadResult {
  const steps = loadSteps(files);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/**
 * The same, giving the event loop a turn (`pause`) after each file and each rule, so a server
 * keeps answering while a large rule set is parsed and its regexes are checked for ReDoS.
 */
export async function loadRuleSetSliced(
  files: ReadonlyArray<SourceFile>,
  pause: () => Promise<void>,
): Promise<LoadResult> {
  const steps = loadSteps(files);
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await pause();
  }
}

/** The load, one step (a file parsed, a rule compiled) per `next()`. */
function* loadSteps(files: ReadonlyArray<SourceFile>): Generator<void, LoadResult> {
  const errors = new Errors();
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parsed: ParsedFile[] = [];
  for (const f of sorted) {
    const p = parseFile(f, errors);
    if (p) parsed.push(p);
    yield;
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
  const regexLiterals = new LiteralTable();
  const rules: CompiledRule[] = [];
  const seen = new Map<string, string>();
  const ctxBase = { errors, lists, normal, raw, regexLiterals, leafCount: 0 };
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
      // The ReDoS check is the slow part of a compile: each regex is checked (and its verdict
      // cached) in a step of its own, so a rule with many regexes does not hold the event loop.
      for (const source of regexSourcesOf(rule)) {
        regexIsSafe(source);
        yield;
      }
      rules.push(compileRule(rule, index, ctx, rules.length));
      yield;
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
      regexLiterals: { automaton: regexLiterals.automaton.build(), count: regexLiterals.size },
      patternInfo: { normal: normal.info(), raw: raw.info() },
      leafCount,
      scoped: rules.some((r) => r.accounts !== null),
    },
  };
}

/** Every `text matches` pattern in a rule, however deep in all/any/not (walked without recursion). */
function regexSourcesOf(rule: unknown): string[] {
  const found: string[] = [];
  const pending: unknown[] = [rule];
  for (let v = pending.pop(); pending.length > 0 || v !== undefined; v = pending.pop()) {
    if (!v || typeof v !== 'object') continue;
    for (const [key, value] of Object.entries(v)) {
      if (key === 'text matches') {
        for (const source of Array.isArray(value) ? value : [value])
          if (typeof source === 'string') found.push(source);
      } else if (value && typeof value === 'object') pending.push(value);
    }
  }
  return found;
}
