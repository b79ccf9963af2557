/**
 * What Postgres can store. A correctly signed delivery may carry text Postgres refuses: `\u0000`
 * (no text or jsonb value may hold NUL) and lone UTF-16 surrogates (`\ud800` alone is no
 * character, and jsonb rejects its escape). JSON allows both as escapes, so such a body is valid
 * and its raw bytes are kept as they came (the escape is six ASCII characters); only the parsed
 * event is made storable here, so one odd comment cannot make its delivery fail on every retry.
 */

/** Longest id stored (Meta's ids are about 17-20 digits; a unique index row must stay small). */
export const maxIdLength = 256;

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The text as Postgres can store it: NUL removed, each lone surrogate replaced by U+FFFD. */
export function storableText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what is removed
  return text.replace(/\u0000/g, '').replace(loneSurrogate, '\ufffd');
}

/** Why an id cannot be stored as it is, or null when it can. */
export function idProblem(what: string, id: string): string | null {
  if (id.length > maxIdLength) return `${what} is ${id.length} characters long (at most ${maxIdLength})`;
  if (storableText(id) !== id) return `${what} holds NUL or a lone surrogate`;
  return null;
}
