/**
 * The server killed with SIGKILL between intake and processing loses nothing: every delivery
 * answered 200 is processed exactly once after a restart. Runs real modbot processes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rowsOf } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite.js';
import { createInboxRepo } from '../src/db/repos/inbox.js';
import { signBody } from '../src/webhook/verify.js';
import { openTestDatabase, type TestDatabase } from './support/db.js';
import { freePort } from './support/free-port.js';
import { startModbot } from './support/modbot-process.js';
import { commentPayload, deliveryOf, META_SECRET } from './support/runtime.js';

let dataDir: string;
let database: TestDatabase | null = null;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'modbot-crash-'));
  if (process.env.DATABASE_URL) database = await openTestDatabase();
});
afterAll(async () => {
  await database?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** modbot on the test's data directory (or its Postgres), with the comment ids it decided, in order. */
function start(port: number, workers: number, dir = dataDir) {
  const processed: string[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  const modbot = startModbot({
    port,
    databaseUrl: database?.testUrl,
    env: {
      META_APP_SECRET: META_SECRET,
      META_VERIFY_TOKEN: 'crash-test',
      MODBOT_DATA_DIR: dir,
      INBOX_WORKERS: String(workers),
      INBOX_POLL_MS: '50',
    },
    onLog: (record) => {
      if (record.msg !== 'decision') return;
      processed.push(record.commentId as string);
      for (const w of waiting.filter((w) => processed.length >= w.n)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
    },
  });
  /** Resolves once `n` decisions are logged: waits for the state, however slow the machine. */
  const decided = (n: number) =>
    processed.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve }));
  return { ...modbot, processed, decided };
}

/**
 * After the server stopped: what its database holds. Every event done (nothing left that a later
 * start would process again) and one decision per comment.
 */
async function storedOutcome(dir = dataDir) {
  const handle = database ?? (await openPglite(join(dir, 'pgdata')));
  try {
    const open = rowsOf<{ n: number }>(
      await handle.db.execute(
        sql`select count(*)::int as n from inbox where status not in ('done', 'skipped')`,
      ),
    );
    const twice = rowsOf<{ comment_id: string }>(
      await handle.db.execute(sql`select comment_id from decisions group by comment_id having count(*) > 1`),
    );
    return { notDone: Number(open[0]?.n ?? 0), decidedTwice: twice.map((r) => r.comment_id) };
  } finally {
    if (!database) await handle.close();
  }
}

it('loses nothing when killed between intake and processing', async () => {
  const port = await freePort();
  const first = start(port, 0);
  await first.ready;

  const ids = Array.from({ length: 60 }, (_, i) => `crash-${i}`);
  const responses = await Promise.all(
    ids.map(async (id, i) => {
      // Half the events arrive twice (Meta retries): still one row, one processing.
      const body = commentPayload(i % 2 === 0 ? [id] : [id, ids[i - 1] as string]);
      return fetch(`http://127.0.0.1:${port}/webhooks/instagram`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': await signBody(body, META_SECRET),
        },
        body,
      });
    }),
  );
  expect(responses.map((r) => r.status)).toEqual(ids.map(() => 200));
  await first.stop('SIGKILL');
  expect(first.processed).toEqual([]);

  const second = start(port, 2);
  await second.ready;
  await second.decided(ids.length);
  // A graceful stop lets work in flight finish; the database then says whether anything is left
  // to process or was decided twice (no fixed wait for a duplicate to show up).
  await second.stop('SIGTERM');
  expect([...second.processed].sort()).toEqual([...ids].sort());
  expect(await storedOutcome()).toEqual({ notDone: 0, decidedTwice: [] });
}, 300_000);

it.skipIf(process.env.DATABASE_URL)(
  'on the embedded database, what a killed modbot was holding is processed at once after a restart, not after its lease',
  async () => {
    // Events written leased to a process that then died (as the intake writes them for its own
    // workers), with a lease far longer than this test waits.
    const dir = mkdtempSync(join(tmpdir(), 'modbot-leased-'));
    try {
      const embedded = await openPglite(join(dir, 'pgdata'));
      await applyMigrations(embedded);
      const ids = ['held-1', 'held-2', 'held-3'];
      const [stored] = await createInboxRepo(embedded.db).storeDeliveries([deliveryOf(commentPayload(ids))], {
        claimFor: { claimToken: crypto.randomUUID(), leaseSeconds: 3600 },
      });
      expect(stored?.claimed).toHaveLength(3);
      await embedded.close();

      const restarted = start(await freePort(), 2, dir);
      await restarted.ready;
      await restarted.decided(ids.length);
      await restarted.stop('SIGTERM');
      expect([...restarted.processed].sort()).toEqual(ids);
      expect(restarted.output()).toContain('released what a stopped modbot was holding');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  300_000,
);
