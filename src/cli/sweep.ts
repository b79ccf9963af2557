/**
 * `modbot sweep --account <id> --since 48h`: lists recent media and comments and moderates every
 * comment modbot has not seen (Meta does not redeliver a webhook it gave up on). Shows a progress
 * bar in a terminal and plain lines otherwise, then waits until the found comments are decided and
 * their actions carried out.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { undiciFetch } from '../graph/node-http.js';
import { createLogger } from '../log.js';
import { parseSince, type SweepProgress, sweepAccount } from '../pipeline/sweep-account.js';
import { RuleLoadError, watchRules } from '../rules-source/watch.js';
import { withDatabase } from '../runtime/commands.js';
import { graphClientFromEnv } from '../runtime/create-runtime.js';
import { startNodeRuntime } from '../runtime/node-runtime.js';
import { envOrExit } from './env.js';

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description(
      'catch up on comments whose webhooks never arrived: list recent media and comments and moderate the unseen ones',
    )
    .requiredOption('--account <id>', 'the Instagram account id')
    .option('--since <when>', 'how far back: 48h, 7d, or an ISO date', '48h')
    .option('--no-process', 'only queue the comments found (a running modbot processes them)')
    .action(async (o: { account: string; since: string; process: boolean }) => {
      const env = envOrExit();
      const since = parseSince(o.since);
      if (!since) {
        console.error(`--since: expected something like 48h, 7d or 2026-11-01, got "${o.since}"`);
        process.exit(1);
      }
      let rules: Awaited<ReturnType<typeof watchRules>>;
      try {
        rules = await watchRules(env.RULES_DIR, {}, { watch: false });
      } catch (error) {
        if (error instanceof RuleLoadError) {
          console.error(error.message);
          process.exit(1);
        }
        throw error;
      }
      const logger = createLogger({ level: 'warn' });
      await withDatabase(env, async (database) => {
        const runtime = startNodeRuntime({
          env: {
            ...env,
            INBOX_WORKERS: o.process ? env.INBOX_WORKERS : 0,
            ACTION_WORKERS: o.process ? env.ACTION_WORKERS : 0,
          },
          database,
          logger,
          rules: () => rules.current(),
        });
        try {
          const account = await runtime.accounts.credentials(o.account);
          if (!account) {
            console.error(
              `account ${o.account} has no usable access token: add one with  npm run modbot -- accounts add --id ${o.account}`,
            );
            process.exitCode = 1;
            return;
          }
          const tty = process.stdout.isTTY === true;
          const bar = tty
            ? new cliProgress.SingleBar(
                {
                  format: 'sweep |{bar}| {value}/{total} media · {comments} comments · {queued} new',
                  hideCursor: true,
                },
                cliProgress.Presets.shades_classic,
              )
            : null;
          bar?.start(1, 0, { comments: 0, queued: 0 });
          let lastLine = 0;
          const progress = (p: SweepProgress) => {
            if (bar) {
              bar.setTotal(Math.max(p.media + 1, bar.getTotal()));
              bar.update(p.media, { comments: p.comments, queued: p.queued });
            } else if (Date.now() - lastLine > 1000) {
              lastLine = Date.now();
              console.log(`sweep: ${p.media} media, ${p.comments} comments, ${p.queued} new`);
            }
          };
          const result = await sweepAccount({
            graph: graphClientFromEnv(env, undiciFetch),
            store: runtime.inbox,
            account,
            since,
            onProgress: progress,
          });
          if (bar) {
            bar.setTotal(result.media);
            bar.update(result.media, { comments: result.comments, queued: result.queued });
            bar.stop();
          }
          console.log(
            `sweep: ${result.media} media, ${result.comments} comments, ${result.queued} not seen before and queued`,
          );
          for (const e of result.errors) console.error(`sweep: ${e}`);
          if (o.process && result.queued > 0) {
            runtime.pool.wake();
            await runtime.idle();
            console.log('sweep: queued comments decided; see them with  npm run modbot -- audit');
          }
          if (result.errors.length > 0) process.exitCode = 1;
        } finally {
          await runtime.stop();
          rules.close();
        }
      });
    });
}
