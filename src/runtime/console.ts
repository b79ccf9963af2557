/**
 * Wires the moderator console (src/http/console/) to the database, the rules in force and the
 * account store. The console's "try a text" runs the live rules with the builtin classifier
 * only, like `modbot rules explain`: trying texts never spends paid classifier calls.
 */
import type { AccountStore } from '../accounts/store.js';
import type { AuditService } from '../audit/service.js';
import { createBuiltinClassifier } from '../classify/builtin/index.js';
import type { DatabaseHandle } from '../db/client.js';
import { createConsoleRepo } from '../db/repos/console.js';
import type { Env } from '../env.js';
import type { ConsoleDeps, TryTextInput, TryTextResult } from '../http/console/deps.js';
import {
  type Classifier,
  evaluate,
  formatExplanation,
  normaliseTrace,
  type RuleSet,
} from '../moderation/index.js';

export interface ConsoleWiring {
  readonly env: Env;
  readonly database: DatabaseHandle;
  readonly audit: AuditService;
  readonly accounts: AccountStore;
  readonly rules: (() => RuleSet) | undefined;
  /** Errors of the last refused rule change (Node's watcher); none on Workers (rules are bundled). */
  readonly ruleLoadErrors?: (() => readonly string[]) | undefined;
  /** Extension points (dead-letter retry, media lock, backtest): passed through when wired. */
  readonly extensions?: Pick<ConsoleDeps, 'retryDeadLetter' | 'mediaLock' | 'backtest'>;
}

export function consoleDeps(w: ConsoleWiring): ConsoleDeps {
  const repo = createConsoleRepo(w.database.adHoc);
  let classifiers: Record<string, Classifier> | null = null;
  const rules = w.rules ?? (() => null);
  return {
    audit: w.audit,
    auth: {
      adminToken: w.env.ADMIN_TOKEN,
      moderators: w.env.MODERATOR_TOKENS,
      sessionHours: w.env.CONSOLE_SESSION_HOURS,
    },
    dryRun: w.env.DRY_RUN,
    reads: repo,
    accounts: () => w.accounts.list(),
    rules: {
      inForce: () => {
        const set = rules();
        if (!set)
          return { hash: '(no rule set: moderation is replaced in this runtime)', files: [], rules: [] };
        return {
          hash: set.hash,
          files: set.files.map((f) => f.path),
          rules: set.rules.map((r) => ({
            id: r.id,
            file: r.file,
            line: r.line,
            mode: r.mode,
            priority: r.priority,
            actions: r.actions,
            reason: r.reason,
          })),
        };
      },
      loadErrors: () => w.ruleLoadErrors?.() ?? [],
      tryText: async (input) => {
        const set = rules();
        if (!set) return { action: 'allow', decidingRule: null, explanation: 'No rule set in this runtime.' };
        classifiers ??= { builtin: createBuiltinClassifier() };
        return tryText(set, classifiers, input);
      },
    },
    ...w.extensions,
  };
}

async function tryText(
  set: RuleSet,
  classifiers: Record<string, Classifier>,
  input: TryTextInput,
): Promise<TryTextResult> {
  const decision = await evaluate(
    set,
    {
      event: {
        kind: input.kind,
        accountId: input.accountId || 'console',
        field:
          input.kind === 'mention_comment'
            ? 'mentions'
            : input.kind === 'live_comment'
              ? 'live_comments'
              : 'comments',
        commentId: 'console-try',
        mediaId: 'console-try-media',
        parentId: input.kind === 'reply' ? 'console-try-parent' : null,
        text: input.text,
        author: { id: `id-${input.author}`, username: input.author },
        fromSelf: false,
        mediaProductType: 'FEED',
        adId: null,
        sentAt: new Date(),
        isTest: false,
      },
    },
    { classifiers },
    { explain: true },
  );
  return {
    action: decision.outcome === 'matched' ? decision.action : 'allow',
    decidingRule: decision.outcome === 'matched' ? decision.decidingRule : null,
    explanation: formatExplanation({ text: input.text, trace: normaliseTrace(input.text), decision }),
  };
}
