/**
 * `modbot rules check|test|explain|schema|backtest|status` (issue 3, Must 7; issue 15): what a
 * moderator runs before a change goes live. `check` and `test` run in CI; `backtest` replays
 * the stored comments through the working copy and `status` shows what each rule did.
 */
import type { Command } from 'commander';
import { formatBacktest } from '../audit/backtest/format.js';
import { parseTime } from '../audit/filters.js';
import { formatRulesStatus } from '../audit/rule-status.js';
import { createBuiltinClassifier } from '../classify/builtin/index.js';
import {
  type Classifier,
  evaluate,
  formatExplanation,
  type LoadResult,
  loadRuleSet,
  normaliseTrace,
  type RuleSet,
  ruleFileJsonSchema,
  runRuleExamples,
} from '../moderation/index.js';
import { RuleFilesRefused, readRuleFiles } from '../rules-source/files.js';
import { openAuditLog } from '../runtime/commands.js';
import type { EventKind } from '../webhook/events.js';
import { envOrExit } from './env.js';

const DEFAULT_DIR = 'rules';

/** The rule files of a folder, loaded (reading errors are load errors, with the folder named). */
export async function load(dir: string): Promise<LoadResult> {
  try {
    return loadRuleSet(await readRuleFiles(dir));
  } catch (e) {
    if (e instanceof RuleFilesRefused) return { ok: false, errors: [...e.errors] };
    return {
      ok: false,
      errors: [
        {
          file: dir,
          line: 0,
          column: 0,
          ruleId: null,
          message: `cannot read: ${(e as Error).message}`,
          suggestion: null,
          format: () => `${dir}: cannot read: ${(e as Error).message}`,
        },
      ],
    };
  }
}

function printErrors(result: Extract<LoadResult, { ok: false }>): void {
  for (const e of result.errors) console.error(e.format());
  console.error(
    `\n${result.errors.length} error${result.errors.length === 1 ? '' : 's'}: the rule set is refused (the last good one stays in force).`,
  );
}

async function loadOrExit(dir: string): Promise<RuleSet> {
  const result = await load(dir);
  if (!result.ok) {
    printErrors(result);
    process.exit(1);
  }
  return result.ruleSet;
}

/** The builtin classifier when src/classify provides one; never a paid one from `explain`. */
async function builtinClassifiers(): Promise<Record<string, Classifier>> {
  try {
    const mod = (await import('../classify/builtin/index.js')) as {
      createBuiltinClassifier?: () => Classifier;
    };
    return mod.createBuiltinClassifier ? { builtin: mod.createBuiltinClassifier() } : {};
  } catch {
    return {};
  }
}

/** The kinds as rule files name them (`kind is:`), so one name works everywhere. */
const KIND_OPTION: Record<string, EventKind> = {
  comment: 'comment',
  reply: 'reply',
  live_comment: 'live_comment',
  mention: 'mention_comment',
  mention_comment: 'mention_comment',
  mention_caption: 'mention_caption',
};

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('Check, test and explain the moderation rule files');

  rules
    .command('check')
    .argument('[dir]', 'rules directory', DEFAULT_DIR)
    .description('Validate every rule file; exit 1 listing every error')
    .action(async (dir: string) => {
      const result = await load(dir);
      if (!result.ok) {
        printErrors(result);
        process.exitCode = 1;
        return;
      }
      const rs = result.ruleSet;
      const shadow = rs.rules.filter((r) => r.mode === 'shadow').length;
      console.log(
        `${rs.files.length} files, ${rs.rules.length} rules (${shadow} in shadow mode), ${rs.lists.size} lists: OK`,
      );
      console.log(`rule set ${rs.hash}`);
    });

  rules
    .command('test')
    .argument('[dir]', 'rules directory', DEFAULT_DIR)
    .option('--rule <id...>', 'only these rules')
    .description(
      "Run every rule's examples through the whole rule set, classifier conditions answered by the builtin model (an example's `scores:` overrides it)",
    )
    .action(async (dir: string, opts: { rule?: string[] }) => {
      const rs = await loadOrExit(dir);
      const results = await runRuleExamples(rs, opts.rule ? new Set(opts.rule) : undefined, {
        classifiers: await builtinClassifiers(),
      });
      const failed = results.filter((r) => !r.ok);
      for (const r of failed) {
        console.error(
          `FAIL ${r.file}:${r.line} rule "${r.ruleId}" ${r.kind} ${JSON.stringify(r.text)}: ${r.message}`,
        );
      }
      const without = rs.rules.filter(
        (r) => r.examples.match.length === 0 && (!opts.rule || opts.rule.includes(r.id)),
      );
      for (const r of without)
        console.log(`note: rule "${r.id}" (${r.file}:${r.line}) has no match examples`);
      console.log(
        `${results.length - failed.length}/${results.length} examples pass across ${rs.rules.length} rules`,
      );
      if (failed.length > 0) process.exitCode = 1;
    });

  rules
    .command('explain')
    .argument('<text>', 'the comment text')
    .option('--author <username>', 'author username', 'someone')
    .option(
      '--kind <kind>',
      'comment | reply | live_comment | mention | mention_comment | mention_caption',
      'comment',
    )
    .option('--account <id>', 'account id (for rule files scoped to accounts)', 'explain-account')
    .option('--media-type <type>', 'FEED | REELS | STORY | AD', 'FEED')
    .option('--dir <dir>', 'rules directory', DEFAULT_DIR)
    .option('--json', 'print the decision as JSON')
    .description('Show the normalised text, each rule with why it matched or not, and the decision')
    .action(
      async (
        text: string,
        opts: {
          author: string;
          kind: string;
          account: string;
          mediaType: string;
          dir: string;
          json?: boolean;
        },
      ) => {
        const kind = KIND_OPTION[opts.kind];
        if (!kind) {
          console.error(`unknown --kind "${opts.kind}" (use ${Object.keys(KIND_OPTION).join(', ')})`);
          process.exit(2);
        }
        const mediaType = ['FEED', 'REELS', 'STORY', 'AD'].includes(opts.mediaType.toUpperCase())
          ? (opts.mediaType.toUpperCase() as 'FEED' | 'REELS' | 'STORY' | 'AD')
          : 'FEED';
        const rs = await loadOrExit(opts.dir);
        const username = opts.author.replace(/^@/, '');
        const decision = await evaluate(
          rs,
          {
            event: {
              kind,
              accountId: opts.account,
              field: kind.startsWith('mention')
                ? 'mentions'
                : kind === 'live_comment'
                  ? 'live_comments'
                  : 'comments',
              commentId: 'explain',
              mediaId: 'explain-media',
              parentId: kind === 'reply' ? 'explain-parent' : null,
              text,
              author: { id: `id-${username}`, username },
              fromSelf: false,
              mediaProductType: mediaType,
              adId: null,
              sentAt: new Date(),
              isTest: false,
            },
          },
          { classifiers: await builtinClassifiers() },
          { explain: true },
        );
        if (opts.json) console.log(JSON.stringify(decision, null, 2));
        else console.log(formatExplanation({ text, trace: normaliseTrace(text), decision }));
      },
    );

  rules
    .command('backtest')
    .description(
      'What the rule files (default: the working copy of rules/) would have done to the stored comments, against the recorded decisions; calls no API',
    )
    .option('--rules <dir>', 'the candidate rules directory', DEFAULT_DIR)
    .option('--since <time>', 'from when: 30d, 24h, 2w or a date like 2026-11-01', '30d')
    .option('--until <time>', 'until when (default: now)')
    .option('--account <id>', 'only this Instagram account')
    .option('--examples <n>', 'example comments per rule', '3')
    .option('--format <format>', 'table or json', 'table')
    .action(
      async (opts: {
        rules: string;
        since: string;
        until?: string;
        account?: string;
        examples: string;
        format: string;
      }) => {
        const since = parseTime(opts.since);
        const until = opts.until === undefined ? new Date() : parseTime(opts.until);
        const fail = (message: string) => {
          console.error(`modbot rules backtest: ${message}`);
          process.exit(2);
        };
        if (!since)
          fail(
            `--since "${opts.since}": expected a relative time like 30d, 24h, 90m, 2w or a date like 2026-11-01`,
          );
        if (!until)
          fail(
            `--until "${opts.until}": expected a relative time like 1d, 24h, 2w or a date like 2026-11-01`,
          );
        if (since && until && since >= until)
          fail(`--since ${opts.since} is not before --until ${opts.until ?? 'now'}`);
        if (opts.account !== undefined && !/^[0-9A-Za-z_-]{1,64}$/.test(opts.account))
          fail(`--account "${opts.account}": an Instagram account id (digits)`);
        if (opts.format !== 'table' && opts.format !== 'json')
          fail(`--format "${opts.format}": use table or json`);
        const examples = Number(opts.examples);
        if (!Number.isInteger(examples) || examples < 0 || examples > 100)
          fail(`--examples "${opts.examples}": a whole number from 0 to 100`);
        const candidate = await loadOrExit(opts.rules);
        const { audit, close } = await openAuditLog(envOrExit(), {
          // Scores the record lacks: the free offline model, never a paid call.
          offlineClassifiers: new Map([['builtin', createBuiltinClassifier()]]),
        });
        try {
          const report = await audit.backtest({
            candidateRules: candidate,
            since: since as Date,
            until: until as Date,
            account: opts.account,
            examples,
          });
          console.log(opts.format === 'json' ? JSON.stringify(report, null, 2) : formatBacktest(report));
        } finally {
          await close();
        }
      },
    );

  rules
    .command('status')
    .description(
      'Per rule: its mode and hits over 7 and 30 days; for shadow rules what they would have done since added, the reversal rate of comparable enforced actions, and the edit that promotes them',
    )
    .option('--rules <dir>', 'the rules directory', DEFAULT_DIR)
    .option('--format <format>', 'table or json', 'table')
    .action(async (opts: { rules: string; format: string }) => {
      if (opts.format !== 'table' && opts.format !== 'json') {
        console.error(`modbot rules status: --format "${opts.format}": use table or json`);
        process.exit(2);
      }
      const ruleSet = await loadOrExit(opts.rules);
      const { audit, close } = await openAuditLog(envOrExit());
      try {
        const status = await audit.rulesStatus(ruleSet);
        console.log(opts.format === 'json' ? JSON.stringify(status, null, 2) : formatRulesStatus(status));
      } finally {
        await close();
      }
    });

  rules
    .command('schema')
    .description('Print the JSON Schema of rule files (committed as rules/schema.json)')
    .action(() => {
      console.log(JSON.stringify(ruleFileJsonSchema(), null, 2));
    });
}
