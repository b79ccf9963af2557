/**
 * The lockdown rule action (comments off on a media for a while) and what is planned for live
 * comments and mentions, where Meta supports less: pure engine and planning, no database.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/moderation/decide.js';
import { loadRuleSet } from '../../src/moderation/index.js';
import { FixedRepetitionCounter } from '../../src/moderation/ports.js';
import { planActions } from '../../src/pipeline/plan.js';
import { errorsOf, event, rules } from './helpers.js';

const lockRule = `
- id: flood-lock
  reason: A bot wave on one post
  when:
    text contains any: [crypto]
  action: [hide, lock_comments]
  for: 2h
`;

describe('lock_comments', () => {
  it('plans the hide, then comments off now and back on when the time is up', async () => {
    const d = await evaluate(rules(lockRule), { event: event('crypto giveaway') });
    expect(d.action).toBe('hide');
    expect(d.steps).toEqual([{ type: 'hide' }, { type: 'lock_comments', forSeconds: 7200 }]);
    const planned = planActions(d, event('crypto giveaway'), null);
    expect(planned.map((p) => [p.type, p.seq, p.status, p.dueInSeconds])).toEqual([
      ['hide', 0, 'planned', undefined],
      ['comments_off', 1, 'planned', undefined],
      ['comments_on', 2, 'planned', 7200],
    ]);
    expect(planned[1]?.reason).toBe('lockdown by rule flood-lock for 2h');
  });

  it('in dry run both halves are recorded, never called', async () => {
    const d = await evaluate(rules(lockRule), { event: event('crypto') });
    const planned = planActions(d, event('crypto'), 'DRY_RUN is on');
    expect(planned.map((p) => p.status)).toEqual(['dry_run', 'dry_run', 'dry_run']);
  });

  it('fires from a flood condition (the same text across the account)', async () => {
    const yaml = `
- id: wave
  when:
    repeated across account: {times: 3, within: 10m}
  action: [hide, lock_comments]
  for: 30m
`;
    // The repetition count includes this comment: 1 and 2 are below the flood, 3 is one.
    const steps: unknown[] = [];
    for (const seen of [1, 2, 3]) {
      const d = await evaluate(
        rules(yaml),
        { event: event('win a prize now') },
        {
          repetition: new FixedRepetitionCounter(seen - 1),
        },
      );
      steps.push(d.steps);
    }
    expect(steps).toEqual([[], [], [{ type: 'hide' }, { type: 'lock_comments', forSeconds: 1800 }]]);
  });

  it('is refused without "for", with "for" alone, out of range, or on mentions only', () => {
    const rule = (extra: string, action = '[hide, lock_comments]', when = 'text contains any: [x]') =>
      `- id: r\n  when:\n    ${when}\n  action: ${action}\n${extra}`;
    expect(errorsOf(rule('')).join('\n')).toContain('lock_comments needs "for"');
    expect(errorsOf(rule('  for: 2h\n', 'hide')).join('\n')).toContain('does not include lock_comments');
    expect(errorsOf(rule('  for: 30s\n')).join('\n')).toContain('a lockdown lasts from 1 minute to 7 days');
    expect(errorsOf(rule('  for: 8d\n')).join('\n')).toContain('a lockdown lasts from 1 minute to 7 days');
    expect(errorsOf(rule('  for: 2h\n', 'lock_comments', 'kind is: mention')).join('\n')).toContain(
      'cannot turn their comments off',
    );
    expect(errorsOf(rule('  for: 2h\n', '[allow, lock_comments]')).join('\n')).toContain(
      '"allow" cannot be combined',
    );
  });

  it('a mention that fires a lockdown rule locks nothing (not our media)', async () => {
    const yaml = `${lockRule.replace('action: [hide, lock_comments]', 'action: [review, lock_comments]')}`;
    const d = await evaluate(rules(yaml), { event: event('crypto', { kind: 'mention_comment' }) });
    expect(d.steps).toEqual([{ type: 'review' }]);
    expect(d.notes.join(' ')).toContain("comments can be turned off only on the account's own media");
  });
});

describe('live comments: only what Meta supports', () => {
  it('hide, delete, reply and lockdown are recorded, not planned; review is kept', async () => {
    const live = event('crypto giveaway', { kind: 'live_comment', field: 'live_comments' });
    const hidden = await evaluate(rules(lockRule), { event: live });
    expect(hidden).toMatchObject({
      outcome: 'matched',
      decidingRule: 'flood-lock',
      action: 'allow',
      steps: [],
    });
    expect(hidden.notes.join(' ')).toContain('Meta supports no hide, lock_comments on live media');
    expect(planActions(hidden, live, null)).toEqual([]);

    const review = await evaluate(
      rules('- id: r\n  when:\n    text contains any: [crypto]\n  action: review\n'),
      { event: live },
    );
    expect(review.steps).toEqual([{ type: 'review' }]);
  });

  it('a rule for live comments only may not hide, delete, reply or lock', () => {
    const yaml = '- id: r\n  when:\n    is live: true\n  action: hide\n';
    expect(errorsOf(yaml).join('\n')).toContain(
      'Meta supports no hide, delete, reply or comments off on live media',
    );
    expect(() => rules('- id: r\n  when:\n    kind is: live_comment\n  action: review\n')).not.toThrow();
  });
});

describe('the shipped rules', () => {
  it('have the lockdown off, and its commented example loads once uncommented', () => {
    const files = readdirSync('rules')
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => ({ path: `rules/${f}`, content: readFileSync(`rules/${f}`, 'utf8') }));
    const shipped = loadRuleSet(files);
    expect(shipped.ok && shipped.ruleSet.rules.some((r) => r.actions.includes('lock_comments'))).toBe(false);
    const enabled = files.map((f) => {
      if (!f.path.endsWith('floods-and-harassment.yaml')) return f;
      const at = f.content.indexOf('# - id: wave-lockdown');
      const tail = f.content
        .slice(at)
        .split('\n')
        .map((l) => l.replace(/^# ?/, ''))
        .join('\n');
      return { ...f, content: f.content.slice(0, at) + tail };
    });
    const loaded = loadRuleSet(enabled);
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
    expect(loaded.ruleSet.rules.find((r) => r.id === 'wave-lockdown')).toMatchObject({
      actions: ['hide', 'lock_comments'],
      lockSeconds: 7200,
    });
  });
});
