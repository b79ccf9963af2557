/**
 * Benchmark: audit queries at real size (issue 6, Must 7).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench -- audit [--rows 1000000] [--runs 7] [--reuse]
 *
 * Seeds its own database (modbot_bench_audit on the DATABASE_URL server, dropped and recreated)
 * with 1,000,000 decisions over 90 days in one INSERT … SELECT generate_series, in time order
 * as they would arrive (indexes built after the load, as a restore would), ~30% with an action row, then VACUUM ANALYZE. Then runs
 * the common questions through the same query module the CLI and API use (src/audit/query.ts),
 * after rolling up closed days for stats (what the server does every 10 minutes),
 * twice to warm up and `runs` times measured, and prints one JSON object: median and max per
 * query, rows returned, the 100 ms target and whether it was met.
 *
 * Needs a real Postgres: PGlite (one WASM connection) takes many minutes to load 1M rows and is
 * not what a deployment of this size would run on. `--reuse` keeps an already seeded database.
 */
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { parseAuditFilter } from '../src/audit/filters.js';
import { auditStats, getDecision, listDecisions } from '../src/audit/query.js';
import { rollUpClosedDays } from '../src/audit/rollup.js';
import { rowsOf } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import { openPostgres } from '../src/db/postgres.js';

const TARGET_MS = 100;
const DB_NAME = 'modbot_bench_audit';

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

const RULES = [
  'dm-me-pitch',
  'dm-me',
  'crypto-scam',
  'investment-scam',
  'link-in-bio',
  'giveaway-scam',
  'flood',
  'harassment',
  'slur-list',
  'telegram-link',
  'fake-support',
  'impersonation',
];
const RULE_ACTION: Record<string, string> = {
  'dm-me-pitch': 'hide',
  'dm-me': 'review',
  'crypto-scam': 'hide',
  'investment-scam': 'delete',
  'link-in-bio': 'reply',
  'giveaway-scam': 'hide',
  flood: 'review',
  harassment: 'hide',
  'slur-list': 'delete',
  'telegram-link': 'hide',
  'fake-support': 'delete',
  impersonation: 'review',
};
const WORDS =
  'love great post thanks the this photo colours where was taken amazing beautiful nice video tips so helpful recipe how much price buy link shop when new drop wow cute dog cat sunset beach city food coffee morning night best ever favourite follow back please more like share story reel live today tomorrow week month year happy birthday congrats proud team game win lose play music song dance art design style fashion dress shoes bag sale free shipping order size colour blue red green black white gold silver summer winter spring autumn travel trip hotel flight island mountain lake river forest garden flowers plants home kitchen room bed chair table lamp book read write learn school work job money income invest crypto bitcoin trading profit guaranteed dm me message telegram whatsapp click bio offer opportunity earn passive rich'.split(
    ' ',
  );

async function seed(db: ReturnType<typeof openPostgres>['db'], rows: number) {
  // Indexes are dropped for the load and rebuilt afterwards with their exact definitions.
  const indexes = rowsOf<{ name: string; def: string }>(
    await db.execute(
      sql`select indexname as name, indexdef as def from pg_indexes where tablename in ('decisions', 'actions') and indexname not like '%_pkey'`,
    ),
  );
  for (const i of indexes) await db.execute(sql.raw(`drop index if exists "${i.name}"`));
  const words = sql.raw(`array[${WORDS.map((w) => `'${w}'`).join(',')}]`);
  const rules = sql.raw(`array[${RULES.map((r) => `'${r}'`).join(',')}]`);
  const actionsOf = sql.raw(`array[${RULES.map((r) => `'${RULE_ACTION[r]}'`).join(',')}]`);
  const t0 = performance.now();
  await db.execute(sql`
    insert into decisions (id, inbox_id, created_at, account_id, kind, comment_id, media_id, author_id, author_username,
                           text, normalised_text, text_hash, rule_set_hash, outcome, action, deciding_rule, fired_rules,
                           detail, steps, dry_run, duration_ms)
    select gen_random_uuid(), g, x.created_at, x.account, 'comment', (17900000000000000 + g)::text, x.media,
           x.author, 'user_' || x.author, x.text, lower(x.text), md5(lower(x.text)), 'bench-rule-set', 
           case when x.rule is null then 'no_match' else 'matched' end,
           coalesce(x.action, 'allow'), x.rule, case when x.rule is null then '{}'::text[] else array[x.rule] end,
           jsonb_build_object(
             'fired', case when x.rule is null then '[]'::jsonb else jsonb_build_array(jsonb_build_object('ruleId', x.rule, 'mode', 'enforce', 'priority', 0, 'reason', 'bench',
                 'matched', true, 'actions', jsonb_build_array(x.action), 'conditions', jsonb_build_array(jsonb_build_object('condition', 'text contains any', 'result', 'matched', 'detail', 'found', 'depth', 0)),
                 'matchedTerms', '[]'::jsonb, 'fallback', null)) end,
             'classifierCalls', jsonb_build_array(jsonb_build_object('classifier', 'builtin', 'question', null, 'error', null,
                 'result', jsonb_build_object('provider', 'builtin', 'model', 'v5', 'version', '5', 'latencyMs', 0.2, 'cached', false,
                   'scores', jsonb_build_object('scam', x.score, 'spam', round((x.score * 0.8)::numeric, 3))))),
             'fallbacks', '[]'::jsonb, 'notes', '[]'::jsonb, 'shadow', null),
           '[]'::jsonb, false, 2 + (g % 9)
    from generate_series(1, ${rows}::int) g
    cross join lateral (
      select now() - (random() * interval '90 days') as created_at,
             -- 20 accounts, the first few much busier (skewed like real brands)
             (17841400000000000 + 1 + floor(power(random(), 2) * 20))::bigint::text as account,
             (18000000000000000 + floor(random() * 5000))::bigint::text as media,
             -- 200,000 commenters, a few very active
             (6000000000000 + floor(power(random(), 3) * 200000))::bigint::text as author,
             r.rule, r.action, s.score, t.text
      from (select case when random() < 0.3 then floor(random() * ${RULES.length})::int + 1 end as i, g as gg) pick
      cross join lateral (select (${rules})[pick.i] as rule, (${actionsOf})[pick.i] as action) r
      cross join lateral (select round(random()::numeric, 3) as score) s
      cross join lateral (
        select array_to_string(array(select (${words})[1 + floor(random() * ${WORDS.length})::int] from generate_series(1, 5 + (pick.gg % 9)) w where w > 0 * pick.gg), ' ') as text
      ) t
    ) x
    -- Rows arrive in time order in real life, so the table is physically in time order too.
    order by x.created_at`);
  const loadMs = performance.now() - t0;
  // One action row for about a third of the decisions that did something (done, dry run or held).
  await db.execute(sql`
    insert into actions (id, decision_id, account_id, comment_id, media_id, type, status, seq, created_at, updated_at, completed_at)
    select gen_random_uuid(), id, account_id, comment_id, media_id, action,
           case when action = 'review' then 'held' when random() < 0.9 then 'done' else 'failed' end, 0, created_at, created_at, created_at
    from decisions where action in ('hide', 'delete', 'review') and random() < 0.34`);
  const t1 = performance.now();
  for (const i of indexes) await db.execute(sql.raw(i.def));
  const indexMs = performance.now() - t1;
  await db.execute(sql`vacuum analyze decisions`);
  await db.execute(sql`vacuum analyze actions`);
  // What the server's 10-minute job does: roll up closed days for stats (first run: all history).
  const t2 = performance.now();
  const rolled = await rollUpClosedDays(db);
  const rollupMs = performance.now() - t2;
  await db.execute(sql`vacuum analyze decision_daily`);
  return {
    loadMs: Math.round(loadMs),
    indexMs: Math.round(indexMs),
    rollupFirstRunMs: Math.round(rollupMs),
    rollupRows: rolled.rows,
  };
}

async function time<T>(
  runs: number,
  fn: () => Promise<T>,
): Promise<{ medianMs: number; maxMs: number; last: T }> {
  let last: T = await fn();
  last = await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    last = await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return {
    medianMs: Math.round((times[Math.floor(times.length / 2)] ?? 0) * 10) / 10,
    maxMs: Math.round((times.at(-1) ?? 0) * 10) / 10,
    last,
  };
}

export default async function run(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rows: { type: 'string', default: '1000000' },
      runs: { type: 'string', default: '7' },
      reuse: { type: 'boolean', default: false },
    },
  });
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      'bench audit needs a real Postgres: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres). PGlite is too slow to load 1,000,000 rows.',
    );
    process.exit(2);
  }
  const rows = Number(values.rows);
  const runs = Number(values.runs);
  const admin = openPostgres(withDatabase(url, 'postgres'), { max: 1 });
  let seeded: Awaited<ReturnType<typeof seed>> | null = null;
  const exists =
    rowsOf(await admin.db.execute(sql`select 1 from pg_database where datname = ${DB_NAME}`)).length > 0;
  const handle = async () => openPostgres(withDatabase(url, DB_NAME), { max: 2 });
  let bench: ReturnType<typeof openPostgres>;
  if (values.reuse && exists) {
    bench = await handle();
  } else {
    await admin.db.execute(sql.raw(`drop database if exists ${DB_NAME} with (force)`));
    await admin.db.execute(sql.raw(`create database ${DB_NAME}`));
    bench = await handle();
    await applyMigrations(bench);
    seeded = await seed(bench.db, rows);
  }
  await admin.close();
  const db = bench.adHoc; // as the API and the CLI ask

  // Pick realistic subjects: the busiest account, a frequent commenter, a common rule.
  const [busiest] = rowsOf<{ account_id: string }>(
    await db.execute(sql`select account_id from decisions group by 1 order by count(*) desc limit 1`),
  );
  const [author] = rowsOf<{ author_id: string; author_username: string; n: number }>(
    await db.execute(
      sql`select author_id, max(author_username) as author_username, count(*)::int as n from decisions group by 1 order by 3 desc limit 1`,
    ),
  );
  const [total] = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from decisions`));
  const [oneId] = rowsOf<{ id: string }>(
    await db.execute(sql`select id from decisions order by created_at desc limit 1 offset 1000`),
  );
  const page = { limit: 50 };

  const queries: Array<{ name: string; run: () => Promise<number>; target?: boolean }> = [
    {
      name: 'last 24 h of an account (page of 50)',
      run: async () =>
        (await listDecisions(db, parseAuditFilter({ account: busiest?.account_id, since: '24h' }), page))
          .items.length,
    },
    {
      name: 'by rule over 7 days (page of 50)',
      run: async () =>
        (await listDecisions(db, parseAuditFilter({ rule: 'crypto-scam', since: '7d' }), page)).items.length,
    },
    {
      name: 'by author id, all time (page of 50)',
      run: async () =>
        (await listDecisions(db, parseAuditFilter({ author: author?.author_id }), page)).items.length,
    },
    {
      name: 'by author username, all time (page of 50)',
      run: async () =>
        (await listDecisions(db, parseAuditFilter({ author: `@${author?.author_username}` }), page)).items
          .length,
    },
    {
      name: 'stats by day over 30 days, all accounts',
      run: async () => (await auditStats(db, 'day', parseAuditFilter({ since: '30d' }))).rows.length,
    },
    {
      name: 'stats by day over 30 days, one account',
      run: async () =>
        (await auditStats(db, 'day', parseAuditFilter({ since: '30d', account: busiest?.account_id }))).rows
          .length,
    },
    {
      name: 'text search "guaranteed profit" (page of 50)',
      run: async () =>
        (await listDecisions(db, parseAuditFilter({ q: 'guaranteed profit' }), page)).items.length,
    },
    {
      name: 'text search rare word, 7 days (page of 50)',
      run: async () =>
        (await listDecisions(db, parseAuditFilter({ q: 'whatsapp telegram bitcoin', since: '7d' }), page))
          .items.length,
    },
    {
      name: 'stats by day over 30 days, all accounts, without the rollup (reference, no target)',
      run: async () =>
        (await auditStats(db, 'day', parseAuditFilter({ since: '30d' }), { rollup: false })).rows.length,
      target: false,
    },
    {
      name: 'stats by rule over 7 days',
      run: async () => (await auditStats(db, 'rule', parseAuditFilter({ since: '7d' }))).rows.length,
    },
    {
      name: 'one decision explained (audit show)',
      run: async () => ((await getDecision(db, oneId?.id ?? '')) ? 1 : 0),
    },
  ];

  const results = [];
  for (const q of queries) {
    const t = await time(runs, q.run);
    results.push({
      query: q.name,
      medianMs: t.medianMs,
      maxMs: t.maxMs,
      rows: t.last,
      targetMs: q.target === false ? null : TARGET_MS,
      met: q.target === false ? null : t.maxMs <= TARGET_MS,
    });
  }
  await bench.close();
  console.log(
    JSON.stringify(
      {
        benchmark: 'audit',
        database: `postgres (${DB_NAME})`,
        decisions: total?.n ?? 0,
        seeded: seeded ?? 'reused',
        subjects: { account: busiest?.account_id, author: author?.author_id, authorDecisions: author?.n },
        runsPerQuery: runs,
        loadAverage: (await import('node:os')).loadavg().map((l) => Math.round(l * 10) / 10),
        results,
        allMet: results.every((r) => r.met !== false),
      },
      null,
      2,
    ),
  );
}
