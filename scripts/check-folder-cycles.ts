/**
 * Fails when src/'s top-level folders import each other in a cycle (e.g. pipeline → audit →
 * pipeline). Biome's noRestrictedImports (biome.json) holds the forbidden arrows; this holds
 * the shape as a whole: the folders form a layered graph, so each can be read and changed
 * knowing only what is below it. Imports are read with TypeScript's own pre-processor, type-only
 * imports included (they couple the folders' meaning as much as value imports do).
 *
 *   npx tsx scripts/check-folder-cycles.ts [--graph]   (run by `npm run lint`)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** A file's node: its top-level folder under src/, or the file itself when it sits in src/. */
function nodeOf(file: string): string {
  const [first, second] = relative(root, file).split('/');
  return second === undefined ? (first ?? '') : `${first}/`;
}

const edges = new Map<string, Set<string>>();
for (const file of sourceFiles(root)) {
  const from = nodeOf(file);
  for (const imported of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
    if (!imported.fileName.startsWith('.')) continue;
    const target = resolve(dirname(file), imported.fileName);
    if (!target.startsWith(`${root}/`)) continue;
    const to = nodeOf(target.replace(/\.js$/, '.ts'));
    if (to !== from) edges.set(from, (edges.get(from) ?? new Set()).add(to));
  }
}

if (process.argv.includes('--graph'))
  for (const [from, to] of [...edges].sort()) console.log(`${from} → ${[...to].sort().join(', ')}`);

// Depth-first search; a back edge closes a cycle, reported as the path around it.
const state = new Map<string, 'open' | 'done'>();
const cycles: string[][] = [];
const visit = (node: string, path: string[]) => {
  state.set(node, 'open');
  for (const next of edges.get(node) ?? []) {
    if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), node, next]);
    else if (!state.has(next)) visit(next, [...path, node]);
  }
  state.set(node, 'done');
};
for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node, []);

if (cycles.length > 0) {
  console.error('src/ folders import each other in a cycle; move the shared piece down a layer:');
  for (const cycle of cycles) console.error(`  ${cycle.join(' → ')}`);
  process.exit(1);
}
console.log(`folder imports: ${edges.size} folders, no cycles`);
