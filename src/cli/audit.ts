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
 * running server's /api when that server holds the embedded database.
 */
import { userInfo } from 'node:os';
import { type Command, Option } from 'commander';
import {
  AuditInputError,
  outcomeFilters,
  parseAuditFilter,
  parseLimit,
  type StatsDimension,
  statsDimensions,
} from '../audit/filters.js';
import {
  csv,
  decisionColumns,
  decisionRows,
  decisionTable,
  explainDecision,
  ndjson,
  type OutputFormat,
  outputFormats,
  safeText,
  statsTable,
  type TableColumn,
  table,
} from '../audit/format.js';
import {
  ModerationConflict,
  type ModeratorActionKind,
  type ModeratorRequest,
  type ModeratorResult,
  moderatorActor,
  type reviewQueue,
  TargetNotFound,
} from '../audit/moderator-action.js';
import type { DecisionDetail, DecisionPage, Stats } from '../audit/query.js';
import { type AuditConnection, openAuditLog } from '../runtime/commands.js';
import { envOrExit } from './env.js';

interface FilterOptions {
  account?: string;
  media?: string;
  comment?: string;
  author?: string;
  rule?: string;
  action?: string;
  outcome?: string;
  classifier?: string;
  minScore?: string;
  since?: string;
  until?: string;
  search?: string;
  dryRun?: string;
  format: OutputFormat;
  limit?: string;
  cursor?: string;
}

const formatOption = () =>
  new Option('--format <format>', 'table, json, csv or ndjson').choices(outputFormats).default('table');

function addFilterOptions(cmd: Command): Command {
  return cmd
    .option('--account <id>', 'Instagram account id')
    .option('--media <id>', 'media (post) id')
    .option('--comment <id>', 'comment id')
    .option('--author <id|username>', 'commenter id, or username (@name)')
    .option('--rule <id>', 'a rule that fired (enforced or shadow)')
    .option('--action <action>', 'decided action: allow, reply, review, hide, delete')
    .option(
      '--outcome <outcome>',
      `what became of the actions: ${outcomeFilters.join(', ')} ("held" = held for review)`,
    )
    .option(
      '--classifier <name[:category]>',
      'a classifier that scored the comment, e.g. builtin or builtin:scam',
    )
    .option('--min-score <0..1>', 'with --classifier: the lowest score to include')
    .option('--since <when>', 'relative (30m, 24h, 7d, 2w) or an ISO date/time')
    .option('--until <when>', 'relative or ISO, exclusive')
    .option(
      '-q, --search <words>',
      'words in the comment text (as written or normalised; "quoted phrase", -not)',
    )
    .option('--dry-run <bool>', 'only dry-run (true) or live (false) decisions');
}

function rawFilter(o: FilterOptions): Record<string, string | undefined> {
  return {
    account: o.account,
    media: o.media,
    comment: o.comment,
    author: o.author,
    rule: o.rule,
    action: o.action,
    outcome: o.outcome,
    classifier: o.classifier,
    minScore: o.minScore,
    since: o.since,
    until: o.until,
    q: o.search,
    dryRun: o.dryRun,
  };
}

function filterOf(o: FilterOptions) {
  return parseAuditFilter(rawFilter(o));
}

/** What the commands need, from the database directly or through a running server's /api. */
interface AuditBackend {
  list(
    raw: Record<string, string | undefined>,
    limit: number,
    cursor: string | undefined,
  ): Promise<DecisionPage>;
  show(id: string): Promise<DecisionDetail | null>;
  stats(by: StatsDimension, raw: Record<string, string | undefined>): Promise<Stats>;
  queue(o: {
    account?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  }): Promise<Awaited<ReturnType<typeof reviewQueue>>>;
  moderate(r: ModeratorRequest): Promise<ModeratorResult>;
  erase(
    userId: string,
    moderator: string,
  ): Promise<{ confirmationCode: string; status: string; counts: Record<string, number | undefined> }>;
  retention(days: number): Promise<{ cutoff: string; counts: Record<string, number | undefined> }>;
  close(): Promise<void>;
}

function dbBackend({ audit, close }: AuditConnection): AuditBackend {
  return {
    list: (raw, limit, cursor) => audit.listDecisions(parseAuditFilter(raw), { limit, cursor }),
    show: (id) => audit.getDecision(id),
    stats: (by, raw) => audit.stats(by, parseAuditFilter(raw)),
    queue: (o) => audit.reviewQueue({ account: o.account, limit: o.limit, after: o.cursor }),
    moderate: (r) => audit.moderate(r),
    erase: (userId, moderator) =>
      audit.eraseSubject({ userId, kind: 'operator', requestedBy: moderatorActor(moderator) }),
    retention: (days) => audit.runRetention(days),
    close,
  };
}

/**
 * The same commands through a running modbot's admin API: used when the server runs on the
 * embedded database (PGlite is one process: a second one must not write to its files).
 */
export function apiBackend(baseUrl: string, token: string, fetcher: typeof fetch = fetch): AuditBackend {
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await fetcher(`${baseUrl}/api${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json().catch(() => ({}))) as { message?: string };
    if (res.ok) return json as T;
    const message = json.message ?? `HTTP ${res.status}`;
    if (res.status === 400) throw new AuditInputError(message);
    if (res.status === 404) throw new TargetNotFound(message);
    if (res.status === 409) throw new ModerationConflict(message);
    if (res.status === 401)
      throw new AuditInputError('the server refused ADMIN_TOKEN: use the same value as the running modbot');
    throw new Error(`modbot API ${method} ${path}: ${message}`);
  };
  const qs = (params: Record<string, string | number | undefined>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
    const t = q.toString();
    return t ? `?${t}` : '';
  };
  return {
    list: (raw, limit, cursor) => call('GET', `/decisions${qs({ ...raw, limit, cursor })}`),
    show: async (id) => {
      try {
        return await call<DecisionDetail>('GET', `/decisions/${encodeURIComponent(id)}`);
      } catch (error) {
        if (error instanceof TargetNotFound) return null;
        throw error;
      }
    },
    stats: (by, raw) => call('GET', `/stats${qs({ by, ...raw })}`),
    queue: (o) => call('GET', `/review-queue${qs({ account: o.account, limit: o.limit, cursor: o.cursor })}`),
    moderate: (r) =>
      call('POST', '/actions', {
        action: r.kind,
        target: r.target,
        moderator: r.moderator,
        message: r.message,
        note: r.note,
      }),
    erase: (userId, moderator) => call('POST', '/erasures', { author: userId, moderator }),
    retention: () => call('POST', '/retention/run', {}),
    close: async () => {},
  };
}

/**
 * How commands reach the audit log. With DATABASE_URL: directly. With the embedded database and
 * a modbot answering on HOST:PORT: through its API (ADMIN_TOKEN), since two processes must not
 * share PGlite's files; reading directly is refused only for writes. Tests pass their own.
 */
let openBackend: (writes: boolean) => Promise<AuditBackend> = async (writes) => {
  const env = envOrExit();
  if (!env.DATABASE_URL) {
    const base = `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${env.PORT}`;
    const running = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(800) })
      .then((r) => r.ok)
      .catch(() => false);
    if (running) {
      if (env.ADMIN_TOKEN) return apiBackend(base, env.ADMIN_TOKEN);
      if (writes) {
        throw new AuditInputError(
          `modbot is running at ${base} on the embedded database: set ADMIN_TOKEN (the server's) so this command goes through its API, or stop the server first`,
        );
      }
    }
  }
  return dbBackend(await openAuditLog(env));
};

/** Opens the audit log, runs `fn`, closes; input mistakes exit 2 with the message, conflicts exit 1. */
async function withDb(fn: (b: AuditBackend) => Promise<void>, writes = false): Promise<void> {
  let database: AuditBackend | undefined;
  try {
    database = await openBackend(writes);
    await fn(database);
  } catch (error) {
    if (error instanceof AuditInputError) {
      console.error(`modbot audit: ${error.message}`);
      process.exitCode = 2;
    } else if (error instanceof ModerationConflict || error instanceof TargetNotFound) {
      console.error(`modbot audit: ${error.message}`);
      process.exitCode = 1;
    } else throw error;
  } finally {
    await database?.close();
  }
}

function print(
  format: OutputFormat,
  rows: Record<string, unknown>[],
  json: unknown,
  columns: readonly TableColumn[],
  csvColumns: readonly string[],
) {
  if (format === 'json') console.log(JSON.stringify(json, null, 2));
  else if (format === 'ndjson') {
    if (rows.length > 0)
      console.log(
        ndjson(
          Array.isArray((json as { items?: unknown[] }).items) ? (json as { items: unknown[] }).items : rows,
        ),
      );
  } else if (format === 'csv') console.log(csv(rows, csvColumns));
  else console.log(rows.length === 0 ? '(nothing matches)' : table(rows, columns));
}

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
  if (open) openBackend = async () => dbBackend(await open());
  if (api) openBackend = async () => apiBackend(api.baseUrl, api.token, api.fetch);
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
      await withDb(async (b) => {
        filterOf(o); // the same message for a mistake, whichever way the log is reached
        const page = await b.list(rawFilter(o), parseLimit(o.limit), o.cursor);
        const rows = decisionRows(page.items);
        print(o.format, rows, page, decisionTable, decisionColumns);
        if (page.nextCursor && o.format !== 'json') console.error(`more: add --cursor ${page.nextCursor}`);
      });
    });

  audit
    .command('show <id>')
    .description(
      'one decision in full: text, rules fired and why, classifier scores, actions and API outcomes, the rule text then',
    )
    .addOption(new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (id: string, o: { format: 'text' | 'json' }) => {
      await withDb(async (b) => {
        const detail = await b.show(id);
        if (!detail) {
          console.error(`modbot audit: no decision with id or comment id ${safeText(id)}`);
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
      await withDb(async (b) => {
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
      await withDb(async (b) => {
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
      await withDb(async (b) => {
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
      await withDb(async (b) => {
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
      await withDb(async (b) => {
        const result = await b.retention(days);
        console.log(`retention (before ${result.cutoff}): rows redacted ${JSON.stringify(result.counts)}`);
      }, true);
    });
}
