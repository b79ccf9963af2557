/**
 * Reply templates: `Hi {{author}}, links to {{matched}} are not allowed here.` The longest
 * possible expansion is checked at load against Instagram's 2,200-character limit. Pure.
 */

export const REPLY_MAX_LENGTH = 2200;
export const PLACEHOLDERS = ['author', 'matched'] as const;

/** Instagram usernames are at most 30 characters. */
const AUTHOR_MAX = 30;
/** A matched term is cut to this length in replies. */
export const MATCHED_MAX = 100;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export function placeholdersIn(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The longest the reply can be once filled, in characters. */
export function maxExpandedLength(template: string, longestMatched: number): number {
  let total = chars(template.replace(PLACEHOLDER, ''));
  for (const name of placeholdersIn(template)) {
    total += name === 'author' ? AUTHOR_MAX : name === 'matched' ? Math.min(longestMatched, MATCHED_MAX) : 0;
  }
  return total;
}

export function expandTemplate(
  template: string,
  values: { author: string | null; matched: string | null },
): string {
  const out = template.replace(PLACEHOLDER, (_, name: string) => {
    if (name === 'author') return (values.author ?? 'there').slice(0, AUTHOR_MAX);
    if (name === 'matched') return firstChars(values.matched ?? '', MATCHED_MAX);
    return '';
  });
  return firstChars(out, REPLY_MAX_LENGTH);
}

/** The first `max` characters (code points); a string of at most `max` code units is whole. */
function firstChars(s: string, max: number): string {
  return s.length <= max ? s : [...s].slice(0, max).join('');
}
