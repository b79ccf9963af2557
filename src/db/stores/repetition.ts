/**
 * Repetition conditions ("the same text seen N times from this author / on this account within
 * a window") counted from the audit log: earlier decisions with the same normalised-text hash.
 */
import { and, count, eq, gte, lt } from 'drizzle-orm';
import type { RepetitionCounter, RepetitionQuery } from '../../moderation/ports.js';
import type { Database } from '../client.js';
import { decisions } from '../schema/decisions.js';

export class PgRepetitionCounter implements RepetitionCounter {
  constructor(private readonly db: Database) {}

  async count(q: RepetitionQuery): Promise<number> {
    const since = new Date(q.now.getTime() - q.windowSeconds * 1000);
    const [row] = await this.db
      .select({ n: count() })
      .from(decisions)
      .where(
        and(
          eq(decisions.accountId, q.accountId),
          eq(decisions.textHash, q.textHash),
          gte(decisions.createdAt, since),
          lt(decisions.createdAt, q.now),
          q.authorId === null ? undefined : eq(decisions.authorId, q.authorId),
        ),
      );
    return Number(row?.n ?? 0);
  }
}
