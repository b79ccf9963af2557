/**
 * The options every `modbot audit` listing shares: the filters (--account, --rule, --since, …),
 * --format, and turning them into the raw filter the audit log (or the API) parses.
 */
import { type Command, Option } from 'commander';
import { outcomeFilters, parseAuditFilter } from '../../audit/filters.js';
import { type OutputFormat, outputFormats } from '../../audit/format.js';

export interface FilterOptions {
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

export const formatOption = () =>
  new Option('--format <format>', 'table, json, csv or ndjson').choices(outputFormats).default('table');

export function addFilterOptions(cmd: Command): Command {
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

export function rawFilter(o: FilterOptions): Record<string, string | undefined> {
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

export function filterOf(o: FilterOptions) {
  return parseAuditFilter(rawFilter(o));
}
