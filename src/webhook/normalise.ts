/**
 * Turns every documented webhook shape into typed events (see docs/meta-platform.md#payloads):
 * - `entry[].changes[]` (Facebook Login, and Instagram Login in practice) and the flat
 *   `entry.field` / `entry.value` form (Instagram Login as documented);
 * - `value.id` or `value.comment_id` for the comment id;
 * - `entry.time` in seconds or milliseconds;
 * - dashboard test events (entry.id "0") marked as tests.
 * Anything else (DMs in `messaging[]`, fields we do not moderate, changes missing ids) becomes an
 * "unhandled" change: stored with the delivery, acknowledged, never acted on. So does an event
 * whose ids cannot be stored (kilobytes long, NUL): refused alone, with its reason recorded.
 * Texts are made storable (storable.ts): NUL removed, lone surrogates replaced.
 */

import type { EventKind, InstagramEvent, MediaProductType } from './events.js';
import type { Envelope } from './payload.js';
import { idProblem, storableText } from './storable.js';

export type NormalisedChange =
  | { readonly type: 'event'; readonly dedupeKey: string; readonly event: InstagramEvent }
  | {
      readonly type: 'unhandled';
      readonly object: string;
      readonly field: string | null;
      readonly reason: string;
    };

const productTypes = new Set<MediaProductType>(['FEED', 'REELS', 'STORY', 'AD']);

export function normaliseEnvelopes(envelopes: readonly Envelope[], receivedAt: Date): NormalisedChange[] {
  const out: NormalisedChange[] = [];
  for (const envelope of envelopes) {
    for (const entry of envelope.entry) out.push(...normaliseEntry(envelope.object, entry, receivedAt));
  }
  return out;
}

/** An unhandled change, its strings cut short and made storable (they come from the sender). */
function unhandledChange(object: string, field: string | null, reason: string): NormalisedChange {
  const short = (s: string) => storableText(s.length > 200 ? `${s.slice(0, 200)}…` : s);
  return {
    type: 'unhandled',
    object: short(object),
    field: field === null ? null : short(field),
    reason: short(reason),
  };
}

function normaliseEntry(object: string, entry: unknown, receivedAt: Date): NormalisedChange[] {
  const unhandled = (field: string | null, reason: string) => unhandledChange(object, field, reason);
  if (!isRecord(entry)) return [unhandled(null, 'entry is not an object')];
  if (object !== 'instagram') return [unhandled(null, `object "${object.slice(0, 100)}" is not moderated`)];
  const accountId = idOf(entry.id);
  if (!accountId) return [unhandled(null, 'entry has no id')];
  const badAccount = idProblem('entry id', accountId);
  if (badAccount) return [unhandled(null, badAccount)];
  const sentAt = timeOf(entry.time) ?? receivedAt;

  const changes: unknown[] = [];
  if (Array.isArray(entry.changes)) changes.push(...entry.changes);
  if (typeof entry.field === 'string') changes.push({ field: entry.field, value: entry.value });
  const results = changes.map((change) => normaliseChange(object, accountId, sentAt, change));
  if (Array.isArray(entry.messaging)) {
    for (const _ of entry.messaging)
      results.push(unhandled('messaging', 'direct messages are not moderated'));
  }
  if (results.length === 0) results.push(unhandled(null, 'entry has no changes'));
  return results;
}

function normaliseChange(object: string, accountId: string, sentAt: Date, change: unknown): NormalisedChange {
  if (!isRecord(change) || typeof change.field !== 'string') {
    return unhandledChange(object, null, 'change has no field');
  }
  const field = change.field;
  const value = isRecord(change.value) ? change.value : null;
  const unhandled = (reason: string) => unhandledChange(object, field, reason);
  if (!value) return unhandled('change has no value object');
  const isTest = accountId === '0';

  if (field === 'comments' || field === 'live_comments') {
    const commentId = idOf(value.id) ?? idOf(value.comment_id);
    if (!commentId) return unhandled('comment change has no id');
    const from = isRecord(value.from) ? value.from : null;
    const media = isRecord(value.media) ? value.media : null;
    const parentId = idOf(value.parent_id);
    const authorId = from ? idOf(from.id) : null;
    const mediaId = media ? idOf(media.id) : idOf(value.media_id);
    const adId = media ? idOf(media.ad_id) : null;
    const badId = firstIdProblem({
      'comment id': commentId,
      'media id': mediaId,
      'parent id': parentId,
      'author id': authorId,
      'ad id': adId,
    });
    if (badId) return unhandled(badId);
    const kind: EventKind = field === 'live_comments' ? 'live_comment' : parentId ? 'reply' : 'comment';
    const productType =
      media && typeof media.media_product_type === 'string' ? media.media_product_type.toUpperCase() : null;
    const event: InstagramEvent = {
      kind,
      accountId,
      field,
      commentId,
      mediaId,
      parentId,
      text: typeof value.text === 'string' ? storableText(value.text) : null,
      author: from
        ? { id: authorId, username: typeof from.username === 'string' ? storableText(from.username) : null }
        : null,
      fromSelf:
        (authorId !== null && authorId === accountId) ||
        (from !== null && from.self_ig_scoped_id !== undefined),
      mediaProductType:
        productType && productTypes.has(productType as MediaProductType)
          ? (productType as MediaProductType)
          : null,
      adId,
      sentAt,
      isTest,
    };
    return { type: 'event', dedupeKey: dedupeKey(accountId, field, commentId), event };
  }

  if (field === 'mentions') {
    const mediaId = idOf(value.media_id);
    const commentId = idOf(value.comment_id);
    if (!mediaId && !commentId) return unhandled('mention change has neither media_id nor comment_id');
    const badId = firstIdProblem({ 'comment id': commentId, 'media id': mediaId });
    if (badId) return unhandled(badId);
    const event: InstagramEvent = {
      kind: commentId ? 'mention_comment' : 'mention_caption',
      accountId,
      field,
      commentId,
      mediaId,
      parentId: null,
      // Meta sends ids only; a text here comes from `modbot simulate` (used without a token).
      text: typeof value.text === 'string' ? storableText(value.text) : null,
      author: null,
      fromSelf: false,
      mediaProductType: null,
      adId: null,
      sentAt,
      isTest,
    };
    return { type: 'event', dedupeKey: dedupeKey(accountId, field, commentId ?? (mediaId as string)), event };
  }

  return unhandled(`field "${field}" is not moderated`);
}

/** One row per (account, field, comment or media id): Meta's retries and duplicates collapse onto it. */
export function dedupeKey(accountId: string, field: string, objectId: string): string {
  return `${accountId}:${field}:${objectId}`;
}

function firstIdProblem(ids: Record<string, string | null>): string | null {
  for (const [what, id] of Object.entries(ids)) {
    const problem = id === null ? null : idProblem(what, id);
    if (problem) return problem;
  }
  return null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Ids arrive as strings; test events and some tools send numbers. */
function idOf(v: unknown): string | null {
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** `entry.time` is seconds in comment examples and milliseconds in messaging ones: accept both. */
function timeOf(v: unknown): Date | null {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return null;
  const at = new Date(n >= 1e12 ? n : n * 1000);
  // A time no date can hold (1e300) or past year 9999 is no notification time: use arrival.
  return Number.isNaN(at.getTime()) || at.getUTCFullYear() > 9999 ? null : at;
}
