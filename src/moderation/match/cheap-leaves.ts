/**
 * Cheap conditions (text, links, counts, author, media, kind): answered from the comment and its
 * event, with no port asked. Fast path: only the value; tracing: what was found, in words.
 */
import type { Leaf, TermRef } from '../rules/model.js';
import { domainMatches, SHORTENERS } from '../text/features.js';
import type { Context } from './context.js';
import { modeFlag } from './plan.js';

export type LeafResult = { value: boolean | undefined; detail: string; matched?: string[] };

/** Shared results for the fast path (no detail wanted): no allocation per condition. */
export const R_TRUE: LeafResult = Object.freeze({ value: true, detail: '' });
export const R_FALSE: LeafResult = Object.freeze({ value: false, detail: '' });
export const R_UNKNOWN: LeafResult = Object.freeze({ value: undefined, detail: 'not evaluated' });
export function bool(value: boolean): LeafResult {
  return value ? R_TRUE : R_FALSE;
}

function quote(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max).map((s) => JSON.stringify(s));
  return items.length > max ? `${shown.join(', ')} and ${items.length - max} more` : shown.join(', ');
}

function bounds(min: number | null, max: number | null): string {
  if (min !== null && max !== null) return `between ${min} and ${max}`;
  return min !== null ? `at least ${min}` : `at most ${String(max)}`;
}

/** A term condition with what it found, for traces. */
function describeTerms(leaf: Extract<Leaf, { kind: 'terms' }>, ctx: Context): LeafResult {
  if (leaf.mode === 'exact') {
    const index = leaf.byForm.get(leaf.raw ? ctx.rawText() : ctx.normalised.text);
    const hit = index === undefined ? undefined : leaf.terms[index];
    return hit
      ? { value: true, detail: `the text is ${JSON.stringify(hit.display)}`, matched: [hit.display] }
      : { value: false, detail: 'the text is none of them' };
  }
  const table = ctx.hits(leaf.raw);
  const need = modeFlag(leaf.mode);
  let found: Set<number> | null = null;
  for (const [p, flags] of table.flags) {
    if ((flags & need) === 0) continue;
    const indexes = leaf.byPattern.get(p);
    if (indexes === undefined) continue;
    found ??= new Set();
    for (const i of indexes) found.add(i);
  }
  const count = found?.size ?? 0;
  const value = leaf.all ? count === leaf.terms.length : count > 0;
  const matched = found
    ? [...found].sort((x, y) => x - y).map((i) => (leaf.terms[i] as TermRef).display)
    : [];
  if (leaf.all) {
    const missing = leaf.terms.filter((_, i) => !found?.has(i)).map((t) => t.display);
    return value
      ? { value, detail: `found all: ${quote(matched)}`, matched }
      : { value, detail: `missing ${quote(missing)}` };
  }
  return value
    ? { value, detail: `found ${quote(matched)}`, matched }
    : { value, detail: `none of ${leaf.terms.length} term${leaf.terms.length === 1 ? '' : 's'} found` };
}

/** `want`: build the human-readable detail and matched terms (tracing); otherwise only the value. */
export function evalCheapLeaf(
  leaf: Exclude<Leaf, { kind: 'repetition' | 'classifier' }>,
  ctx: Context,
  want: boolean,
): LeafResult {
  const f = ctx.features;
  const ev = ctx.event;
  switch (leaf.kind) {
    case 'terms': {
      // Tracing has its own function: its property reads then see one kind of leaf only.
      if (want) return describeTerms(leaf, ctx);
      if (leaf.mode === 'exact')
        return bool(leaf.byForm.get(leaf.raw ? ctx.rawText() : ctx.normalised.text) !== undefined);
      const table = ctx.hits(leaf.raw);
      const need = modeFlag(leaf.mode);
      // Walk this comment's hits (a handful), not the leaf's terms (maybe thousands).
      if (!leaf.all) {
        for (const [p, flags] of table.flags)
          if ((flags & need) !== 0 && leaf.byPattern.has(p)) return R_TRUE;
        return R_FALSE;
      }
      const found = new Set<number>();
      for (const [p, flags] of table.flags) {
        if ((flags & need) === 0) continue;
        const indexes = leaf.byPattern.get(p);
        if (indexes !== undefined) for (const i of indexes) found.add(i);
      }
      return bool(found.size === leaf.terms.length);
    }
    case 'regex': {
      const text = leaf.raw ? ctx.rawText() : ctx.normalised.forRegex;
      for (let i = 0; i < leaf.regexes.length; i++) {
        const re = leaf.regexes[i] as RegExp;
        // Most comments lack every string the regex needs: skip it without running it.
        const ids = leaf.literalIds[i];
        if (ids && !ctx.anyRegexLiteral(ids)) continue;
        const m = re.exec(text);
        if (m && !want) return bool(true);
        if (m)
          return { value: true, detail: `/${re.source}/ matched ${JSON.stringify(m[0])}`, matched: [m[0]] };
      }
      return want ? { value: false, detail: 'no match' } : R_FALSE;
    }
    case 'has-link': {
      const links = f.links;
      if (!want) return bool(links.length > 0 === leaf.value);
      return {
        value: links.length > 0 === leaf.value,
        detail: links.length > 0 ? `links: ${quote(links.map((l) => l.domain))}` : 'no links',
        matched: links.map((l) => l.domain),
      };
    }
    case 'has-shortened-link': {
      const short =
        f.links.length === 0 ? [] : f.links.filter((l) => SHORTENERS.some((s) => domainMatches(l.domain, s)));
      if (!want) return bool(short.length > 0 === leaf.value);
      return {
        value: short.length > 0 === leaf.value,
        detail: short.length > 0 ? `shortened: ${quote(short.map((l) => l.url))}` : 'no shortened links',
        matched: short.map((l) => l.domain),
      };
    }
    case 'link-domain': {
      if (f.links.length === 0) return want ? { value: false, detail: 'no links' } : R_FALSE;
      const domains = f.links.map((l) => l.domain);
      const hits = domains.filter((d) => leaf.domains.some((x) => domainMatches(d, x)) !== leaf.negate);
      if (!want) return bool(hits.length > 0);
      if (domains.length === 0) return { value: false, detail: 'no links' };
      return hits.length > 0
        ? { value: true, detail: `${leaf.negate ? 'not allowed' : 'listed'}: ${quote(hits)}`, matched: hits }
        : { value: false, detail: `links: ${quote(domains)}` };
    }
    case 'count': {
      const n =
        leaf.what === 'links'
          ? f.links.length
          : leaf.what === 'mentions'
            ? f.mentions.length
            : leaf.what === 'hashtags'
              ? f.hashtags.length
              : leaf.what === 'emoji'
                ? f.emojiCount
                : f.length;
      const ok = (leaf.min === null || n >= leaf.min) && (leaf.max === null || n <= leaf.max);
      if (!want) return bool(ok);
      const noun = leaf.what === 'length' ? 'characters' : leaf.what;
      const matched =
        leaf.what === 'mentions'
          ? f.mentions.map((m) => `@${m}`)
          : leaf.what === 'hashtags'
            ? f.hashtags.map((h) => `#${h}`)
            : undefined;
      return {
        value: ok,
        detail: `${n} ${noun} (${bounds(leaf.min, leaf.max)})`,
        ...(ok && matched ? { matched } : {}),
      };
    }
    case 'share': {
      const share = leaf.what === 'emoji' ? f.emojiShare : f.capitalsShare;
      if (!want) return bool(share >= leaf.min);
      return {
        value: share >= leaf.min,
        detail: `${Math.round(share * 100)}% ${leaf.what} (at least ${Math.round(leaf.min * 100)}%)`,
      };
    }
    case 'mentions-any':
    case 'hashtags-any': {
      const have = leaf.kind === 'mentions-any' ? f.mentions : f.hashtags;
      const hits = have.length === 0 ? have : have.filter((h) => leaf.values.has(h));
      if (!want) return bool(hits.length > 0);
      const sigil = leaf.kind === 'mentions-any' ? '@' : '#';
      return hits.length > 0
        ? {
            value: true,
            detail: `found ${quote(hits.map((h) => sigil + h))}`,
            matched: hits.map((h) => sigil + h),
          }
        : {
            value: false,
            detail:
              have.length > 0
                ? `has ${quote(have.map((h) => sigil + h))}`
                : `no ${leaf.kind === 'mentions-any' ? 'mentions' : 'hashtags'}`,
          };
    }
    case 'author': {
      const name = ev.author?.username?.toLowerCase() ?? null;
      const id = ev.author?.id ?? null;
      const listed = (name !== null && leaf.values.has(name)) || (id !== null && leaf.values.has(id));
      if (!want) return bool(listed !== leaf.negate);
      const who = name !== null ? `@${name}` : id !== null ? `id ${id}` : 'unknown author';
      return {
        value: listed !== leaf.negate,
        detail: `${who} ${listed ? 'is' : 'is not'} listed`,
        ...(listed ? { matched: [who] } : {}),
      };
    }
    case 'media':
      if (!want) return bool(ev.mediaId !== null && leaf.values.has(ev.mediaId));
      return {
        value: ev.mediaId !== null && leaf.values.has(ev.mediaId),
        detail: `media ${ev.mediaId ?? 'unknown'}`,
      };
    case 'media-type': {
      const type = ev.adId !== null ? 'AD' : ev.mediaProductType;
      if (!want) return bool(type !== null && leaf.values.has(type));
      return { value: type !== null && leaf.values.has(type), detail: `media type ${type ?? 'unknown'}` };
    }
    case 'is-live':
      if (!want) return bool((ev.kind === 'live_comment') === leaf.value);
      return {
        value: (ev.kind === 'live_comment') === leaf.value,
        detail: ev.kind === 'live_comment' ? 'a live comment' : 'not live',
      };
    case 'event-kind':
      if (!want) return bool(leaf.values.has(ev.kind));
      return { value: leaf.values.has(ev.kind), detail: `kind ${ev.kind}` };
  }
}
