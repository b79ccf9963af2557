/**
 * Reads rule files from a directory (Node only). Paths in errors and hashes are the directory's
 * relative path joined with the file name as the user typed it, e.g. `rules/spam.yaml`.
 *
 * What a rule folder may hold is bounded before anything is parsed: a file over
 * `maxRuleFileBytes` is refused unread (a 50 MB file once froze intake and ran out of memory),
 * and a symbolic link is followed only when it resolves to a file inside the folder; one that
 * leads outside is refused, with its path, rather than silently skipped.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { type RuleError, ruleError, type SourceFile } from '../moderation/index.js';

const RULE_FILE = /\.ya?ml$/i;

/** The largest rule file read (1 MiB: hundreds of rules; larger sets belong in several files). */
export const maxRuleFileBytes = 1024 * 1024;

/** Rule files that cannot be taken as they are, each with file:line and what to do. */
export class RuleFilesRefused extends Error {
  constructor(readonly errors: readonly RuleError[]) {
    super(errors.map((e) => e.format()).join('\n'));
    this.name = 'RuleFilesRefused';
  }
}

/**
 * Every *.yaml / *.yml under `dir` (recursively), sorted by path. Throws RuleFilesRefused naming
 * every file over the size cap and every link leading outside the folder.
 */
export async function readRuleFiles(dir: string): Promise<SourceFile[]> {
  const root = await realpath(dir);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: SourceFile[] = [];
  const refused: RuleError[] = [];
  for (const entry of entries) {
    if (!RULE_FILE.test(entry.name) || !(entry.isFile() || entry.isSymbolicLink())) continue;
    const parent =
      (entry as { parentPath?: string; path?: string }).parentPath ??
      (entry as { path?: string }).path ??
      dir;
    const full = join(parent, entry.name);
    const shown = join(dir, relative(dir, full)).split(sep).join('/');
    const refuse = (message: string, suggestion: string) =>
      refused.push(ruleError({ file: shown, line: 1, column: 1, message, suggestion }));
    let target = full;
    if (entry.isSymbolicLink()) {
      try {
        target = await realpath(full);
      } catch {
        refuse('symbolic link to a file that does not exist', 'remove the link or restore its target');
        continue;
      }
      const inside = relative(root, target);
      if (inside.startsWith('..') || inside === '' || inside.startsWith(sep)) {
        refuse(
          `symbolic link leads outside the rules folder (${target}): not followed`,
          'copy the file into the folder, or link to a file inside it',
        );
        continue;
      }
    }
    const info = await stat(target);
    if (!info.isFile()) continue;
    if (info.size > maxRuleFileBytes) {
      refuse(
        `file is ${info.size} bytes, over the ${maxRuleFileBytes}-byte limit for a rule file: not read`,
        'split it into several files, or share long term lists with "lists:"',
      );
      continue;
    }
    files.push({ path: shown, content: await readFile(target, 'utf8') });
  }
  if (refused.length > 0) throw new RuleFilesRefused(refused);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return files;
}
