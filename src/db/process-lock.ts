/**
 * Several Node processes on one Postgres: each holds a session advisory lock, keyed by its own
 * random id, on a connection of its own for as long as it lives. Every lease it takes (inbox
 * events, actions) carries that id (`lease_holder`). Postgres drops a session lock the moment the
 * session ends, so when a process dies (SIGKILL, crash, the machine gone) its lock disappears
 * from `pg_locks` and the leases it held are free at once (`deadHolderLeases` below), instead of
 * after INBOX_LEASE_SECONDS.
 *
 * A process that finds its lock gone (its connection dropped: Postgres restarted, the network
 * cut) must stop working at once: others may already have taken its leases, and two processes
 * must never work the same reply. `onLost` is told; the Node entry exits.
 *
 * Not used on PGlite: one process has the database, and it frees every lease at start.
 */
import { type SQL, sql } from 'drizzle-orm';
import postgres from 'postgres';

/** First key of the two-key advisory lock: "modbot process" (the migrations use a one-key lock). */
export const PROCESS_LOCK_CLASS = 740_572_102;

export interface ProcessLock {
  /** This process's id: the second key of its lock, written into every lease it takes. */
  readonly id: number;
  /** Releases the lock (clean shutdown; leases were finished or given back before). */
  close(): Promise<void>;
}

export interface ProcessLockOptions {
  /** Called once if the lock is lost while the process runs. */
  readonly onLost: (why: string) => void;
  /** How often the lock is checked to still be held (default 2 s). */
  readonly checkEveryMs?: number;
}

/** Takes a process lock with a fresh random id on a dedicated connection to `url`. */
export async function holdProcessLock(url: string, options: ProcessLockOptions): Promise<ProcessLock> {
  let closing = false;
  let lost = false;
  const loseOnce = (why: string) => {
    if (closing || lost) return;
    lost = true;
    options.onLost(why);
  };
  const client = postgres(url, {
    max: 1,
    // The lock lives as long as this one connection: never recycle it.
    max_lifetime: null,
    idle_timeout: 0,
    keep_alive: 5,
    onnotice: () => {},
    fetch_types: false,
    onclose: () => loseOnce('its database connection closed'),
  });
  let id = 0;
  for (;;) {
    id = 1 + Math.floor(Math.random() * 2_147_483_646);
    const [row] = await client<{ ok: boolean }[]>`
      select pg_try_advisory_lock(${PROCESS_LOCK_CLASS}::int, ${id}::int) as ok`;
    if (row?.ok) break;
  }
  // A dropped connection may be reopened silently by the driver for the next query, without the
  // lock: check that this very session still holds it.
  const check = setInterval(() => {
    client<{ held: boolean }[]>`
      select exists (select 1 from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()
        and classid = ${PROCESS_LOCK_CLASS}::bigint::oid and objid = ${id}::bigint::oid
        and objsubid = 2 and granted) as held`
      .then(([row]) => {
        if (!row?.held) loseOnce('its advisory lock is no longer held');
      })
      .catch((error: unknown) => loseOnce(`checking its lock failed: ${(error as Error).message}`));
  }, options.checkEveryMs ?? 2000);
  check.unref?.();
  return {
    id,
    async close() {
      closing = true;
      clearInterval(check);
      await client.end({ timeout: 5 });
    },
  };
}

/**
 * SQL condition on a queue row (`table`.lease_holder): its holder's process lock is gone from
 * this database, so its lease is free now. Rows with no holder (PGlite, commands) never match.
 */
export function holderGone(leaseHolder: SQL): SQL {
  return sql`(${leaseHolder} is not null and not exists (
    select 1 from pg_locks l
    where l.locktype = 'advisory' and l.granted and l.objsubid = 2
      and l.database = (select oid from pg_database where datname = current_database())
      and l.classid = ${PROCESS_LOCK_CLASS}::bigint::oid and l.objid = ${leaseHolder}::bigint::oid))`;
}
