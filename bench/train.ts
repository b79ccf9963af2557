/**
 * Benchmark: `modbot train --from-audit` on an audit log of real size.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench -- train [--comments 100000] [--labels 500]
 *
 * Seeds its own database (modbot_bench_train on the DATABASE_URL server, dropped and recreated;
 * in-memory PGlite without DATABASE_URL) with `comments` decided comments over the last 30 days
 * (texts drawn from a word list plus a few campaign texts repeated many times) and `labels`
 * moderator actions on them: hides (spam), unhides after a modbot hide (reversals) and approvals.
 * Then runs the same use-case as the command (src/learn/train-from-audit.ts) and prints one JSON
 * object: where the time went (labels, fit, out-of-fold fits, scoring the stored comments with
 * both models) beside the baseline, scoring the same stored texts once with the shipped model
 * alone (what any summary of them costs).
 */
import { sql } from 'drizzle-orm';
import { builtinModel } from '../src/classify/builtin/index.js';
import { createLearnedModelsRepo } from '../src/db/repos/learned-models.js';
import { learningConnection } from '../src/runtime/commands.js';
import { arg, benchDatabase } from './support.js';

const WORDS =
  'love great post thanks this photo colours where was taken amazing beautiful nice video tips so helpful recipe how much price buy link shop when new drop wow cute dog cat sunset beach city food coffee follow back please more like share story reel live today happy birthday congrats proud team music song dance art design style fashion dress shoes bag sale free shipping order size blue red summer travel trip hotel garden flowers home kitchen book read learn work job money invest crypto bitcoin trading profit dm me message telegram whatsapp click bio offer earn'.split(
    ' ',
  );
const CAMPAIGNS = [
  'I invested $3,000 and got $32,200 thanks to @finance.with.ava_ contact her',
  'check out my new shop link in bio, handmade candles',
  'follow @promo_page_daily for free followers',
  'where is my order? it has been two weeks',
];

export default async function main(args: readonly string[]): Promise<void> {
  const comments = arg(args, 'comments', 100_000);
  const labels = arg(args, 'labels', 500);
  const database = await benchDatabase('modbot_bench_train');
  const db = database.db;
  try {
    const words = sql.raw(`array[${WORDS.map((w) => `'${w}'`).join(',')}]`);
    const campaigns = sql.raw(`array[${CAMPAIGNS.map((c) => `'${c.replace(/'/g, "''")}'`).join(',')}]`);
    const t0 = performance.now();
    await db.execute(sql`
      insert into decisions (id, inbox_id, created_at, account_id, kind, comment_id, media_id, text, normalised_text,
                             text_hash, rule_set_hash, outcome, action, detail, steps, dry_run, duration_ms)
      select gen_random_uuid(), g, now() - (random() * interval '29 days'), '17841400000000001', 'comment',
             (17900000000000000 + g)::text, '18000000000000004', x.text, lower(x.text), md5(lower(x.text)),
             'bench', 'no_match', 'allow', '{}'::jsonb, '[]'::jsonb, false, 1
        from generate_series(1, ${comments}::int) g
        cross join lateral (
          select case when g % 10 = 0 then (${campaigns})[1 + (g / 10) % ${CAMPAIGNS.length}]
                 else array_to_string(array(select (${words})[1 + floor(random() * ${WORDS.length})::int]
                                              from generate_series(1, 4 + g % 9) w where w > 0 * g), ' ') end as text) x`);
    // Moderator labels on the first `labels` comments: hides, reversals of modbot hides, approvals.
    await db.execute(sql`
      insert into actions (id, account_id, comment_id, type, status, actor, created_at, updated_at)
      select gen_random_uuid(), account_id, comment_id, 'hide', 'done', 'modbot', created_at, created_at
        from decisions where inbox_id <= ${labels} and inbox_id % 3 = 1`);
    await db.execute(sql`
      insert into actions (id, account_id, comment_id, type, status, actor, created_at, updated_at)
      select gen_random_uuid(), account_id, comment_id,
             case inbox_id % 3 when 0 then 'hide' when 1 then 'unhide' else 'review' end,
             case inbox_id % 3 when 2 then 'dismissed' else 'done' end, 'moderator:bench',
             created_at + interval '1 minute', created_at + interval '1 minute'
        from decisions where inbox_id <= ${labels}`);
    const seedSeconds = (performance.now() - t0) / 1000;

    const t1 = performance.now();
    const texts = await createLearnedModelsRepo(db).storedTexts(
      new Date(Date.now() - 30 * 86_400_000),
      50_000,
    );
    const shipped = builtinModel();
    for (const t of texts) shipped.score(t.normalisedText);
    const baselineSeconds = (performance.now() - t1) / 1000;

    const t2 = performance.now();
    const report = await learningConnection(database).train({ since: '90d' });
    const trainSeconds = (performance.now() - t2) / 1000;
    console.log(
      JSON.stringify({
        bench: 'train',
        database: database.kind,
        comments,
        distinctTexts: report.recent.distinctTexts,
        labels: report.labels.positive + report.labels.negative,
        anchors: report.training.anchors,
        seedSeconds: round(seedSeconds),
        trainFromAudit: { seconds: round(trainSeconds), phases: report.seconds },
        baseline: { scoreStoredTextsOnceSeconds: round(baselineSeconds) },
        outOfFold: report.outOfFold
          ? { shippedRight: report.outOfFold.shipped.right, learnedRight: report.outOfFold.learned.right }
          : null,
      }),
    );
  } finally {
    await database.close();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
