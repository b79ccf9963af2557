/**
 * The classifier cache in Postgres: shared by every instance, survives restarts, expires by TTL.
 * Expired rows are ignored on read and removed by `purgeExpired` (run on a schedule).
 */
import { and, eq, gt, lt, sql } from 'drizzle-orm';
import type { ClassifierCache } from '../../classify/cache.js';
import type { ClassifierResult } from '../../moderation/index.js';
import type { Database } from '../client.js';
import { classifierCache } from '../schema/classifier-cache.js';

export class PgClassifierCache implements ClassifierCache {
  constructor(private readonly db: Database) {}

  async get(key: string): Promise<ClassifierResult | undefined> {
    const [row] = await this.db
      .select({ result: classifierCache.result })
      .from(classifierCache)
      .where(and(eq(classifierCache.key, key), gt(classifierCache.expiresAt, sql`now()`)));
    return row ? (row.result as ClassifierResult) : undefined;
  }

  async set(key: string, value: ClassifierResult, ttlMs: number): Promise<void> {
    const expiresAt = sql`now() + make_interval(secs => ${ttlMs / 1000})`;
    await this.db
      .insert(classifierCache)
      .values({ key, result: value, expiresAt })
      .onConflictDoUpdate({
        target: classifierCache.key,
        set: { result: value, expiresAt, createdAt: sql`now()` },
      });
  }

  async purgeExpired(): Promise<number> {
    const rows = await this.db
      .delete(classifierCache)
      .where(lt(classifierCache.expiresAt, sql`now()`))
      .returning({ key: classifierCache.key });
    return rows.length;
  }
}
