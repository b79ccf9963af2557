/**
 * `modbot inbox dead`: the events set aside after INBOX_MAX_ATTEMPTS failures, with their last
 * error. `modbot inbox retry <id…>|--all`: put them back once the cause is fixed; the running
 * server's workers take them at their next look (INBOX_POLL_MS). Same as /api/inbox/*.
 */
import type { Command } from 'commander';
import { openAuditLog } from '../runtime/commands.js';
import { envOrExit } from './env.js';

export function registerInbox(program: Command): void {
  const inbox = program.command('inbox').description('the inbox: dead letters, and retrying them');

  inbox
    .command('dead')
    .description('list events that failed INBOX_MAX_ATTEMPTS times, with their last error')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action(async (o: { limit: string; json?: boolean }) => {
      const { audit, close } = await openAuditLog(envOrExit());
      try {
        const { total, items } = await audit.deadLetters({ limit: Number(o.limit) });
        if (o.json) return console.log(JSON.stringify({ total, items }, null, 2));
        if (total === 0) return console.log('no dead letters');
        for (const d of items) {
          console.log(
            `${d.id}  ${d.deadSince}  account ${d.accountId}  ${d.kind} ${d.commentId ?? d.mediaId ?? ''}  after ${d.attempts} attempts`,
          );
          console.log(`    last error: ${d.lastError ?? '(none recorded)'}`);
        }
        if (total > items.length) console.log(`(${items.length} of ${total} shown; --limit for more)`);
        console.log('retry: npm run modbot -- inbox retry <id> … (or --all)');
      } finally {
        await close();
      }
    });

  inbox
    .command('retry')
    .description('put dead events back in the inbox (attempts from zero)')
    .argument('[ids...]', 'inbox ids, as listed by inbox dead')
    .option('--all', 'every dead event')
    .action(async (ids: string[], o: { all?: boolean }) => {
      if (o.all === ids.length > 0) {
        console.error('modbot inbox retry: give inbox ids or --all (not both)');
        process.exitCode = 2;
        return;
      }
      const numbers = ids.map(Number);
      const bad = ids.find((id) => !/^[1-9][0-9]{0,15}$/.test(id));
      if (bad !== undefined) {
        console.error(`modbot inbox retry: "${bad}" is not an inbox id (see: npm run modbot -- inbox dead)`);
        process.exitCode = 2;
        return;
      }
      const { audit, close } = await openAuditLog(envOrExit());
      try {
        const result = await audit.retryDeadLetters(o.all ? { all: true } : { ids: numbers });
        console.log(
          result.retried.length === 0
            ? 'nothing retried'
            : `put back in the inbox: ${result.retried.join(', ')}`,
        );
        if (result.notDead.length > 0) {
          console.error(`not dead letters (left alone): ${result.notDead.join(', ')}`);
          process.exitCode = 1;
        }
      } finally {
        await close();
      }
    });
}
