/**
 * `modbot rules check|test|explain|schema` (issue 3, Must 7): what a moderator runs before a
 * change goes live. `check` and `test` run in CI.
 */
import type { Command } from 'commander';
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
import type { EventKind } from '../webhook/events.js';

const DEFAULT_DIR = 'rules';

async function load(dir: string): Promise<LoadResult> {
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
    .command('schema')
    .description('Print the JSON Schema of rule files (committed as rules/schema.json)')
    .action(() => {
      console.log(JSON.stringify(ruleFileJsonSchema(), null, 2));
    });
}
