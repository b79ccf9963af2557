/**
 * zod issues → readable rule errors: the value that was given, the field names that are valid
 * where it sits (for "did you mean"), and one message per problem rather than one per union
 * branch.
 */
import type { z } from 'zod';
import { didYouMean } from './errors.js';
import type { Errors, ParsedFile, Path } from './parsed-file.js';
import { CONDITION_KEYS } from './schema.js';

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

export function reportIssues(
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
