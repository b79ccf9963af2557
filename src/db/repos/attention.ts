/** Counts of what waits for people (src/notify/attention.ts): dead letters and held reviews. */
import { sql } from 'drizzle-orm';
import type { AttentionCounts } from '../../notify/attention.js';
import { type Database, rowsOf } from '../client.js';

export function createAttentionCounts(db: Database): () => Promise<AttentionCounts> {
  return async () => {
    const [row] = rowsOf<{ dead: number | string; held: number | string }>(
      await db.execute(sql`
        select (select count(*) from inbox where status = 'dead') as dead,
               (select count(*) from actions where status = 'held') as held`),
    );
    return { deadLetters: Number(row?.dead ?? 0), heldForReview: Number(row?.held ?? 0) };
  };
}
