/**
 * Repetition conditions ("the same text seen N times from this author / on this account within
 * a window") counted from the audit log: earlier decisions with the same normalised-text hash.
 * Counts asked for together (a comment's flood and author-flood rules are asked side by side)
 * share one query, and each stops at what its condition needs (`enough`).
 */
import { sql } from 'drizzle-orm';
import type { RepetitionCounter, RepetitionQuery } from '../../moderation/index.js';
import { type Database, rowsOf } from '../client.js';

interface Asked {
  readonly query: RepetitionQuery;
  readonly exclude: readonly number[];
  readonly throughNow: boolean;
  readonly resolve: (n: number) => void;
  readonly reject: (e: unknown) => void;
}

export class PgRepetitionCounter implements RepetitionCounter {
  private asked: Asked[] = [];

  constructor(private readonly db: Database) {}

  /**
   * `excludeInboxIds`: events being decided in the same batch, which the caller counts itself
   * (their decisions are not written yet, or were written by an earlier try of the same batch).
   * `throughNow`: count up to the database's present moment when that is later than
   * `query.now`: the caller waited for decisions that were stored after its `now`, and the
   * database's clock, which stamped them, is the one to compare with.
   */
  count(
    query: RepetitionQuery,
    excludeInboxIds: readonly number[] = [],
    { throughNow = false }: { throughNow?: boolean } = {},
  ): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.asked.push({ query, exclude: excludeInboxIds, throughNow, resolve, reject });
      if (this.asked.length === 1) queueMicrotask(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const asked = this.asked;
    this.asked = [];
    const queries = asked.map(({ query: q, exclude, throughNow }, i) => ({
      i,
      account_id: q.accountId,
      text_hash: q.textHash,
      author_id: q.authorId,
      since: new Date(q.now.getTime() - q.windowSeconds * 1000).toISOString(),
      until: q.now.toISOString(),
      through_now: throughNow,
      exclude,
      enough: q.enough ?? null,
    }));
    try {
      const rows = rowsOf<{ i: number; n: number | string }>(
        await this.db.execute(sql`
          select q.i, case
            when q.author_id is null then (
              select count(*) from (
                select 1 from decisions d
                where d.account_id = q.account_id and d.text_hash = q.text_hash
                  and d.created_at >= q.since and d.created_at < q.upto
                  and not (q.exclude @> to_jsonb(d.inbox_id))
                -- the condition only needs to know whether there were at least this many
                limit q.enough) seen)
            else (
              -- by author: walk that author's recent decisions (few), not the whole campaign's
              select count(*) from (
                select 1 from decisions d
                where d.author_id = q.author_id
                  and d.created_at >= q.since and d.created_at < q.upto
                  and d.account_id = q.account_id and d.text_hash = q.text_hash
                  and not (q.exclude @> to_jsonb(d.inbox_id))
                limit q.enough) seen)
            end as n
          from jsonb_to_recordset(${JSON.stringify(queries)}::jsonb) as q0(
            i integer, account_id text, text_hash text, author_id text, since timestamptz,
            until timestamptz, through_now boolean, exclude jsonb, enough integer)
          cross join lateral (select q0.*,
            case when q0.through_now then greatest(q0.until, now()) else q0.until end as upto) q`),
      );
      const counts = new Map(rows.map((r) => [Number(r.i), Number(r.n)]));
      for (const [i, a] of asked.entries()) a.resolve(counts.get(i) ?? 0);
    } catch (error) {
      for (const a of asked) a.reject(error);
    }
  }
}
