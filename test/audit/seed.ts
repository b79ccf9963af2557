/** Audit rows written directly (as the recorder and actuator would), for query tests. */
import type { Database } from '../../src/db/client.js';
import { actionAttempts, actions } from '../../src/db/schema/actions.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { ruleSets } from '../../src/db/schema/rule-sets.js';
import { normalise } from '../../src/moderation/index.js';

export const RULES_YAML = `# test rules
- id: dm-me-pitch
  reason: Sends people to a private chat
  when:
    text contains any: ["dm me"]
  action: hide

- id: scam-model
  reason: The builtin model thinks it is a scam
  when:
    classifier builtin:
      scam: {at least: 0.8}
  action: delete
`;
export const RULE_SET_HASH = 'rs-test-hash-0001';

let inboxSeq = 1;

export interface SeedDecision {
  /** Of firedRules, those that fired in shadow mode. */
  shadowRules?: string[];
  id?: string;
  createdAt: Date;
  accountId?: string;
  mediaId?: string;
  commentId?: string;
  authorId?: string | null;
  authorUsername?: string | null;
  text?: string | null;
  action?: 'allow' | 'reply' | 'review' | 'hide' | 'delete';
  decidingRule?: string | null;
  firedRules?: string[];
  scores?: Record<string, number>;
  dryRun?: boolean;
}

export async function seedRuleSet(db: Database) {
  await db
    .insert(ruleSets)
    .values({ hash: RULE_SET_HASH, files: [{ path: 'rules/test.yaml', content: RULES_YAML }] })
    .onConflictDoNothing();
}

export async function seedDecision(db: Database, s: SeedDecision): Promise<string> {
  const id = s.id ?? crypto.randomUUID();
  const fired = s.firedRules ?? (s.decidingRule ? [s.decidingRule] : []);
  const text = s.text === undefined ? 'great post' : s.text;
  await db.insert(decisions).values({
    id,
    inboxId: inboxSeq++,
    createdAt: s.createdAt,
    accountId: s.accountId ?? '17841400000000001',
    kind: 'comment',
    commentId: s.commentId ?? `c${inboxSeq}`,
    mediaId: s.mediaId ?? '18000000000000004',
    authorId: s.authorId === undefined ? '6000000000000003' : s.authorId,
    authorUsername: s.authorUsername === undefined ? 'some_user' : s.authorUsername,
    text,
    normalisedText: text ? normalise(text) : null,
    textHash: text ? `h-${text}` : null,
    ruleSetHash: RULE_SET_HASH,
    outcome: fired.length > 0 ? 'matched' : 'no_match',
    action: s.action ?? (s.decidingRule ? 'hide' : 'allow'),
    decidingRule: s.decidingRule ?? null,
    firedRules: fired,
    detail: {
      fired: fired.map((ruleId) => ({
        ruleId,
        mode: s.shadowRules?.includes(ruleId) ? 'shadow' : 'enforce',
        priority: 0,
        reason: 'because',
        matched: true,
        actions: ['hide'],
        conditions: [
          { condition: 'text contains any', result: 'matched', detail: `found "${text ?? ''}"`, depth: 0 },
        ],
        matchedTerms: ['dm me'],
        fallback: null,
      })),
      shadow: null,
      classifierCalls: s.scores
        ? [
            {
              classifier: 'builtin',
              question: null,
              result: {
                provider: 'builtin',
                model: 'v5',
                version: '5',
                scores: s.scores,
                latencyMs: 0.2,
                cached: false,
              },
              error: null,
            },
          ]
        : [],
      fallbacks: [],
      notes: [],
    },
    steps:
      s.action === 'reply'
        ? [{ type: 'reply', text: `@${s.authorUsername ?? 'x'} thanks`, to: 'comment' }]
        : [],
    dryRun: s.dryRun ?? false,
    durationMs: 3,
  });
  return id;
}

export async function seedAction(
  db: Database,
  a: {
    decisionId: string | null;
    commentId: string;
    accountId?: string;
    type: 'hide' | 'delete' | 'review' | 'reply' | 'unhide';
    status: string;
    seq?: number;
    message?: string;
    attempts?: { httpStatus: number; outcome: string; request?: string }[];
  },
): Promise<string> {
  const id = crypto.randomUUID();
  await db.insert(actions).values({
    id,
    decisionId: a.decisionId,
    accountId: a.accountId ?? '17841400000000001',
    commentId: a.commentId,
    type: a.type,
    status: a.status as never,
    seq: a.seq ?? 0,
    message: a.message ?? null,
  });
  let n = 1;
  for (const t of a.attempts ?? []) {
    await db.insert(actionAttempts).values({
      id: crypto.randomUUID(),
      actionId: id,
      attempt: n++,
      startedAt: new Date(),
      durationMs: 120,
      request: t.request ?? `POST /v25.0/${a.commentId}?hide=true`,
      httpStatus: t.httpStatus,
      outcome: t.outcome,
    });
  }
  return id;
}
