/**
 * A rule file once its YAML is parsed: the document with its line counter (so any path in it can
 * be pointed at as file:line:column), and the error collector that stamps those positions.
 */
import { type Document, isMap, isScalar, type LineCounter } from 'yaml';
import { type RuleError, ruleError } from './errors.js';
import type { RuleInput } from './schema.js';

export type Path = ReadonlyArray<string | number>;

export interface ParsedFile {
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

/** Where a path points in a YAML document (1-based line and column), preferring the key. */
export function position(file: ParsedFile, path: Path, key?: string): { line: number; column: number } {
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

export class Errors {
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
