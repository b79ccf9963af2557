/**
 * The notices table (src/db/schema/notices.ts) as the Workers notifier sees it (NoticeStore in
 * src/notify/stored.ts).
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Notice } from '../../notify/ports.js';
import type { NoticeStore } from '../../notify/stored.js';
import { type Database, rowsOf } from '../client.js';
import { notices } from '../schema/notices.js';

/** A notice being sent is someone else's for this long (a cron invocation that dies frees it). */
const leaseSeconds = 60;
/** Sent notices are kept this long (the attention check reads the last one of its kind). */
const keepDays = 7;

export function createNoticeStore(db: Database): NoticeStore {
  return {
    async add(items) {
      if (items.length === 0) return;
      await db.insert(notices).values(items.map(({ key, notice }) => ({ key, notice })));
    },

    async takeDue(minIntervalMs, limit) {
      // Nothing is taken while the last message is younger than the interval: at most one
      // message per NOTIFY_INTERVAL_SECONDS, whichever invocation sends it.
      const rows = rowsOf<{ id: number | string; notice: Notice | string }>(
        await db.execute(sql`
          update notices set claimed_until = now() + make_interval(secs => ${leaseSeconds})
          where id in (
            select id from notices
            where sent_at is null and (claimed_until is null or claimed_until < now())
            order by id limit ${limit}
            for update skip locked)
          and coalesce((select max(sent_at) from notices), '-infinity'::timestamptz)
              <= now() - make_interval(secs => ${minIntervalMs / 1000})
          returning id, notice`),
      );
      return rows
        .map((r) => ({
          id: Number(r.id),
          notice: (typeof r.notice === 'string' ? JSON.parse(r.notice) : r.notice) as Notice,
        }))
        .sort((a, b) => a.id - b.id);
    },

    async markSent(ids) {
      if (ids.length === 0) return;
      await db
        .update(notices)
        .set({ sentAt: sql`now()`, claimedUntil: null })
        .where(inArray(notices.id, [...ids]));
      await db.delete(notices).where(sql`sent_at < now() - make_interval(days => ${keepDays})`);
    },

    async release(ids) {
      if (ids.length === 0) return;
      await db
        .update(notices)
        .set({ claimedUntil: null })
        .where(and(inArray(notices.id, [...ids]), sql`sent_at is null`));
    },

    async lastOf(key) {
      const [row] = await db
        .select({ notice: notices.notice, createdAt: notices.createdAt })
        .from(notices)
        .where(eq(notices.key, key))
        .orderBy(desc(notices.id))
        .limit(1);
      return row ? { notice: row.notice, at: row.createdAt.getTime() } : undefined;
    },
  };
}
