/**
 * What the catch-up sweep remembers per media (comments_count when last swept in full), so it can
 * tell older media with new comments from quiet ones. The sweep sees it as its MediaActivityStore
 * (src/pipeline/sweep-account.ts).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { MediaActivityStore } from '../../pipeline/sweep-account.js';
import type { Database } from '../client.js';
import { mediaActivity } from '../schema/media-activity.js';

export function createMediaActivityRepo(db: Database): MediaActivityStore {
  return {
    async countsOf(accountId, mediaIds) {
      if (mediaIds.length === 0) return new Map();
      const rows = await db
        .select({ mediaId: mediaActivity.mediaId, commentsCount: mediaActivity.commentsCount })
        .from(mediaActivity)
        .where(and(eq(mediaActivity.accountId, accountId), inArray(mediaActivity.mediaId, [...mediaIds])));
      return new Map(rows.map((r) => [r.mediaId, r.commentsCount]));
    },
    async record(accountId, seen) {
      if (seen.length === 0) return;
      await db
        .insert(mediaActivity)
        .values(seen.map((s) => ({ accountId, mediaId: s.mediaId, commentsCount: s.commentsCount })))
        .onConflictDoUpdate({
          target: [mediaActivity.accountId, mediaActivity.mediaId],
          set: { commentsCount: sql`excluded.comments_count`, sweptAt: sql`now()` },
        });
    },
  };
}
