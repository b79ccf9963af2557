/**
 * Reads rule files from a directory (Node only). Paths in errors and hashes are the directory's
 * relative path joined with the file name as the user typed it, e.g. `rules/spam.yaml`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { SourceFile } from '../moderation/index.js';

const RULE_FILE = /\.ya?ml$/i;

/** Every *.yaml / *.yml under `dir` (recursively), sorted by path. */
export async function readRuleFiles(dir: string): Promise<SourceFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: SourceFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !RULE_FILE.test(entry.name)) continue;
    const parent =
      (entry as { parentPath?: string; path?: string }).parentPath ??
      (entry as { path?: string }).path ??
      dir;
    const full = join(parent, entry.name);
    const shown = join(dir, relative(dir, full)).split(sep).join('/');
    files.push({ path: shown, content: await readFile(full, 'utf8') });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return files;
}
