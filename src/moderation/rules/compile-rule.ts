/**
 * Compiling one rule: its conditions, then the checks that need the whole rule (action
 * combinations, reply template and length, mentions that cannot be hidden), its examples and the
 * fallback actions its classifiers may switch to.
 */

import { compileCondition, parseDuration } from './compile-conditions.js';
import type { CompileContext } from './compile-context.js';
import { didYouMean } from './errors.js';
import type { CNode, CompiledRule, RuleExample } from './model.js';
import { type Path, position } from './parsed-file.js';
import type { ExampleInput, RuleInput } from './schema.js';
import { maxExpandedLength, PLACEHOLDERS, placeholdersIn, REPLY_MAX_LENGTH } from './template.js';

function onlyMentions(node: CNode): boolean {
  if (node.t === 'leaf') {
    if (node.leaf.kind !== 'event-kind') return false;
    return [...node.leaf.values].every((k) => k.startsWith('mention'));
  }
  if (node.t === 'all') return node.children.some(onlyMentions);
  return false;
}

/** Whether the rule only ever matches live comments (Meta supports no moderation on live media). */
function onlyLive(node: CNode): boolean {
  if (node.t === 'leaf') {
    if (node.leaf.kind === 'is-live') return node.leaf.value;
    if (node.leaf.kind !== 'event-kind') return false;
    return [...node.leaf.values].every((k) => k === 'live_comment');
  }
  if (node.t === 'all') return node.children.some(onlyLive);
  return false;
}

/** A lockdown lasts at least a minute and at most a week. */
const LOCK_MIN_SECONDS = 60;
const LOCK_MAX_SECONDS = 7 * 86400;

function compileExamples(rule: RuleInput, ctx: CompileContext, rulePath: Path): CompiledRule['examples'] {
  const convert = (examples: ExampleInput[] | undefined, key: 'match' | 'no match'): RuleExample[] =>
    (examples ?? []).map((e, i) => {
      const line = position(ctx.file, [...rulePath, 'examples', key, i]).line;
      if (typeof e === 'string') {
        return {
          text: e,
          author: null,
          kind: null,
          mediaType: null,
          decidedBy: null,
          repeats: null,
          authorRepeats: null,
          scores: null,
          line,
        };
      }
      return {
        text: e.text,
        author: e.author ?? null,
        kind: e.kind ?? null,
        mediaType: e['media type'] ?? null,
        decidedBy: e['decided by'] ?? null,
        repeats: e.repeats ?? null,
        authorRepeats: e['author repeats'] ?? null,
        scores: e.scores ?? null,
        line,
      };
    });
  return {
    match: convert(rule.examples?.match, 'match'),
    noMatch: convert(rule.examples?.['no match'], 'no match'),
  };
}

export function compileRule(
  rule: RuleInput,
  index: number,
  ctx: CompileContext,
  order: number,
): CompiledRule {
  const rulePath = [...ctx.file.rulesPath, index];
  ctx.ruleId = rule.id;
  ctx.normaliseRule = rule.normalise ?? true;
  ctx.longestMatch = 0;
  const when = compileCondition(rule.when, ctx, [...rulePath, 'when']);
  const actions = [...new Set(typeof rule.action === 'string' ? [rule.action] : rule.action)];
  const actionPath = [...rulePath, 'action'];

  // Action combinations: one moderation action, optionally with a reply first and a lockdown.
  const moderation = actions.filter((a) => a !== 'reply' && a !== 'lock_comments');
  if (moderation.length > 1) {
    ctx.errors.add(
      ctx.file,
      actionPath,
      rule.id,
      `a rule can take one of hide, delete, review or allow, got ${moderation.join(' and ')}`,
      'split it into two rules or keep the most severe',
    );
  }
  if (actions.includes('allow') && actions.length > 1) {
    ctx.errors.add(
      ctx.file,
      actionPath,
      rule.id,
      '"allow" cannot be combined with other actions',
      'allow means: take no action',
    );
  }
  if (actions.includes('reply') && actions.includes('delete')) {
    ctx.errors.add(
      ctx.file,
      actionPath,
      rule.id,
      'a reply under a deleted comment is deleted with it',
      'use [reply, hide] or delete alone',
    );
  }
  if (onlyMentions(when) && (actions.includes('hide') || actions.includes('delete'))) {
    ctx.errors.add(
      ctx.file,
      actionPath,
      rule.id,
      'mentions are on other people\u2019s posts: they cannot be hidden or deleted',
      'use reply or review for mentions',
    );
  }

  // Lockdown: how long, and only where Meta can turn comments off (the account's own, non-live media).
  let lockSeconds: number | null = null;
  if (actions.includes('lock_comments')) {
    if (rule.for === undefined) {
      ctx.errors.add(
        ctx.file,
        rulePath,
        rule.id,
        'lock_comments needs "for": how long comments stay off',
        'add for: 2h',
      );
    } else {
      lockSeconds = parseDuration(rule.for);
      if (!(lockSeconds >= LOCK_MIN_SECONDS && lockSeconds <= LOCK_MAX_SECONDS)) {
        ctx.errors.add(
          ctx.file,
          [...rulePath, 'for'],
          rule.id,
          `"for: ${rule.for}" is out of range: a lockdown lasts from 1 minute to 7 days`,
          'use e.g. for: 2h',
        );
        lockSeconds = null;
      }
    }
    if (actions.includes('allow')) {
      // reported above: allow combines with nothing
    } else if (onlyMentions(when)) {
      ctx.errors.add(
        ctx.file,
        actionPath,
        rule.id,
        'mentions are on other people\u2019s posts: modbot cannot turn their comments off',
        'remove lock_comments from this rule',
      );
    }
  } else if (rule.for !== undefined) {
    ctx.errors.add(
      ctx.file,
      [...rulePath, 'for'],
      rule.id,
      '"for" is the length of a lockdown, but the action does not include lock_comments',
      `use action: [${moderation[0] ?? 'hide'}, lock_comments]`,
      'for',
    );
  }
  if (onlyLive(when) && actions.some((a) => a !== 'allow' && a !== 'review')) {
    ctx.errors.add(
      ctx.file,
      actionPath,
      rule.id,
      'Meta supports no hide, delete, reply or comments off on live media',
      'use review (recorded for a person) or allow for live comments',
    );
  }

  // Reply template: placeholders known, length bounded after expansion.
  if (actions.includes('reply') && !rule.reply) {
    ctx.errors.add(
      ctx.file,
      rulePath,
      rule.id,
      'the action includes reply but there is no "reply" text',
      'add reply: "Hi {{author}}, ..."',
    );
  }
  if (rule.reply && !actions.includes('reply')) {
    ctx.errors.add(
      ctx.file,
      rulePath,
      rule.id,
      'there is a "reply" text but the action does not include reply',
      `use action: [reply, ${moderation[0] ?? 'hide'}]`,
      'reply',
    );
  }
  if (rule.reply) {
    for (const name of placeholdersIn(rule.reply)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
        ctx.errors.add(
          ctx.file,
          [...rulePath, 'reply'],
          rule.id,
          `unknown placeholder {{${name}}}`,
          didYouMean(name, PLACEHOLDERS) ?? `use ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(' or ')}`,
        );
      }
    }
    const longest = maxExpandedLength(rule.reply, Math.max(ctx.longestMatch, 1));
    if (longest > REPLY_MAX_LENGTH) {
      ctx.errors.add(
        ctx.file,
        [...rulePath, 'reply'],
        rule.id,
        `the reply can be ${longest} characters once placeholders are filled; Instagram allows ${REPLY_MAX_LENGTH}`,
        'shorten the reply',
      );
    }
  }

  const fallbacks: CompiledRule['fallbacks'] = [];
  const collectFallbacks = (n: CNode): void => {
    if (n.t === 'leaf') {
      if (n.leaf.kind === 'classifier' && n.leaf.fallback !== 'allow')
        (fallbacks as string[]).push(n.leaf.fallback);
    } else if (n.t === 'not') collectFallbacks(n.child);
    else for (const c of n.children) collectFallbacks(c);
  };
  collectFallbacks(when);

  const node = ctx.file.doc.getIn(rulePath, true) as { range?: [number, number, number] } | undefined;
  const source = node?.range ? ctx.file.content.slice(node.range[0], node.range[1]) : '';
  return {
    id: rule.id,
    reason: rule.reason ?? null,
    file: ctx.file.path,
    line: position(ctx.file, rulePath).line,
    order,
    priority: rule.priority ?? 0,
    mode: rule.mode ?? 'enforce',
    actions,
    reply: rule.reply ?? null,
    lockSeconds,
    normalise: rule.normalise ?? true,
    accounts: ctx.file.accounts ? new Set(ctx.file.accounts) : null,
    when,
    examples: compileExamples(rule, ctx, rulePath),
    source,
    fallbacks,
  };
}
