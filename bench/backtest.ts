/**
 * Benchmark: backtest of 100,000 stored comments (issue 15, Must 6).
 *
 *   npm run bench -- backtest [--rows 100000] [--baseline-rows 5000] [--page 2000]
 *   DATABASE_URL=postgres://… npm run bench -- backtest      (its own database, dropped first)
 *   npm run bench -- backtest --profile /tmp/backtest.cpuprofile   (CPU profile of the backtest alone)
 *
 * Seeds a fresh database (in-memory PGlite unless DATABASE_URL is set) with `rows` decisions as
 * the pipeline records them: texts drawn from the shipped rules' examples and ordinary comments
 * (campaign texts repeat), each decided by the shipped rules with their shadow rules in shadow
 * and the builtin scores recorded, an inbox row with its event, and 1% of the hides undone by a
 * moderator. Then backtests the working copy of rules/ with every shadow rule promoted (the
 * question "what if I enforce them?") over all of them, and, as the baseline in the same run,
 * the naive way on the first `baseline-rows`: each decision fetched by itself with its whole
 * detail and event, re-decided with the builtin model run live. Prints one JSON object.
 * Target: the 100,000 in under 10 s.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { sql } from 'drizzle-orm';
import { runBacktest } from '../src/audit/backtest/run.js';
import { createBuiltinClassifier } from '../src/classify/builtin/index.js';
import { type DatabaseHandle, rowsOf } from '../src/db/client.js';
import { type Decision, evaluate, loadRuleSet, type RuleSet, textHash } from '../src/moderation/index.js';
import { readRuleFiles } from '../src/rules-source/files.js';
import type { InstagramEvent } from '../src/webhook/events.js';
import { arg, benchDatabase } from './support.js';

const TARGET_SECONDS = 10;
const ACCOUNTS = ['17841400000000001', '17841400000000002', '17841400000000003'];
const ORDINARY =
  'love this post so much|where was this taken?|the colours are amazing|thanks for the tips, very helpful|can you share the recipe please|how much is the blue one|congrats on the launch!|my dog would love this|best reel this week|happy birthday to your team|need this in my kitchen|what camera do you use|see you at the next drop|so proud of you|this made my morning'.split(
    '|',
  );

function mulberry(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function eventFor(text: string, i: number, at: Date, rnd: () => number): InstagramEvent {
  const author = Math.floor(rnd() ** 3 * 20_000);
  return {
    kind: 'comment',
    accountId: ACCOUNTS[i % ACCOUNTS.length] as string,
    field: 'comments',
    commentId: String(17_900_000_000_000_000 + i),
    mediaId: String(18_000_000_000_000_000 + Math.floor(rnd() * 500)),
    parentId: null,
    text,
    author: { id: String(6_000_000_000_000 + author), username: `user_${author}` },
    fromSelf: false,
    mediaProductType: 'FEED',
    adId: null,
    sentAt: at,
    isTest: false,
  };
}

export async function seed(database: DatabaseHandle, recorded: RuleSet, rows: number): Promise<void> {
  const db = database.db;
  const rnd = mulberry(15);
  const examples = recorded.rules.flatMap((r) =>
    [...r.examples.match, ...r.examples.noMatch].map((e) => e.text),
  );
  const builtin = createBuiltinClassifier();
  // Each distinct text decided once, as the live pipeline would (the builtin asked only when needed).
  const decided = new Map<string, Decision>();
  const decide = async (text: string, event: InstagramEvent) => {
    let d = decided.get(text);
    if (!d) {
      d = await evaluate(recorded, { event }, { classifiers: { builtin } });
      decided.set(text, d);
    }
    return d;
  };
  await db.execute(
    sql`insert into rule_sets (hash, files) values (${recorded.hash}, ${JSON.stringify(recorded.files)}::jsonb)`,
  );
  const start = Date.now() - 29 * 86_400_000;
  const step = (29 * 86_400_000) / rows;
  const batch = 2000;
  for (let from = 0; from < rows; from += batch) {
    const inboxRows: unknown[] = [];
    const decisionRows: unknown[] = [];
    const actionRows: unknown[] = [];
    for (let i = from; i < Math.min(rows, from + batch); i++) {
      const r = rnd();
      // A third from the rules' examples (spam, scams, abuse, campaigns), the rest ordinary comments.
      const text =
        r < 0.33
          ? (examples[Math.floor(rnd() * examples.length)] as string)
          : `${ORDINARY[Math.floor(rnd() * ORDINARY.length)]}${rnd() < 0.5 ? ` ${Math.floor(rnd() * 1000)}` : ''}`;
      const at = new Date(start + i * step);
      const event = eventFor(text, i, at, rnd);
      const d = await decide(text, event);
      const id = crypto.randomUUID();
      inboxRows.push({
        id: i + 1,
        delivery_id: crypto.randomUUID(),
        dedupe_key: `${event.accountId}:comments:${event.commentId}`,
        account_id: event.accountId,
        comment_id: event.commentId,
        media_id: event.mediaId,
        event,
        at: at.toISOString(),
      });
      decisionRows.push({
        id,
        inbox_id: i + 1,
        at: at.toISOString(),
        account_id: event.accountId,
        comment_id: event.commentId,
        media_id: event.mediaId,
        author_id: event.author?.id,
        author_username: event.author?.username,
        text,
        normalised_text: d.normalisedText,
        text_hash: textHash(d.normalisedText),
        outcome: d.outcome,
        action: d.action,
        deciding_rule: d.decidingRule,
        fired_rules: d.fired.map((f) => f.ruleId),
        detail: { ...d, rules: undefined },
        steps: d.steps,
      });
      if (d.action === 'hide') {
        actionRows.push({
          id: crypto.randomUUID(),
          decision_id: id,
          account_id: event.accountId,
          comment_id: event.commentId,
          type: 'hide',
          status: 'done',
          actor: 'modbot',
          at: at.toISOString(),
        });
        if (rnd() < 0.01)
          actionRows.push({
            id: crypto.randomUUID(),
            decision_id: null,
            account_id: event.accountId,
            comment_id: event.commentId,
            type: 'unhide',
            status: 'done',
            actor: 'moderator:bench',
            at: new Date(at.getTime() + 60_000).toISOString(),
          });
      }
    }
    await db.execute(sql`
      insert into inbox (id, delivery_id, dedupe_key, account_id, field, kind, comment_id, media_id, event, status, created_at, updated_at, processed_at)
      overriding system value
      select id, delivery_id, dedupe_key, account_id, 'comments', 'comment', comment_id, media_id, event, 'done', at, at, at
      from jsonb_to_recordset(${JSON.stringify(inboxRows)}::jsonb) as x(id bigint, delivery_id uuid, dedupe_key text, account_id text,
        comment_id text, media_id text, event jsonb, at timestamptz)`);
    await db.execute(sql`
      insert into decisions (id, inbox_id, created_at, account_id, kind, comment_id, media_id, author_id, author_username, text,
        normalised_text, text_hash, rule_set_hash, outcome, action, deciding_rule, fired_rules, detail, steps, dry_run, duration_ms)
      select id, inbox_id, at, account_id, 'comment', comment_id, media_id, author_id, author_username, text, normalised_text,
        text_hash, ${recorded.hash}, outcome, action, deciding_rule, array(select jsonb_array_elements_text(fired_rules)), detail,
        steps, false, 1
      from jsonb_to_recordset(${JSON.stringify(decisionRows)}::jsonb) as x(id uuid, inbox_id bigint, at timestamptz, account_id text,
        comment_id text, media_id text, author_id text, author_username text, text text, normalised_text text, text_hash text,
        outcome text, action text, deciding_rule text, fired_rules jsonb, detail jsonb, steps jsonb)`);
    if (actionRows.length > 0)
      await db.execute(sql`
        insert into actions (id, decision_id, account_id, comment_id, type, status, actor, seq, created_at, updated_at)
        select id, decision_id, account_id, comment_id, type, status, actor, 0, at, at
        from jsonb_to_recordset(${JSON.stringify(actionRows)}::jsonb) as x(id uuid, decision_id uuid, account_id text,
          comment_id text, type text, status text, actor text, at timestamptz)`);
  }
  await db.execute(sql`analyze`);
}

/** The naive way: one decision at a time, whole detail and event, the builtin model run live. */
async function baseline(database: DatabaseHandle, candidate: RuleSet, rows: number): Promise<number> {
  const db = database.db;
  const ids = rowsOf<{ id: string }>(
    await db.execute(sql`select id from decisions order by created_at, id limit ${rows}`),
  ).map((r) => r.id);
  const builtin = createBuiltinClassifier();
  const t0 = performance.now();
  for (const id of ids) {
    const [row] = rowsOf<{ text: string; event: InstagramEvent | string; action: string; detail: unknown }>(
      await db.execute(
        sql`select d.text, d.action, d.detail, i.event from decisions d join inbox i on i.id = d.inbox_id where d.id = ${id}`,
      ),
    );
    if (!row) continue;
    const event = (typeof row.event === 'string' ? JSON.parse(row.event) : row.event) as InstagramEvent;
    await evaluate(
      candidate,
      { event: { ...event, sentAt: new Date(event.sentAt) }, text: row.text },
      { classifiers: { builtin } },
    );
  }
  return performance.now() - t0;
}

export default async function backtestBench(args: readonly string[]): Promise<void> {
  const rows = arg(args, 'rows', 100_000);
  const baselineRows = arg(args, 'baseline-rows', 5_000);
  const pageSize = arg(args, 'page', 2000);
  const files = await readRuleFiles('rules');
  const loadedRecorded = loadRuleSet(files);
  // The candidate: the working copy with every shadow rule promoted.
  const loadedCandidate = loadRuleSet(
    files.map((f) => ({ ...f, content: f.content.replace(/^(\s*)mode:\s*shadow\s*$/gm, '$1mode: enforce') })),
  );
  if (!loadedRecorded.ok || !loadedCandidate.ok)
    throw new Error('rules/ does not load: run `modbot rules check`');
  const database = await benchDatabase('modbot_bench_backtest');
  try {
    const s0 = performance.now();
    await seed(database, loadedRecorded.ruleSet, rows);
    const seedSeconds = (performance.now() - s0) / 1000;

    const profileTo = args.includes('--profile') ? args[args.indexOf('--profile') + 1] : undefined;
    const session = profileTo ? new Session() : null;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const report = await runBacktest(database.db, {
      candidateRules: loadedCandidate.ruleSet,
      offlineClassifiers: new Map([['builtin', createBuiltinClassifier()]]),
      since: new Date(Date.now() - 30 * 86_400_000),
      pageSize,
    });
    const seconds = (performance.now() - t0) / 1000;
    const heapAfter = process.memoryUsage().heapUsed;
    if (session && profileTo) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(profileTo, JSON.stringify(profile));
      session.disconnect();
    }
    const baselineMs = await baseline(database, loadedCandidate.ruleSet, baselineRows);
    const baselinePerSecond = baselineRows / (baselineMs / 1000);
    console.log(
      JSON.stringify(
        {
          benchmark: 'backtest',
          database: database.kind,
          rows,
          seedSeconds: Math.round(seedSeconds * 10) / 10,
          backtest: {
            totalSeconds: Math.round(seconds * 100) / 100,
            commentsPerSecond: Math.round(rows / seconds),
            pageSize,
            heapGrowthMB: Math.round((heapAfter - heapBefore) / 1e5) / 10,
            changed: report.totals.changed,
            newly: report.totals.newly,
            noLonger: report.totals.noLonger,
            labels: { reversals: report.labels.reversals, avoided: report.labels.reversalsAvoided },
            scores: {
              recorded: report.scores.recorded,
              offline: report.scores.offline,
              commentsAssumed: report.scores.commentsAssumed,
            },
          },
          baseline: {
            what: 'one decision fetched at a time (whole detail and event), builtin model run live',
            rows: baselineRows,
            commentsPerSecond: Math.round(baselinePerSecond),
            projectedSecondsFor: { rows, seconds: Math.round((rows / baselinePerSecond) * 10) / 10 },
          },
          speedup: Math.round((rows / seconds / baselinePerSecond) * 10) / 10,
          target: { seconds: TARGET_SECONDS, met: seconds < TARGET_SECONDS },
        },
        null,
        2,
      ),
    );
  } finally {
    await database.close();
  }
}
