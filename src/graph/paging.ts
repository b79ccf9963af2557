/**
 * Walking a Graph list page by page: `data`, `paging.next` and `paging.cursors.after`, with the
 * guards that keep a walk finite and the token ours (same origin only, a repeated cursor ends it,
 * at most maxPages). The list calls in ./reads.ts page with it over the transport's call.
 */
import {
  type CallOptions,
  type GraphAccount,
  type GraphResult,
  type GraphTransport,
  isObj,
  type Parse,
} from './transport.js';

export interface GraphPage<T> {
  readonly items: readonly T[];
  /** cursors.after of this page, if any. */
  readonly after: string | null;
  /** Whether Meta announced another page (paging.next present). */
  readonly hasNext: boolean;
}

interface RawPage {
  data: unknown[];
  next: string | null;
  after: string | null;
}
const parseRawPage: Parse<RawPage> = (j) => {
  if (!isObj(j) || !Array.isArray(j.data)) return undefined;
  const paging = isObj(j.paging) ? j.paging : {};
  const cursors = isObj(paging.cursors) ? paging.cursors : {};
  return {
    data: j.data,
    next: typeof paging.next === 'string' && paging.next !== '' ? paging.next : null,
    after: typeof cursors.after === 'string' && cursors.after !== '' ? cursors.after : null,
  };
};

/**
 * GET `first`, then each next page, yielding one result per page; an error page is yielded and
 * ends the walk. `stopAt` drops an item and ends the walk after its page (e.g. older than `since`).
 */
export async function* walkPages<T>(
  call: GraphTransport['call'],
  maxPages: number,
  account: GraphAccount,
  first: URL,
  parseItem: Parse<T>,
  opts: CallOptions,
  stopAt?: (item: T) => boolean,
): AsyncGenerator<GraphResult<GraphPage<T>>> {
  let url: URL | null = first;
  const seen = new Set<string>();
  for (let n = 0; url && n < maxPages; n++) {
    const r: GraphResult<RawPage> = await call(
      { method: 'GET', url, token: account.accessToken, loginType: account.loginType },
      parseRawPage,
      opts,
    );
    if (!r.ok) {
      yield r;
      return;
    }
    const items: T[] = [];
    let reachedEnd = false;
    for (const raw of r.value.data) {
      const item = parseItem(raw);
      if (item === undefined) continue;
      if (stopAt?.(item)) {
        reachedEnd = true;
        continue;
      }
      items.push(item);
    }
    const { next, after } = r.value;
    yield { ...r, value: { items, after, hasNext: next !== null && !reachedEnd } };
    if (!next || reachedEnd) return;
    // Follow paging.next only on our own origin (it carries Meta's copy of the token, which
    // call() strips and replaces); otherwise page by cursor on the first URL. A repeated
    // cursor ends the walk (mocks such as Prism answer every page with the same example).
    const key = after ?? next;
    if (seen.has(key)) return;
    seen.add(key);
    url = nextUrl(first, next, after);
  }
}

function nextUrl(first: URL, next: string, after: string | null): URL | null {
  try {
    const u = new URL(next);
    if (u.origin === first.origin && (u.protocol === 'https:' || u.protocol === 'http:')) return u;
  } catch {
    // not an absolute URL
  }
  if (!after) return null;
  const u = new URL(first.href);
  u.searchParams.set('after', after);
  return u;
}
