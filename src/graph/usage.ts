/**
 * Rate-limit usage headers sent by the Graph API on (almost) every response, so callers can slow
 * down before Meta throttles them. Pure; no I/O.
 *
 * Shapes (docs/meta-platform.md#rate-limits and
 * https://developers.facebook.com/docs/graph-api/overview/rate-limiting/):
 *   X-App-Usage:  {"call_count":N,"total_cputime":N,"total_time":N}          (percent, 0–100)
 *   X-Page-Usage: same shape as X-App-Usage (Page tokens)
 *   X-Business-Use-Case-Usage:
 *     {"<object-id>":[{"type":"instagram","call_count":N,"total_cputime":N,"total_time":N,
 *                      "estimated_time_to_regain_access":<minutes>}]}
 * Which key and `type` graph.instagram.com emits is not documented, so everything is parsed
 * generically and the maximum percentage across entries and metrics wins.
 */

export interface UsageFigures {
  readonly callCount: number;
  readonly totalCputime: number;
  readonly totalTime: number;
}

export interface BusinessUsageEntry extends UsageFigures {
  /** The object id the header keyed this entry by (usually the IG user or Page id). */
  readonly objectId: string;
  readonly type: string | null;
  /** Minutes until the throttle lifts (0 when not throttled). */
  readonly regainAccessMinutes: number;
}

export interface GraphUsage {
  readonly app: UsageFigures | null;
  readonly page: UsageFigures | null;
  readonly business: readonly BusinessUsageEntry[];
  /** Highest percentage seen across every header, entry and metric (0–100, may exceed 100). */
  readonly maxPercent: number;
  /** Largest estimated_time_to_regain_access across entries, in minutes (0 if none). */
  readonly regainAccessMinutes: number;
}

/** Anything with a case-insensitive `get`, e.g. the Fetch `Headers`. */
export interface HeaderSource {
  get(name: string): string | null;
}

function num(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return 0;
}

function figures(raw: unknown): UsageFigures | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  return { callCount: num(r.call_count), totalCputime: num(r.total_cputime), totalTime: num(r.total_time) };
}

function parseJson(text: string | null): unknown {
  if (text === null || text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const peak = (f: UsageFigures): number => Math.max(f.callCount, f.totalCputime, f.totalTime);

/** Parse the three usage headers; null when none is present or none parses. */
export function parseUsageHeaders(headers: HeaderSource): GraphUsage | null {
  const app = figures(parseJson(headers.get('x-app-usage')));
  const page = figures(parseJson(headers.get('x-page-usage')));
  const business: BusinessUsageEntry[] = [];
  const buc = parseJson(headers.get('x-business-use-case-usage'));
  if (buc !== null && typeof buc === 'object' && !Array.isArray(buc)) {
    for (const [objectId, value] of Object.entries(buc as Record<string, unknown>)) {
      const list = Array.isArray(value) ? value : [value];
      for (const item of list) {
        const f = figures(item);
        if (!f) continue;
        const r = item as Record<string, unknown>;
        business.push({
          ...f,
          objectId,
          type: typeof r.type === 'string' ? r.type : null,
          regainAccessMinutes: num(r.estimated_time_to_regain_access),
        });
      }
    }
  }
  if (!app && !page && business.length === 0) return null;
  let maxPercent = 0;
  let regainAccessMinutes = 0;
  if (app) maxPercent = Math.max(maxPercent, peak(app));
  if (page) maxPercent = Math.max(maxPercent, peak(page));
  for (const b of business) {
    maxPercent = Math.max(maxPercent, peak(b));
    regainAccessMinutes = Math.max(regainAccessMinutes, b.regainAccessMinutes);
  }
  return { app, page, business, maxPercent, regainAccessMinutes };
}

/** Convenience for plain objects (tests, recorded headers). Keys are matched case-insensitively. */
export function headerSource(record: Readonly<Record<string, string | undefined>>): HeaderSource {
  const lower = new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name) => lower.get(name.toLowerCase()) ?? null };
}
