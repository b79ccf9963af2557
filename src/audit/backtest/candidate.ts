/**
 * The candidate rule set of a backtest through the API or the console: the rule set in force
 * with the pasted or uploaded files put in place of the files of the same name (or added), and
 * any files named in `remove` left out. Errors come back as `file:line:column message` lines,
 * exactly as `modbot rules check` prints them.
 */
import { type LoadResult, loadRuleSet, type RuleSet, type SourceFile } from '../../moderation/index.js';
import { AuditInputError } from '../filters.js';

export interface RuleFileChange {
  readonly path: string;
  readonly content: string;
}

export const candidateLimits = { files: 50, bytes: 1_000_000 } as const;

/** The in-force file a changed file replaces: the same path, or the same path under the rules folder. */
function matching(inForce: readonly SourceFile[], path: string): SourceFile | undefined {
  const p = path.replace(/^\.?\//, '');
  return inForce.find((f) => f.path === p) ?? inForce.find((f) => f.path.endsWith(`/${p}`));
}

export function candidateRuleSet(
  inForce: RuleSet,
  changed: readonly RuleFileChange[],
  removed: readonly string[] = [],
): { ok: true; ruleSet: RuleSet; replaced: string[]; added: string[] } | { ok: false; errors: string[] } {
  if (changed.length === 0 && removed.length === 0)
    throw new AuditInputError(
      'files: give at least one changed rule file ({path, content}) or a file to remove',
    );
  if (changed.length + removed.length > candidateLimits.files)
    throw new AuditInputError(`files: at most ${candidateLimits.files} files`);
  let bytes = 0;
  for (const f of changed) {
    if (!/\.ya?ml$/i.test(f.path) || f.path.includes('..') || f.path.length > 200)
      throw new AuditInputError(
        `files: "${f.path.slice(0, 200)}" is not a rule file name (a .yaml path like rules/spam.yaml)`,
      );
    bytes += f.content.length;
  }
  if (bytes > candidateLimits.bytes)
    throw new AuditInputError(`files: at most ${candidateLimits.bytes} characters in all`);

  const files = new Map(inForce.files.map((f) => [f.path, f.content]));
  const replaced: string[] = [];
  const added: string[] = [];
  for (const r of removed) {
    const m = matching(inForce.files, r);
    if (!m)
      throw new AuditInputError(`remove: no rule file "${r}" in force (${[...files.keys()].join(', ')})`);
    files.delete(m.path);
  }
  for (const f of changed) {
    const m = matching(inForce.files, f.path);
    const path = m?.path ?? f.path.replace(/^\.?\//, '');
    (m ? replaced : added).push(path);
    files.set(path, f.content);
  }
  const result: LoadResult = loadRuleSet([...files.entries()].map(([path, content]) => ({ path, content })));
  if (!result.ok) return { ok: false, errors: result.errors.map((e) => e.format()) };
  return { ok: true, ruleSet: result.ruleSet, replaced, added };
}
