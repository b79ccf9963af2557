/** Minimal RFC 4180 writer: every field quoted, quotes doubled, CRLF line ends. */
export function toCsv(
  header: readonly string[],
  records: readonly Readonly<Record<string, string>>[],
): string {
  const q = (v: string) => `"${v.replace(/"/g, '""')}"`;
  const lines = [header.map(q).join(',')];
  for (const r of records) lines.push(header.map((h) => q(r[h] ?? '')).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
