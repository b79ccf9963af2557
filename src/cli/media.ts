/**
 * `modbot media`: a lockdown by hand (see docs/under-attack.md).
 *   modbot media lock <media id> [--for 2h] [--account <id>]   comments off (for a while, or until unlocked)
 *   modbot media unlock <media id> [--account <id>]            comments back on now
 *   modbot media show <media id> [--account <id>]              its lockdowns and reopenings, newest first
 * Each lock and unlock is an outbox row with the moderator as actor and the note as its reason,
 * executed by the running modbot; reached like `modbot audit` (./audit/backend.ts).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { withAuditBackend } from './audit/backend.js';

function defaultModerator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'cli';
  }
}

interface LockOptions {
  for?: string;
  account?: string;
  as: string;
  note?: string;
  format: string;
}

export function registerMedia(program: Command): void {
  const media = program
    .command('media')
    .description('lock or unlock the comments of a media (a lockdown against a flood), and its history');

  const act = (kind: 'lock' | 'unlock', description: string) => {
    const cmd = media
      .command(`${kind} <mediaId>`)
      .description(description)
      .option('--account <id>', "the media's account id (default: from modbot's latest decision on it)")
      .option('--as <moderator>', 'your name, recorded as the actor', defaultModerator())
      .option('--note <text>', 'why, recorded on the action')
      .option('--format <format>', 'text or json', 'text');
    if (kind === 'lock')
      cmd.option('--for <duration>', 'how long, 1m to 7d (e.g. 2h); default: until unlocked');
    cmd.action(async (mediaId: string, o: LockOptions) => {
      await withAuditBackend(async (b) => {
        const result = await b.media(kind, {
          mediaId,
          accountId: o.account,
          for: o.for,
          moderator: o.as,
          note: o.note,
        });
        if (o.format === 'json') console.log(JSON.stringify(result, null, 2));
        else {
          console.log(
            `${kind} media ${result.mediaId} (account ${result.accountId}) as moderator:${o.as}: ${result.message}`,
          );
          for (const p of result.planned) console.log(`  action ${p.id}: ${p.type} planned for ${p.dueAt}`);
          for (const x of result.dismissed) console.log(`  action ${x.id}: ${x.type} dismissed`);
        }
      }, true);
    });
  };
  act('lock', 'turn comments off on a media, for a while (--for 2h) or until unlocked');
  act('unlock', 'turn comments back on now (cancels a waiting lockdown or reopening)');

  media
    .command('show <mediaId>')
    .description("a media's lockdowns and reopenings, newest first: who, why, when, what became of them")
    .option('--account <id>', "the media's account id")
    .option('--format <format>', 'text or json', 'text')
    .action(async (mediaId: string, o: { account?: string; format: string }) => {
      await withAuditBackend(async (b) => {
        const history = await b.mediaLocks(mediaId, o.account);
        if (o.format === 'json') {
          console.log(JSON.stringify(history, null, 2));
          return;
        }
        if (history.rows.length === 0) console.log(`media ${mediaId}: never locked`);
        for (const r of history.rows)
          console.log(
            `${r.createdAt}  ${r.type.padEnd(12)} ${r.status.padEnd(10)} due ${r.dueAt}  ${r.actor}${r.ruleId ? ` (rule ${r.ruleId})` : ''}  ${r.reason ?? ''}`,
          );
      });
    });
}
