import { loadRuleSet } from '../../src/moderation/rules/load.js';
import type { RuleSet } from '../../src/moderation/rules/model.js';
import type { InstagramEvent } from '../../src/webhook/events.js';

export function event(text: string | null, over: Partial<InstagramEvent> = {}): InstagramEvent {
  return {
    kind: 'comment',
    accountId: 'acct-1',
    field: 'comments',
    commentId: 'c-1',
    mediaId: 'm-1',
    parentId: null,
    text,
    author: { id: 'u-1', username: 'alice' },
    fromSelf: false,
    mediaProductType: 'FEED',
    adId: null,
    sentAt: new Date('2026-01-01T00:00:00Z'),
    isTest: false,
    ...over,
  };
}

/** Loads YAML rule text (one file, or several) and fails the test with the errors if invalid. */
export function rules(yaml: string | Record<string, string>): RuleSet {
  const files =
    typeof yaml === 'string'
      ? [{ path: 'rules/test.yaml', content: yaml }]
      : Object.entries(yaml).map(([path, content]) => ({ path, content }));
  const result = loadRuleSet(files);
  if (!result.ok) throw new Error(result.errors.map((e) => e.format()).join('\n'));
  return result.ruleSet;
}

export function errorsOf(yaml: string | Record<string, string>): string[] {
  const files =
    typeof yaml === 'string'
      ? [{ path: 'rules/test.yaml', content: yaml }]
      : Object.entries(yaml).map(([path, content]) => ({ path, content }));
  const result = loadRuleSet(files);
  if (result.ok) throw new Error('expected errors, the rule set loaded');
  return result.errors.map((e) => e.format());
}
