/**
 * Reading labelled comment CSVs as they come from the real world (exports, research datasets):
 * a UTF-8 BOM, quoted fields with embedded newlines and quotes, HTML entities and a little HTML
 * (YouTube exports carry `<br />`, `<a href>` and `&amp;`), stray U+FEFF at the end of fields.
 * Node-only (used by `modbot eval` and scripts/train.ts), never by the runtime model.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import he from 'he';

export interface LabelledRow {
  /** The comment text, cleaned as a user would see it (entities decoded, tags removed). */
  readonly text: string;
  /** True when the label column equals the positive value. */
  readonly positive: boolean;
  /** 1-based record number in the file (header excluded), for error messages. */
  readonly line: number;
  /** Every column of the record, raw, for grouping (account, video) and reports. */
  readonly columns: Readonly<Record<string, string>>;
}

export interface LabelledCsvOptions {
  readonly text: string;
  readonly label: string;
  /** The label value(s) that mean "should be hidden"; compared after trimming. */
  readonly positive: string | readonly string[];
}

/** Decode HTML entities and strip markup the way the comment is displayed. */
export function cleanCommentText(raw: string): string {
  let s = raw.replace(/\uFEFF/gu, '');
  if (s.includes('<') || s.includes('&')) {
    s = s
      .replace(/<br\s*\/?>/giu, '\n')
      // A link shows its text; the href is usually the same URL or a timestamp.
      .replace(/<a\b[^>]*>(.*?)<\/a>/giu, '$1')
      .replace(/<\/?(?:b|i|u|em|strong|span|p|div)\b[^>]*>/giu, '');
    s = he.decode(s);
  }
  return s.trim();
}

/** Parse CSV text with a header row into records (BOM, quoted newlines and quotes handled). */
export function parseCsvRecords(content: string): Record<string, string>[] {
  return parse(content, {
    bom: true,
    columns: true,
    skip_empty_lines: true,
    relax_column_count: true,
    relax_quotes: true,
  }) as Record<string, string>[];
}

export function parseLabelledCsv(
  content: string,
  options: LabelledCsvOptions,
  source = 'input',
): LabelledRow[] {
  const records = parseCsvRecords(content);
  const first = records[0];
  if (first !== undefined) {
    for (const col of [options.text, options.label]) {
      if (!(col in first)) {
        throw new Error(`${source}: no column "${col}" (columns: ${Object.keys(first).join(', ')})`);
      }
    }
  }
  const positives = new Set(
    (typeof options.positive === 'string' ? [options.positive] : options.positive).map((p) => p.trim()),
  );
  return records.map((columns, i) => ({
    text: cleanCommentText(columns[options.text] ?? ''),
    positive: positives.has((columns[options.label] ?? '').trim()),
    line: i + 1,
    columns,
  }));
}

export function readLabelledCsv(path: string, options: LabelledCsvOptions): LabelledRow[] {
  return parseLabelledCsv(readFileSync(path, 'utf8'), options, path);
}
