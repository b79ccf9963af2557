/**
 * Writes decisions to the audit log together with the rule set that made them (stored once per
 * hash), their planned actions (the outbox) and the completion of the inbox rows they decide:
 * intent is recorded before anything is called (and flushed to disk first when it is a reply),
 * and an event is done exactly when its decision is stored.
 * A batch of decisions is ONE statement (one round trip, one implicit transaction): the rows
 * travel as JSON parameters, the decisions and their actions commit together or not at all.
 * A decision for an inbox row that already has one is not written again; the existing one is
 * returned, so a reclaimed or retried event never gets two decisions.
 */
import { inArray, sql } from 'drizzle-orm';
import { type RuleSet, textHash } from '../../moderation/index.js';
import type { ActionType } from '../../pipeline/plan.js';
import type {
  ActionItem,
  DecisionRecorder,
  DecisionToRecord,
  RecordedDecision,
} from '../../pipeline/ports.js';
import { type Database, rowsOf, withoutFlushWait } from '../client.js';
import { decisions } from '../schema/decisions.js';
import { ruleSets } from '../schema/rule-sets.js';
import { completeClaims } from './inbox.js';

export interface RecorderOptions {
  /**
   * Write each decision's first action already claimed (leased for this many seconds) when its
   * account is active, so the caller executes it at once: the intent and the claim become
   * durable in the same commit, one flush before the Graph call instead of two. Off where
   * another process executes actions (Workers).
   */
  readonly claimFirst?: {
    readonly leaseSeconds: number;
    /** This process's lock id (src/db/process-lock.ts), written into the lease; null on PGlite. */
    readonly leaseHolder?: number | null;
  };
}

/** Actions whose Graph call can be repeated without a visible difference (not replies). */
const safeToRepeat: ReadonlySet<ActionType> = new Set<ActionType>([
  'hide',
  'unhide',
  'delete',
  'review',
  'comments_off',
  'comments_on',
]);

export function createDecisionRecorder(db: Database, options: RecorderOptions = {}): DecisionRecorder {
  const claimFirst = options.claimFirst ?? null;
  const knownRuleSets = new Set<string>();

  const storeRuleSets = async (inputs: readonly DecisionToRecord[]) => {
    const fresh = new Map<string, RuleSet>();
    for (const { ruleSet } of inputs) if (!knownRuleSets.has(ruleSet.hash)) fresh.set(ruleSet.hash, ruleSet);
    if (fresh.size === 0) return;
    await db
      .insert(ruleSets)
      .values(
        [...fresh.values()].map((r) => ({
          hash: r.hash,
          files: r.files.map((f) => ({ path: f.path, content: f.content })),
        })),
      )
      .onConflictDoNothing();
    for (const hash of fresh.keys()) knownRuleSets.add(hash);
  };

  return async function recordDecisions(inputs) {
    if (inputs.length === 0) return [];
    await storeRuleSets(inputs);
    const decisionRows = inputs.map((input) => {
      const { decision, event } = input;
      const { rules: _explainOnly, ...detail } = decision;
      return {
        id: crypto.randomUUID(),
        inbox_id: input.inboxId,
        account_id: event.accountId,
        kind: event.kind,
        comment_id: event.commentId,
        media_id: event.mediaId,
        author_id: event.author?.id ?? null,
        author_username: event.author?.username ?? null,
        text: input.text,
        normalised_text: decision.normalisedText,
        text_hash: textHash(decision.normalisedText),
        rule_set_hash: input.ruleSet.hash,
        outcome: decision.outcome,
        action: decision.action,
        deciding_rule: decision.decidingRule,
        fired_rules: decision.fired.map((r) => r.ruleId),
        detail,
        steps: decision.steps,
        dry_run: input.dryRun,
        duration_ms: Math.round(input.durationMs),
      };
    });
    const actionRows = inputs.flatMap((input, i) => {
      // Actions run in `seq` order: only the first planned one may start now.
      const first = Math.min(...input.actions.filter((a) => a.status === 'planned').map((a) => a.seq));
      return input.actions.map((a) => ({
        id: crypto.randomUUID(),
        claim: claimFirst !== null && a.status === 'planned' && a.seq === first,
        decision_id: decisionRows[i]?.id,
        inbox_id: input.inboxId,
        account_id: input.event.accountId,
        // Instagram takes replies on top-level comments only: a reply to a reply goes under its parent.
        comment_id: a.type === 'reply' && input.event.parentId ? input.event.parentId : input.event.commentId,
        media_id: input.event.mediaId,
        type: a.type,
        message: a.message,
        seq: a.seq,
        priority: a.priority,
        rule_id: a.ruleId,
        status: a.status,
        reason: a.reason,
        due_in_secs: a.dueInSeconds ?? null,
      }));
    });
    const claimToken = crypto.randomUUID();
    // Nothing here would be harmed by being done twice (no reply): commit without waiting for
    // the WAL flush (see withoutFlushWait). Only a database crash in the next few hundred
    // milliseconds can lose such a record, and the inbox row's completion goes with it: the event
    // is claimed again, decided again and its hide or delete repeated, which Instagram ignores.
    // A reply's record is flushed before the reply is posted, so it is never posted twice.
    const repeatable = inputs.every((input) => input.actions.every((a) => safeToRepeat.has(a.type)));
    const completions = inputs.flatMap((input) =>
      input.inboxClaim ? [{ id: input.inboxId, claimToken: input.inboxClaim }] : [],
    );
    // Actions are inserted only for decisions that were inserted (joined on `stored`); Postgres runs
    // a data-modifying WITH to completion even though the final select does not read it.
    const returned = rowsOf<{
      id: string | null;
      inbox_id: number | string | null;
      action_id: string | null;
      claimed: boolean | null;
      done_id: number | string | null;
    }>(
      await db.execute(sql`
        with stored as (
          insert into decisions (id, inbox_id, account_id, kind, comment_id, media_id, author_id,
            author_username, text, normalised_text, text_hash, rule_set_hash, outcome, action,
            deciding_rule, fired_rules, detail, steps, dry_run, duration_ms)
          select id, inbox_id, account_id, kind, comment_id, media_id, author_id, author_username,
            text, normalised_text, text_hash, rule_set_hash, outcome, action, deciding_rule,
            array(select jsonb_array_elements_text(fired_rules)), detail, steps, dry_run, duration_ms
          from jsonb_to_recordset(${JSON.stringify(decisionRows)}::jsonb) as d(
            id uuid, inbox_id bigint, account_id text, kind text, comment_id text, media_id text,
            author_id text, author_username text, text text, normalised_text text, text_hash text,
            rule_set_hash text, outcome text, action text, deciding_rule text, fired_rules jsonb,
            detail jsonb, steps jsonb, dry_run boolean, duration_ms integer)
          on conflict (inbox_id) do nothing
          returning id, inbox_id
        ), planned as (
          insert into actions (id, decision_id, inbox_id, account_id, comment_id, media_id, type,
            message, seq, priority, rule_id, status, reason, attempts, lease_until, claim_token,
            next_attempt_at, lease_holder)
          select a.id, a.decision_id, a.inbox_id, a.account_id, a.comment_id, a.media_id, a.type,
            a.message, a.seq, a.priority, a.rule_id,
            case when a.now then 'in_progress' else a.status end, a.reason,
            case when a.now then 1 else 0 end,
            case when a.now then now() + make_interval(secs => ${claimFirst?.leaseSeconds ?? 0}) end,
            case when a.now then ${claimToken}::uuid end,
            now() + make_interval(secs => coalesce(a.due_in_secs, 0)),
            case when a.now then ${claimFirst?.leaseHolder ?? null}::int end
          from (
            select a.*, c.now,
              row_number() over (partition by a.account_id, a.media_id, a.type, a.status order by a.seq) as nth
            from jsonb_to_recordset(${JSON.stringify(actionRows)}::jsonb) as a(
              id uuid, decision_id uuid, inbox_id bigint, account_id text, comment_id text,
              media_id text, type text, message text, seq smallint, priority smallint, rule_id text,
              status text, reason text, claim boolean, due_in_secs double precision)
            join stored on stored.id = a.decision_id
            -- claimed now unless the account is paused (throttled) or not active (token)
            cross join lateral (select a.claim and not exists (
              select 1 from accounts
              where accounts.id = a.account_id
                and (accounts.paused_until > now() or accounts.status <> 'active')) as now) c
          ) a
          -- A flood fires its lockdown once: one per media in a batch, none while the media is
          -- already locked (a reopening is waiting); the unique index on waiting reopenings
          -- (actions_one_reopening_idx) settles concurrent batches.
          where not (a.type in ('comments_off', 'comments_on') and a.status = 'planned' and (a.nth > 1
            or exists (select 1 from actions w
              where w.account_id = a.account_id and w.media_id = a.media_id
                and w.type = 'comments_on' and w.status in ('planned', 'in_progress'))))
          on conflict do nothing
          returning id, status, type
        ), finished as (${completeClaims(completions, repeatable ? sql`and ${withoutFlushWait}` : sql``)})
        select id, inbox_id, null::uuid as action_id, null::boolean as claimed, null::bigint as done_id
        from stored
        union all
        select null, null, id, status = 'in_progress', null from planned
        where status in ('planned', 'in_progress')
        union all
        select null, null, null, null, id from finished`),
    );
    const done = new Set(returned.flatMap((r) => (r.done_id !== null ? [Number(r.done_id)] : [])));
    const created = new Set(returned.flatMap((r) => (r.id ? [r.id] : [])));
    // Actions written (a lockdown already in force is not planned again), and those claimed now.
    const written = new Set(returned.flatMap((r) => (r.action_id ? [r.action_id] : [])));
    const claimedNow = new Set(returned.flatMap((r) => (r.action_id && r.claimed ? [r.action_id] : [])));
    const notCreated = inputs.filter((_, i) => !created.has(decisionRows[i]?.id ?? ''));
    const existing = new Map<number, string>();
    if (notCreated.length > 0) {
      const rows = await db
        .select({ id: decisions.id, inboxId: decisions.inboxId })
        .from(decisions)
        .where(
          inArray(
            decisions.inboxId,
            notCreated.map((d) => d.inboxId),
          ),
        );
      for (const r of rows) existing.set(r.inboxId, r.id);
    }
    return inputs.map((input, i): RecordedDecision => {
      const id = decisionRows[i]?.id ?? '';
      const inboxDone = input.inboxClaim ? done.has(input.inboxId) : null;
      if (!created.has(id))
        return {
          id: existing.get(input.inboxId) ?? id,
          created: false,
          plannedActionIds: [],
          claimed: [],
          inboxDone,
        };
      const planned = actionRows.filter(
        (a) => a.decision_id === id && a.status === 'planned' && written.has(a.id),
      );
      return {
        id,
        created: true,
        plannedActionIds: planned.map((a) => a.id),
        plannedTypes: planned.map((a) => a.type),
        inboxDone,
        claimed: planned
          .filter((a) => claimedNow.has(a.id))
          .map(
            (a): ActionItem => ({
              id: a.id,
              decisionId: id,
              accountId: a.account_id,
              commentId: a.comment_id,
              mediaId: a.media_id,
              type: a.type,
              message: a.message,
              actor: 'modbot',
              attempts: 1,
              claimToken,
            }),
          ),
      };
    });
  };
}
