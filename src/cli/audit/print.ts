/**
 * Printing a `modbot audit` listing in the chosen format: table, json, csv or ndjson.
 */
import { csv, ndjson, type OutputFormat, type TableColumn, table } from '../../audit/format.js';

export function print(
  format: OutputFormat,
  rows: Record<string, unknown>[],
  json: unknown,
  columns: readonly TableColumn[],
  csvColumns: readonly string[],
) {
  if (format === 'json') console.log(JSON.stringify(json, null, 2));
  else if (format === 'ndjson') {
    if (rows.length > 0)
      console.log(
        ndjson(
          Array.isArray((json as { items?: unknown[] }).items) ? (json as { items: unknown[] }).items : rows,
        ),
      );
  } else if (format === 'csv') console.log(csv(rows, csvColumns));
  else console.log(rows.length === 0 ? '(nothing matches)' : table(rows, columns));
}
