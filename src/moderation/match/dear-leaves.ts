/**
 * Dear conditions: repetition counts (the database) and classifiers (models), asked through the
 * ports only for rules the cheap conditions left undecided. A classifier call is shared by every
 * condition asking the same question; a failure applies the condition's fallback.
 */
import { getClassifier } from '../ports.js';
import type { CNode, Leaf } from '../rules/model.js';
import type { ClassifierOutcome, Context } from './context.js';

function callKey(use: string, question: string | null): string {
  return `${use}\u0000${question ?? ''}`;
}

/**
 * Asks one dear condition. Answers what it can at once (no counter, unknown author, no
 * classifier configured) and returns null; otherwise returns a promise settled once the answer
 * is recorded in `ctx.resolved` (it never rejects; a classifier that throws instead of
 * returning a promise throws here, and the evaluation rejects, as it always did).
 */
export function askLeaf(node: Extract<CNode, { t: 'leaf' }>, ctx: Context): Promise<void> | null {
  const leaf = node.leaf;
  if (leaf.kind === 'repetition') {
    const counter = ctx.ports.repetition;
    if (!counter) {
      ctx.resolved.set(node.id, {
        value: false,
        detail: 'not evaluated (no repetition counter configured)',
        fallback: null,
      });
      return null;
    }
    const authorId =
      leaf.scope === 'author' ? (ctx.event.author?.id ?? ctx.event.author?.username ?? null) : null;
    if (leaf.scope === 'author' && authorId === null) {
      ctx.resolved.set(node.id, { value: false, detail: 'unknown author', fallback: null });
      return null;
    }
    const failed = (e: unknown): void => {
      ctx.notes.push(`repetition count failed: ${(e as Error).message}`);
      ctx.resolved.set(node.id, {
        value: false,
        detail: `repetition count failed: ${(e as Error).message}`,
        fallback: null,
      });
    };
    let counted: Promise<number>;
    try {
      counted = Promise.resolve(
        counter.count({
          accountId: ctx.event.accountId,
          authorId,
          textHash: ctx.textHash,
          windowSeconds: leaf.windowSeconds,
          now: ctx.ports.now ? ctx.ports.now() : new Date(),
          enough: leaf.times - 1,
        }),
      );
    } catch (e) {
      failed(e);
      return null;
    }
    return counted.then((previous) => {
      const times = previous + 1;
      // A counter may stop at `enough`: from there on the count is a lower bound.
      const seen = previous >= leaf.times - 1 ? `at least ${times}` : `${times}`;
      ctx.resolved.set(node.id, {
        value: times >= leaf.times,
        detail: () =>
          `seen ${seen} time${times === 1 ? '' : 's'} ${leaf.scope === 'author' ? 'from this author' : 'on this account'} within ${leaf.windowSeconds}s (at least ${leaf.times})`,
        fallback: null,
      });
    }, failed);
  }
  if (leaf.kind !== 'classifier') return null;
  const key = callKey(leaf.use, leaf.question);
  const settled = ctx.classifierSettled?.get(key);
  if (settled) {
    applyClassifier(node, leaf, settled, ctx);
    return null;
  }
  let call = ctx.classifierCalls?.get(key);
  if (!call) {
    const classifier = getClassifier(ctx.ports, leaf.use);
    if (!classifier) {
      const outcome: ClassifierOutcome = {
        error: { code: 'not_configured', message: `no classifier configured for "${leaf.use}"` },
      };
      ctx.classifierSettled ??= new Map();
      ctx.classifierSettled.set(key, outcome);
      ctx.classifierLog.push({
        classifier: leaf.use,
        question: leaf.question,
        result: null,
        error: outcome.error,
      });
      applyClassifier(node, leaf, outcome, ctx);
      return null;
    }
    call = classifier
      .classify({
        text: ctx.text,
        normalisedText: ctx.normalised.text,
        ...(leaf.question ? { question: leaf.question } : {}),
      })
      .then(
        (result): ClassifierOutcome => ({ result }),
        (e: unknown): ClassifierOutcome => ({
          error: {
            code:
              typeof e === 'object' && e !== null && 'code' in e
                ? String((e as { code: unknown }).code)
                : 'error',
            message: e instanceof Error ? e.message : String(e),
          },
        }),
      );
    ctx.classifierCalls ??= new Map();
    ctx.classifierCalls.set(key, call);
    void call.then((r) =>
      ctx.classifierLog.push({
        classifier: leaf.use,
        question: leaf.question,
        result: 'result' in r ? r.result : null,
        error: 'error' in r ? r.error : null,
      }),
    );
  }
  return call.then((outcome) => applyClassifier(node, leaf, outcome, ctx));
}

function applyClassifier(
  node: Extract<CNode, { t: 'leaf' }>,
  leaf: Extract<Leaf, { kind: 'classifier' }>,
  outcome: ClassifierOutcome,
  ctx: Context,
): void {
  if ('error' in outcome) {
    const value = leaf.fallback !== 'allow';
    const reason =
      outcome.error.code === 'not_configured'
        ? 'not evaluated (no classifier configured)'
        : `${leaf.use} failed: ${outcome.error.message}`;
    ctx.resolved.set(node.id, {
      value,
      detail: `${reason}; fallback ${leaf.fallback}`,
      fallback: {
        classifier: leaf.use,
        fallback: leaf.fallback,
        error: `${outcome.error.code}: ${outcome.error.message}`,
      },
    });
    return;
  }
  const score = outcome.result.scores[leaf.score] ?? 0;
  const why = outcome.result.reasons ? outcome.result.reasons[leaf.score] : outcome.result.reason;
  ctx.resolved.set(node.id, {
    value: score >= leaf.atLeast,
    detail: `${leaf.use} ${leaf.score} ${score.toFixed(2)} (at least ${leaf.atLeast})${why ? `: ${why}` : ''}`,
    fallback: null,
  });
}
