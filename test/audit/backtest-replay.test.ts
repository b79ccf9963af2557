/**
 * The backtest's replay ports without a database: repetition counted over the replayed comments
 * in decision order, and scores answered from the record, then an offline classifier, else
 * assumed 0 and counted.
 */
import { describe, expect, it } from 'vitest';
import {
  eventOf,
  ReplayClassifiers,
  ReplayRepetition,
  type ReplayRow,
} from '../../src/audit/backtest/replay.js';
import { effectsOf } from '../../src/audit/backtest/tally.js';
import { type Classifier, evaluate, loadRuleSet, normalise, textHash } from '../../src/moderation/index.js';

const rules = (yaml: string) => {
  const loaded = loadRuleSet([{ path: 'rules/t.yaml', content: yaml }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.format()).join('\n'));
  return loaded.ruleSet;
};

const t0 = Date.parse('2026-11-01T12:00:00Z');
function row(i: number, text: string, minutes: number, over: Partial<ReplayRow> = {}): ReplayRow {
  return {
    id: `d${i}`,
    atMicros: (t0 + minutes * 60_000) * 1000,
    accountId: '1784',
    kind: 'comment',
    commentId: `c${i}`,
    mediaId: 'm1',
    authorId: `a${i}`,
    authorUsername: `user${i}`,
    text,
    mediaType: 'FEED',
    adId: null,
    skipped: false,
    scores: null,
    ...over,
  };
}

describe('replay', () => {
  it('repetition: the third copy within 10 minutes matches, a copy half an hour later does not', async () => {
    const set = rules(`- id: flood
  when:
    repeated across account: {times: 3, within: 10m}
  action: hide
`);
    const repetition = new ReplayRepetition();
    const rows = [
      row(1, 'Join NOW', 0),
      row(2, 'join now', 1),
      row(3, 'JOIN NOW', 2),
      row(4, 'join now', 40),
    ];
    const actions: string[] = [];
    for (const r of rows) {
      const d = await evaluate(
        set,
        { event: eventOf(r), text: r.text },
        { repetition, now: () => new Date(r.atMicros / 1000) },
      );
      repetition.record(r, textHash(normalise(r.text ?? '')).slice(0, 16));
      actions.push(d.action);
    }
    expect(actions).toEqual(['allow', 'allow', 'hide', 'allow']);
  });

  it('scores: from the record, else the offline classifier, else assumed 0 and counted once per comment', async () => {
    const offline: Classifier = {
      name: 'builtin',
      classify: async () => ({
        provider: 'x',
        model: 'x',
        version: '1',
        scores: { spam: 0.95 },
        latencyMs: 0,
        cached: false,
      }),
    };
    const replay = new ReplayClassifiers(
      ['builtin', 'openai-moderation'],
      new Map(),
      new Map([['builtin', offline]]),
    );
    const set = rules(`- id: spam
  when:
    classifier: {use: builtin, score: spam, at least: 0.9, fallback: allow}
  action: hide
- id: harsh
  when:
    classifier: {use: openai-moderation, score: harassment, at least: 0.5, fallback: review}
  action: delete
`);
    const recorded = row(1, 'buy followers', 0, { scores: [['builtin', '', { spam: 0.1 }]] });
    replay.use(recorded);
    const a = await evaluate(
      set,
      { event: eventOf(recorded), text: recorded.text },
      { classifiers: replay.ports },
    );
    replay.settle();
    expect(a.action).toBe('allow');
    const unrecorded = row(2, 'buy followers', 1);
    replay.use(unrecorded);
    const b = await evaluate(
      set,
      { event: eventOf(unrecorded), text: unrecorded.text },
      { classifiers: replay.ports },
    );
    replay.settle();
    expect(b.action).toBe('hide');
    expect(replay.sources).toMatchObject({
      recorded: 1,
      offline: 1,
      assumed: 2,
      commentsAssumed: 2,
      byClassifier: { 'openai-moderation': 2 },
    });
  });

  it('effects: a reply and a hide together; a review is a hold', () => {
    expect(effectsOf('hide', true)).toBe(effectsOf('reply', false) | effectsOf('hide', false));
    expect(effectsOf('review', false)).not.toBe(effectsOf('allow', false));
    expect(effectsOf('allow', false)).toBe(0);
  });
});
