/**
 * `modbot audit`: ask the audit log what happened and why, and act as a moderator.
 *   modbot audit --rule dm-me-pitch --since 24h            decisions, newest first
 *   modbot audit show <decision id | comment id>            one decision explained in full
 *   modbot audit stats --by rule|action|day|account|author|outcome
 *   modbot audit queue                                      comments held for review
 *   modbot audit approve|hide|unhide|undo|delete|reply      moderator actions (new outbox rows)
 *   modbot audit erase --author <id>                        erase a person's text and identifiers
 *   modbot audit retention                                  redact what is past RETENTION_DAYS now
 * Uses the same query module as the HTTP API (src/audit/query.ts), directly, or through the
 * running server's /api when that server holds the embedded database (./audit/backend.ts).
 * This file defines the commands; the shared options are in ./audit/options.ts, the listing
 * formats in ./audit/print.ts.
 */
import { userInfo } from 'node:os';
import { type Command, Option } from 'commander';
import { AuditInputError, parseLimit, type StatsDimension, statsDimensions } from '../audit/filters.js';
import {
  decisionColumns,
  decisionRows,
  decisionTable,
  explainDecision,
  type OutputFormat,
  safeText,
  statsTable,
} from '../audit/format.js';
import type { ModeratorActionKind } from '../audit/moderator-action.js';
import { loadRuleSet } from '../moderation/index.js';
import { readRuleFiles } from '../rules-source/files.js';
import type { AuditConnection } from '../runtime/commands.js';
import {
  type AuditBackend,
  apiBackend,
  dbBackend,
  setBackendOpener,
  withAuditBackend,
} from './audit/backend.js';
import { addFilterOptions, type FilterOptions, filterOf, formatOption, rawFilter } from './audit/options.js';
import { print } from './audit/print.js';
import { envOrExit } from './env.js';

function defaultModerator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'cli';
  }
}

export function registerAudit(
  program: Command,
  options: {
    /** Tests: the audit log on their own database. */
    open?: () => Promise<AuditConnection>;
    api?: { baseUrl: string; token: string; fetch: typeof fetch };
  } = {},
): void {
  const { open, api } = options;
  if (open) setBackendOpener(async () => dbBackend(await open()));
  if (api) setBackendOpener(async () => apiBackend(api.baseUrl, api.token, api.fetch));
  const audit = addFilterOptions(
    program
      .command('audit')
      .description('what modbot decided and did, and why (see docs/audit.md)')
      .enablePositionalOptions(),
  )
    .addOption(formatOption())
    .option('--limit <n>', 'rows per page (1–1000)', '50')
    .option('--cursor <cursor>', 'the next page, as printed after the previous one')
    .action(async (o: FilterOptions) => {
      await withAuditBackend(async (b) => {
        filterOf(o); // the same message for a mistake, whichever way the log is reached
        const page = await b.list(rawFilter(o), parseLimit(o.limit), o.cursor);
        if (page.items.length === 0 && o.rule && !o.cursor) await refuseUnknownRule(o.rule, b);
        const rows = decisionRows(page.items);
        print(o.format, rows, page, decisionTable, decisionColumns);
        if (page.nextCursor && o.format !== 'json') console.error(`more: add --cursor ${page.nextCursor}`);
        const dead = o.format === 'table' ? ((await b.deadCount?.()) ?? 0) : 0;
        if (dead > 0)
          console.error(`${dead} event(s) never got a decision (dead letters): npm run modbot -- inbox dead`);
      });
    });

  audit
    .command('show <id>')
    .description(
      'one decision in full: text, rules fired and why, classifier scores, actions and API outcomes, the rule text then',
    )
    .addOption(new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (id: string, o: { format: 'text' | 'json' }) => {
      await withAuditBackend(async (b) => {
        const detail = await b.show(id);
        if (!detail) {
          console.error(`modbot audit: no decision with id or comment id ${safeText(id)}`);
          for (const e of (await b.undecided?.(id)) ?? []) console.error(`  ${undecidedLine(e)}`);
          process.exitCode = 1;
          return;
        }
        console.log(o.format === 'json' ? JSON.stringify(detail, null, 2) : explainDecision(detail));
      });
    });

  addFilterOptions(
    audit.command('stats').description('counts of decisions and actions (default: the last 30 days)'),
  )
    .addOption(
      new Option('--by <dimension>', 'rule, action, day, account, author or outcome')
        .choices(statsDimensions)
        .default('rule'),
    )
    .addOption(formatOption())
    .action(async (o: FilterOptions & { by: StatsDimension }) => {
      await withAuditBackend(async (b) => {
        filterOf(o);
        const stats = await b.stats(o.by, rawFilter(o));
        const { rows, columns } = statsTable(stats.rows, o.by);
        if (o.format === 'table')
          console.error(
            `decisions from ${stats.since}${stats.until ? ` to ${stats.until}` : ' to now'}, by ${o.by}`,
          );
        print(
          o.format,
          rows,
          stats,
          columns,
          columns.map((c) => c.key),
        );
      });
    });

  audit
    .command('queue')
    .description('comments held for review, oldest first (approve, hide or delete them)')
    .option('--account <id>', 'Instagram account id')
    .option('--limit <n>', 'rows (1–1000)', '50')
    .option('--cursor <cursor>', 'the next page')
    .addOption(formatOption())
    .action(async (o: { account?: string; limit?: string; cursor?: string; format: OutputFormat }) => {
      await withAuditBackend(async (b) => {
        const page = await b.queue({ account: o.account, limit: parseLimit(o.limit), cursor: o.cursor });
        const rows = page.items.map((i) => ({
          ...i,
          author: i.authorUsername ? `@${i.authorUsername}` : (i.authorId ?? ''),
        }));
        print(
          o.format,
          rows,
          page,
          [
            { key: 'heldAt', title: 'held since', max: 24 },
            { key: 'commentId', title: 'comment', max: 20 },
            { key: 'author', title: 'author', max: 24 },
            { key: 'decidingRule', title: 'rule', max: 24 },
            { key: 'text', title: 'text', max: 60 },
          ],
          [
            'actionId',
            'heldAt',
            'accountId',
            'mediaId',
            'commentId',
            'decisionId',
            'decidingRule',
            'authorId',
            'authorUsername',
            'text',
          ],
        );
        if (page.nextCursor && o.format !== 'json') console.error(`more: add --cursor ${page.nextCursor}`);
        const dead = o.format === 'table' ? ((await b.deadCount?.()) ?? 0) : 0;
        if (dead > 0)
          console.error(`${dead} event(s) never got a decision (dead letters): npm run modbot -- inbox dead`);
      });
    });

  const act = (name: string, kind: ModeratorActionKind, description: string, withMessage = false) => {
    const cmd = audit
      .command(withMessage ? `${name} <target> <message>` : `${name} <target>`)
      .description(`${description} (<target>: decision id or comment id)`)
      .option('--as <moderator>', 'your name, recorded as the actor', defaultModerator())
      .option('--note <text>', 'why, recorded on the action')
      .option('--format <format>', 'text or json', 'text');
    cmd.action(async (target: string, ...rest: unknown[]) => {
      const message = withMessage ? (rest[0] as string) : undefined;
      const o = (withMessage ? rest[1] : rest[0]) as { as: string; note?: string; format: string };
      await withAuditBackend(async (b) => {
        const result = await b.moderate({ kind, target, moderator: o.as, message, note: o.note });
        if (o.format === 'json') console.log(JSON.stringify(result, null, 2));
        else {
          console.log(
            `${name} comment ${result.commentId} (account ${result.accountId}) as moderator:${o.as}: ${result.message}`,
          );
          for (const p of result.planned) console.log(`  action ${p.id}: ${p.type} ${p.status}`);
          for (const x of result.dismissed)
            console.log(`  action ${x.id}: ${x.type} ${x.previousStatus} → dismissed`);
        }
      }, true);
    });
  };
  act('approve', 'approve', 'approve a comment: unhide it if hidden, dismiss its review');
  act('hide', 'hide', 'hide a comment');
  act('unhide', 'unhide', 'unhide a comment (undo a hide); a deleted comment cannot be restored');
  act('undo', 'unhide', 'same as unhide');
  act('delete', 'delete', 'delete a comment (cannot be undone)');
  act('reply', 'reply', 'reply to a comment', true);

  audit
    .command('erase')
    .description(
      "erase one person's comment text and identifiers everywhere (decisions, deliveries, inbox, actions)",
    )
    .requiredOption('--author <id>', "the person's Instagram id (as in the audit log)")
    .option('--as <moderator>', 'your name, recorded on the erasure', defaultModerator())
    .action(async (o: { author: string; as: string }) => {
      await withAuditBackend(async (b) => {
        const result = await b.erase(o.author, o.as);
        console.log(
          `erasure ${result.confirmationCode}: ${result.status}; rows rewritten ${JSON.stringify(result.counts)}`,
        );
      }, true);
    });

  audit
    .command('retention')
    .description(
      'redact comment text and author names older than RETENTION_DAYS now (the server also does this hourly)',
    )
    .option('--days <n>', 'override RETENTION_DAYS for this run')
    .action(async (o: { days?: string }) => {
      const env = envOrExit();
      const days = o.days === undefined ? env.RETENTION_DAYS : Number(o.days);
      if (!Number.isInteger(days) || days < 1) {
        console.error('modbot audit: --days is a whole number of at least 1');
        process.exitCode = 2;
        return;
      }
      await withAuditBackend(async (b) => {
        const result = await b.retention(days);
        console.log(`retention (before ${result.cutoff}): rows redacted ${JSON.stringify(result.counts)}`);
      }, true);
    });
}

/** An event of the comment that has no decision: where it is, and what to run. */
function undecidedLine(e: {
  id: number;
  status: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string;
}) {
  const error = e.lastError ? `; last error: ${safeText(e.lastError)}` : '';
  if (e.status === 'dead')
    return `inbox event ${e.id} is dead after ${e.attempts} attempts${error}; retry: npm run modbot -- inbox retry ${e.id}`;
  if (e.status === 'pending')
    return `inbox event ${e.id} waits (attempt ${e.attempts}, next at ${e.nextAttemptAt})${error}`;
  return `inbox event ${e.id} is ${e.status}${error}`;
}

/**
 * `--rule` naming no rule in force (RULES_DIR) and no rule any decision names is a mistake (a
 * typo), not an empty answer: exit 2 and say so.
 */
async function refuseUnknownRule(rule: string, b: AuditBackend): Promise<void> {
  const env = envOrExit();
  let inForce: readonly string[] = [];
  try {
    const loaded = loadRuleSet(await readRuleFiles(env.RULES_DIR));
    if (loaded.ok) inForce = loaded.ruleSet.rules.map((r) => r.id);
  } catch {
    // unreadable rule folder: only the audit log can tell
  }
  if (inForce.includes(rule) || !b.ruleNamed || (await b.ruleNamed(rule))) return;
  throw new AuditInputError(
    `unknown rule "${safeText(rule)}": no rule in ${env.RULES_DIR}/ has this id and no decision names it`,
  );
}
