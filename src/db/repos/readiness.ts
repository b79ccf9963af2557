/**
 * Readiness: the database answers and every committed migration has been applied.
 * Runtime-neutral (the journal is bundled as JSON), so /readyz means the same on Node and Workers.
 */
import { sql } from 'drizzle-orm';
import journal from '../../../migrations/meta/_journal.json' with { type: 'json' };
import { type Database, rowsOf } from '../client.js';

export type Readiness =
  | { readonly ok: true; readonly warnings?: readonly string[] }
  /** `reason` is shown to anyone (/readyz is unauthenticated); `detail` only logged. */
  | { readonly ok: false; readonly reason: string; readonly detail?: unknown };

const latest = journal.entries.at(-1);

export async function checkReadiness(db: Database): Promise<Readiness> {
  let applied: { created_at: string | number }[];
  try {
    applied = rowsOf(
      await db.execute(
        sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`,
      ),
    );
  } catch (error) {
    // The driver's message carries the query's SQL text: it goes to the log, never the answer.
    const causes: unknown[] = [error, (error as { cause?: unknown })?.cause];
    const code = causes
      .map((e) => (e as { code?: unknown } | undefined)?.code)
      .find((c): c is string => typeof c === 'string');
    if (code === '42P01' || causes.some((e) => e instanceof Error && /does not exist/.test(e.message)))
      return { ok: false, reason: 'migrations not applied (run: npm run modbot -- migrate)', detail: error };
    return { ok: false, reason: `database unreachable${code ? ` (${code})` : ''}`, detail: error };
  }
  if (!latest) return { ok: true };
  const newest = Number(applied[0]?.created_at ?? 0);
  if (newest < latest.when)
    return { ok: false, reason: `migration ${latest.tag} not applied (run: npm run modbot -- migrate)` };
  // Ready, but an account whose token is refused or cannot be decrypted has its work waiting.
  const waiting = rowsOf<{ id: string; reason: string | null }>(
    await db.execute(
      sql`select id, status_reason as reason from accounts where status = 'reauth_needed' order by id limit 20`,
    ),
  );
  if (waiting.length === 0) return { ok: true };
  return {
    ok: true,
    warnings: waiting.map(
      (a) =>
        `account ${a.id} needs re-authorisation (its actions wait): ${a.reason ?? 'token refused'}; add its token again: modbot accounts add`,
    ),
  };
}
