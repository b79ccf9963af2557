/**
 * Proves rules by their inline examples (`modbot rules test`, and the test suite): every
 * `match` example must be decided by its rule (or by the rule named in `decided by`), every
 * `no match` example must not fire the rule. Examples run through the WHOLE rule set, so an
 * overlap with another rule shows up. A shadow rule is tested as if it were enforced.
 *
 * Classifier conditions are answered by the classifiers passed in (the CLI and the tests pass
 * the real builtin model), so an example proves what the live bot would do. An example that
 * states `scores` gets exactly those scores from every classifier instead; a classifier that is
 * not passed in (OpenAI without a key) answers 0. Pure: the classifiers come in as a port.
 */
import type { EventKind, InstagramEvent } from '../../webhook/events.js';
import { evaluate } from '../decide.js';
import type { Decision } from '../decision.js';
import {
  type Classifier,
  type ClassifierResult,
  type EvaluatePorts,
  getClassifier,
  type RepetitionCounter,
  type RepetitionQuery,
} from '../ports.js';
import type { CompiledRule, RuleExample, RuleSet } from './model.js';
import { CLASSIFIER_NAMES } from './schema.js';

export interface ExampleResult {
  readonly ruleId: string;
  readonly file: string;
  readonly line: number;
  readonly kind: 'match' | 'no match';
  readonly text: string;
  readonly ok: boolean;
  /** Why it failed, in a moderator's words. */
  readonly message: string | null;
  readonly decision: Decision;
}

export function exampleEvent(
  rule: CompiledRule | null,
  ex: Pick<RuleExample, 'text' | 'author' | 'kind' | 'mediaType'>,
): InstagramEvent {
  const kind: EventKind =
    ex.kind === null || ex.kind === 'mention'
      ? ex.kind === 'mention'
        ? 'mention_comment'
        : 'comment'
      : ex.kind;
  const accountId = rule?.accounts ? ([...rule.accounts][0] ?? 'example-account') : 'example-account';
  return {
    kind,
    accountId,
    field: kind === 'live_comment' ? 'live_comments' : kind.startsWith('mention') ? 'mentions' : 'comments',
    commentId: 'example-comment',
    mediaId: 'example-media',
    parentId: kind === 'reply' ? 'example-parent' : null,
    text: ex.text,
    author: {
      id: `id-${ex.author ?? 'example.user'}`,
      username: (ex.author ?? 'example.user').replace(/^@/, ''),
    },
    fromSelf: false,
    mediaProductType: ex.mediaType ?? 'FEED',
    adId: null,
    sentAt: new Date(0),
    isTest: false,
  };
}

/**
 * The classifiers an example runs with: the stated `scores` from every classifier when the
 * example gives them, else the real ones passed in, and 0 from any classifier not passed in.
 */
function exampleClassifiers(
  scores: Readonly<Record<string, number>> | null,
  real: EvaluatePorts['classifiers'],
): Record<string, Classifier> {
  const out: Record<string, Classifier> = {};
  for (const name of CLASSIFIER_NAMES) {
    const live =
      scores === null && real !== undefined ? getClassifier({ classifiers: real }, name) : undefined;
    if (live) {
      out[name] = live;
      continue;
    }
    out[name] = {
      name,
      classify: async (): Promise<ClassifierResult> => ({
        provider: 'example',
        model: 'example-scores',
        version: '1',
        scores: scores ?? {},
        latencyMs: 0,
        cached: false,
      }),
    };
  }
  return out;
}

/** Earlier occurrences an example pretends: `repeats` account-wide, `author repeats` for its author. */
function pretendRepeats(ex: RuleExample): RepetitionCounter {
  return {
    count: async (q: RepetitionQuery) =>
      q.authorId === null ? (ex.repeats ?? 0) : (ex.authorRepeats ?? ex.repeats ?? 0),
  };
}

export interface RunExamplesOptions {
  /** The classifiers examples without stated `scores` are judged by (e.g. the builtin model). */
  readonly classifiers?: EvaluatePorts['classifiers'];
}

export async function runRuleExamples(
  ruleSet: RuleSet,
  only?: ReadonlySet<string>,
  options: RunExamplesOptions = {},
): Promise<ExampleResult[]> {
  const results: ExampleResult[] = [];
  for (const rule of ruleSet.rules) {
    if (only && !only.has(rule.id)) continue;
    const promoted: RuleSet =
      rule.mode === 'shadow'
        ? {
            ...ruleSet,
            rules: ruleSet.rules.map((r) => (r === rule ? { ...r, mode: 'enforce' as const } : r)),
          }
        : ruleSet;
    const run = async (ex: RuleExample): Promise<Decision> =>
      evaluate(
        promoted,
        { event: exampleEvent(rule, ex) },
        {
          classifiers: exampleClassifiers(ex.scores, options.classifiers),
          repetition: pretendRepeats(ex),
          now: () => new Date(0),
        },
      );

    for (const ex of rule.examples.match) {
      const decision = await run(ex);
      const expected = ex.decidedBy ?? rule.id;
      let message: string | null = null;
      if (decision.decidingRule !== expected) {
        const own = decision.fired.find((f) => f.ruleId === rule.id);
        if (!own && expected === rule.id) {
          message = `not matched (normalised: ${JSON.stringify(decision.normalisedText)})`;
        } else if (decision.decidingRule === null) {
          message = `expected rule "${expected}" to decide, but no rule did`;
        } else {
          const winner = decision.fired.find((f) => f.ruleId === decision.decidingRule);
          message = `decided by "${decision.decidingRule}" (priority ${winner?.priority ?? 0}, ${decision.action}) instead of "${expected}"`;
        }
      }
      results.push({
        ruleId: rule.id,
        file: rule.file,
        line: ex.line,
        kind: 'match',
        text: ex.text,
        ok: message === null,
        message,
        decision,
      });
    }
    for (const ex of rule.examples.noMatch) {
      const decision = await run(ex);
      const own = decision.fired.find((f) => f.ruleId === rule.id);
      const message = own
        ? `matched but should not: ${own.conditions
            .filter((c) => c.result === 'matched')
            .map((c) => `${c.condition} (${c.detail})`)
            .join('; ')}`
        : null;
      results.push({
        ruleId: rule.id,
        file: rule.file,
        line: ex.line,
        kind: 'no match',
        text: ex.text,
        ok: message === null,
        message,
        decision,
      });
    }
  }
  return results;
}
