/**
 * Parsing: a rule file's YAML (with positions) → its accounts, lists and the rules that pass the
 * schema. Each rule is checked on its own, so every broken rule in a file is reported at once.
 */
import { isAlias, LineCounter, parseDocument, visit } from 'yaml';
import { ruleError } from './errors.js';
import { reportIssues } from './issues.js';
import type { SourceFile } from './model.js';
import type { Errors, ParsedFile } from './parsed-file.js';
import { Rule, RuleFileObject } from './schema.js';

/** Alias expansions allowed per file (yaml's own default for toJS). */
const maxAliasCount = 100;

function firstAliasLine(doc: ReturnType<typeof parseDocument>, lineCounter: LineCounter) {
  let offset: number | null = null;
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node) && node.range) offset = node.range[0];
      return visit.BREAK;
    },
  });
  return offset === null ? { line: 1, col: 1 } : lineCounter.linePos(offset);
}

export function parseFile(source: SourceFile, errors: Errors): ParsedFile | null {
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
  let root: unknown;
  try {
    // Aliases expand when converted: a "billion laughs" file of a few lines would become
    // gigabytes. yaml refuses past maxAliasCount (its default, made explicit here).
    root = doc.toJS({ maxAliasCount });
  } catch (error) {
    const pos = firstAliasLine(doc, lineCounter);
    errors.list.push(
      ruleError({
        file: source.path,
        line: pos.line,
        column: pos.col,
        message: /alias/i.test((error as Error).message)
          ? `YAML aliases expand too far (${(error as Error).message.split('\n')[0]})`
          : `YAML cannot be read: ${(error as Error).message.split('\n')[0]}`,
        suggestion: /alias/i.test((error as Error).message)
          ? `write the values out, or use "lists:" to share terms (at most ${maxAliasCount} alias expansions per file)`
          : 'simplify the file (nesting this deep is no rule)',
      }),
    );
    return null;
  }
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
