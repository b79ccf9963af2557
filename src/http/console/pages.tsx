/**
 * The console's pages as JSX components, rendered on the server. They receive plain data (from
 * the audit service and the console's read models) and the CSRF token for their forms; they
 * decide nothing.
 */
import type { AuditFilterInput } from '../../audit/filters.js';
import { decisionActions, outcomeFilters } from '../../audit/filters.js';
import type { QueueItem } from '../../audit/moderator-action.js';
import type { DecisionDetail, DecisionSummary, StatsRow } from '../../audit/query.js';
import { BarList, DailyChart, ScoreHistograms } from './charts.js';
import type {
  ConsoleAccount,
  DeadLetter,
  QueueHealth,
  RulesInForce,
  ScoreBucket,
  TryTextInput,
  TryTextResult,
} from './deps.js';
import { Csrf } from './layout.js';

const when = (iso: string | null | undefined) =>
  iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '—';
const q = (params: Record<string, string | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) s.set(k, v);
  const text = s.toString();
  return text ? `?${text}` : '';
};

export function ActionBadge(props: { action: string }) {
  return <span class={`badge plain a-${props.action}`}>{props.action}</span>;
}

// ---------------------------------------------------------------------------------------------
// Sign in

export function LoginPage(props: { next: string }) {
  return (
    <div class="login card">
      <h1>Sign in</h1>
      <p class="muted">Use your moderator token, or the admin token.</p>
      <form method="post" action="/console/login">
        <input type="hidden" name="next" value={props.next} />
        <div class="field">
          <label for="token">Token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
        </div>
        <button class="primary" type="submit">
          Sign in
        </button>
      </form>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Overview

export interface OverviewData {
  readonly days: readonly string[];
  readonly perDay: readonly StatsRow[];
  readonly topRules: readonly StatsRow[];
  readonly topAuthors: readonly StatsRow[];
  readonly scores: readonly ScoreBucket[];
  readonly health: readonly QueueHealth[];
  readonly held: number;
  readonly heldMore: boolean;
}

export function OverviewPage(props: { data: OverviewData }) {
  const d = props.data;
  const sum = (k: keyof QueueHealth) => d.health.reduce((a, h) => a + (Number(h[k]) || 0), 0);
  const total = d.perDay.reduce((a, r) => a + r.decisions, 0);
  return (
    <>
      <h1>Overview</h1>
      <section class="stats" aria-label="Now">
        <div>
          <div class="stat">
            <a href="/console/queue">{`${d.held}${d.heldMore ? '+' : ''}`}</a>
          </div>
          <div class="muted small">held for review</div>
        </div>
        <div>
          <div class="stat">{String(sum('backlog'))}</div>
          <div class="muted small">events waiting (backlog)</div>
        </div>
        <div>
          <div class="stat">{String(sum('pendingActions'))}</div>
          <div class="muted small">actions waiting</div>
        </div>
        <div>
          <div class="stat">
            <a href="/console/accounts#dead-letters">{String(sum('deadEvents'))}</a>
          </div>
          <div class="muted small">dead letters</div>
        </div>
        <div>
          <div class="stat">{String(sum('failedActions'))}</div>
          <div class="muted small">failed actions</div>
        </div>
        <div>
          <div class="stat">{String(total)}</div>
          <div class="muted small">{`decisions, ${d.days.length} days`}</div>
        </div>
      </section>
      <section class="card" style="margin-top:14px">
        <h2 style="margin-top:0">Decisions per day by action</h2>
        <DailyChart rows={d.perDay} days={d.days} />
      </section>
      <div class="grid">
        <section class="card">
          <h2 style="margin-top:0">Top rules (14 days)</h2>
          <BarList
            unit="decisions"
            empty="No rule fired in this period."
            items={d.topRules.slice(0, 10).map((r) => ({
              label: r.key ?? '(none)',
              value: r.decisions,
              href: `/console/audit${q({ rule: r.key ?? undefined, since: '14d' })}`,
            }))}
          />
        </section>
        <section class="card">
          <h2 style="margin-top:0">Top repeat authors (14 days, acted on)</h2>
          <BarList
            unit="decisions"
            empty="No author was acted on more than once."
            items={d.topAuthors
              .filter((r) => r.decisions - r.allow > 1)
              .slice(0, 10)
              .map((r) => ({
                label: r.label ? `@${r.label}` : (r.key ?? '(unknown)'),
                value: r.decisions - r.allow,
                href: `/console/audit${q({ author: r.key ?? undefined, since: '14d' })}`,
                note: `hide ${r.hide}, delete ${r.delete}, review ${r.review}`,
              }))}
          />
        </section>
      </div>
      <section class="card" style="margin-top:14px">
        <h2 style="margin-top:0">Classifier scores (7 days)</h2>
        <p class="muted small">
          How many comments scored in each tenth from 0 to 1; high scores at the right.
        </p>
        <ScoreHistograms buckets={d.scores} limit={6} />
      </section>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Review queue

export interface QueueEntry {
  readonly item: QueueItem;
  /** Why it was held: the deciding rule's reason and the classifier evidence, from the decision. */
  readonly why: readonly string[];
}

export function ModeratorButtons(props: {
  target: string;
  csrf: string;
  back: string;
  kinds: readonly ('approve' | 'hide' | 'unhide' | 'delete')[];
}) {
  const labels = { approve: 'Approve', hide: 'Hide', unhide: 'Undo hide (unhide)', delete: 'Delete' };
  const keys = { approve: 'a', hide: 'h', unhide: '', delete: 'd' };
  return (
    <>
      {props.kinds.map((k) => (
        <form method="post" action="/console/act" class="inline" data-kind={k}>
          <Csrf token={props.csrf} />
          <input type="hidden" name="action" value={k} />
          <input type="hidden" name="target" value={props.target} />
          <input type="hidden" name="back" value={props.back} />
          <button
            type="submit"
            class={k === 'delete' ? 'danger' : k === 'approve' ? 'primary' : ''}
            aria-keyshortcuts={keys[k] || undefined}
          >
            {labels[k]}
            {keys[k] ? (
              <>
                {' '}
                <kbd>{keys[k]}</kbd>
              </>
            ) : null}
          </button>
        </form>
      ))}
    </>
  );
}

export function ReplyForm(props: { target: string; csrf: string; back: string }) {
  const id = `reply-${props.target}`;
  return (
    <details>
      <summary>
        Reply <kbd>r</kbd>
      </summary>
      <form method="post" action="/console/act" data-kind="reply">
        <Csrf token={props.csrf} />
        <input type="hidden" name="action" value="reply" />
        <input type="hidden" name="target" value={props.target} />
        <input type="hidden" name="back" value={props.back} />
        <label for={id}>Reply text</label>
        <textarea id={id} name="message" maxlength={2200} required />
        <div class="actions">
          <button type="submit">Send reply</button>
        </div>
      </form>
    </details>
  );
}

export function QueuePage(props: {
  entries: readonly QueueEntry[];
  csrf: string;
  nextCursor: string | null;
}) {
  return (
    <>
      <h1>
        Review queue{' '}
        <span class="muted">
          (<span id="queue-count">{String(props.entries.length)}</span>
          {props.nextCursor ? '+' : ''})
        </span>
      </h1>
      <p class="muted small">
        Oldest first. Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous, <kbd>a</kbd> approve, <kbd>h</kbd> hide,{' '}
        <kbd>d</kbd> delete, <kbd>r</kbd> reply, <kbd>o</kbd> open the decision.
      </p>
      <p id="queue-status" role="status" aria-live="polite" class="small" />
      <p id="queue-empty" class="card" hidden={props.entries.length > 0}>
        Nothing is waiting for review.
      </p>
      <ul class="queue">
        {props.entries.map(({ item, why }) => {
          const target = item.decisionId ?? item.commentId ?? '';
          return (
            <li
              data-item={item.actionId}
              tabindex={-1}
              aria-label={`held comment by @${item.authorUsername ?? 'unknown'}`}
            >
              <div class="meta">
                <span>
                  <strong>{item.authorUsername ? `@${item.authorUsername}` : '(unknown author)'}</strong>
                </span>
                <span>{`held ${when(item.heldAt)}`}</span>
                <span>
                  rule <strong>{item.decidingRule ?? item.ruleId ?? '—'}</strong>
                </span>
                {item.mediaId ? (
                  <span>
                    <a href={`/console/audit${q({ media: item.mediaId })}`}>{`post ${item.mediaId}`}</a>
                  </span>
                ) : null}
              </div>
              <blockquote class="comment">{item.text ?? '(text redacted)'}</blockquote>
              {why.length > 0 ? (
                <ul class="small muted" style="margin:4px 0;padding-left:18px">
                  {why.map((w) => (
                    <li>{w}</li>
                  ))}
                </ul>
              ) : null}
              <div class="actions">
                <ModeratorButtons
                  target={target}
                  csrf={props.csrf}
                  back="/console/queue"
                  kinds={['approve', 'hide', 'delete']}
                />
                {item.decisionId ? (
                  <a class="button" data-open href={`/console/audit/${item.decisionId}`}>
                    Open decision <kbd>o</kbd>
                  </a>
                ) : null}
              </div>
              <ReplyForm target={target} csrf={props.csrf} back="/console/queue" />
            </li>
          );
        })}
      </ul>
      {props.nextCursor ? (
        <p>
          <a href={`/console/queue${q({ after: props.nextCursor })}`}>More held comments →</a>
        </p>
      ) : null}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Audit browser

export const filterFields = [
  'q',
  'account',
  'media',
  'comment',
  'author',
  'rule',
  'action',
  'outcome',
  'classifier',
  'minScore',
  'since',
  'until',
  'dryRun',
] as const;

export function AuditPage(props: {
  filter: Partial<Record<(typeof filterFields)[number], string>>;
  items: readonly DecisionSummary[];
  nextCursor: string | null;
  error: string | null;
}) {
  const f = props.filter;
  const text = (name: keyof typeof f, label: string, placeholder = '') => (
    <div>
      <label for={`f-${name}`}>{label}</label>
      <input id={`f-${name}`} name={name} value={f[name] ?? ''} placeholder={placeholder} />
    </div>
  );
  const choice = (name: keyof typeof f, label: string, options: readonly string[]) => (
    <div>
      <label for={`f-${name}`}>{label}</label>
      <select id={`f-${name}`} name={name}>
        <option value="">any</option>
        {options.map((o) => (
          <option value={o} selected={f[name] === o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <>
      <h1>Audit</h1>
      <form method="get" action="/console/audit" class="card filters" aria-label="Filter decisions">
        {text('q', 'Text', 'words, "a phrase", -not')}
        {text('author', 'Author', 'id or @username')}
        {text('rule', 'Rule', 'rule id')}
        {choice('action', 'Action', decisionActions)}
        {choice('outcome', 'Outcome', outcomeFilters)}
        {text('since', 'Since', '24h, 7d, 2026-11-01')}
        {text('until', 'Until', '')}
        {text('account', 'Account', 'id')}
        {text('media', 'Media', 'id')}
        {text('comment', 'Comment', 'id')}
        {text('classifier', 'Classifier', 'builtin:spam')}
        {text('minScore', 'Min score', '0.8')}
        {choice('dryRun', 'Dry run', ['true', 'false'])}
        <div>
          <button class="primary" type="submit">
            Search
          </button>{' '}
          <a class="button" href="/console/audit">
            Clear
          </a>
        </div>
      </form>
      {props.error ? (
        <p class="flash err" role="alert">
          {props.error}
        </p>
      ) : null}
      {props.items.length === 0 && !props.error ? <p class="card">No decisions match.</p> : null}
      {props.items.length > 0 ? (
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th>when</th>
                <th>action</th>
                <th>rule</th>
                <th>author</th>
                <th>text</th>
                <th>outcome</th>
              </tr>
            </thead>
            <tbody>
              {props.items.map((d) => (
                <tr>
                  <td data-label="when">
                    <a href={`/console/audit/${d.id}`}>{when(d.createdAt)}</a>
                  </td>
                  <td data-label="action">
                    <ActionBadge action={d.action} />
                    {d.dryRun ? <span class="muted small"> dry run</span> : null}
                  </td>
                  <td data-label="rule">{d.decidingRule ?? '—'}</td>
                  <td data-label="author">
                    {d.authorUsername ? `@${d.authorUsername}` : (d.authorId ?? '—')}
                  </td>
                  <td data-label="text">{truncate(d.text, 140)}</td>
                  <td data-label="outcome">
                    {d.actions.length === 0 ? '—' : d.actions.map((a) => `${a.type} ${a.status}`).join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {props.nextCursor ? (
        <p>
          <a href={`/console/audit${q({ ...f, cursor: props.nextCursor })}`}>Older decisions →</a>
        </p>
      ) : null}
    </>
  );
}

function truncate(text: string | null, n: number): string {
  if (text === null) return '(redacted)';
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

type Detail = {
  fired?: {
    ruleId: string;
    mode: string;
    priority: number;
    reason: string | null;
    conditions?: { condition: string; result: string; detail: string; depth: number }[];
    matchedTerms?: string[];
  }[];
  classifierCalls?: {
    classifier: string;
    question: string | null;
    result: {
      model?: string;
      scores?: Record<string, number>;
      cached?: boolean;
      latencyMs?: number;
      reason?: string;
      contributions?: { feature: string; weight: number }[];
    } | null;
    error: { code: string; message: string } | null;
  }[];
  shadow?: { ruleId: string; action: string } | null;
  fallbacks?: { ruleId: string; classifier: string; fallback: string; error: string }[];
  notes?: string[];
};

/** Why a decision was taken, in a few lines: the deciding rule's reason, scores and what moved them. */
export function whyLines(x: Pick<DecisionDetail, 'detail' | 'decidingRule'>): string[] {
  const d = (x.detail ?? {}) as Detail;
  const out: string[] = [];
  const deciding = d.fired?.find((f) => f.ruleId === x.decidingRule);
  if (deciding?.reason) out.push(`why: ${deciding.reason}`);
  if (deciding?.matchedTerms?.length)
    out.push(`matched: ${deciding.matchedTerms.map((t) => `"${t}"`).join(', ')}`);
  for (const c of d.classifierCalls ?? []) {
    if (!c.result?.scores) continue;
    const top = Object.entries(c.result.scores)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([k, v]) => `${k} ${Number(v).toFixed(2)}`)
      .join(', ');
    const moved = (c.result.contributions ?? [])
      .slice(0, 5)
      .map((f) => `${f.feature} ${f.weight >= 0 ? '+' : ''}${Number(f.weight).toFixed(2)}`)
      .join(', ');
    out.push(`${c.classifier}: ${top}${moved ? `; moved by ${moved}` : ''}`);
  }
  return out;
}

export function DecisionPage(props: { x: DecisionDetail; csrf: string }) {
  const x = props.x;
  const d = (x.detail ?? {}) as Detail;
  const target = x.id;
  const back = `/console/audit/${x.id}`;
  const hiddenNow = isHidden(x);
  return (
    <>
      <p class="small">
        <a href="/console/audit">← Audit</a>
      </p>
      <h1>
        Decision: <ActionBadge action={x.action} /> {x.decidingRule ? <>by rule {x.decidingRule}</> : null}
      </h1>
      {x.redactedAt ? (
        <p class="flash err">{`Text and identifiers were redacted at ${when(x.redactedAt)} (retention or erasure).`}</p>
      ) : null}
      <section class="card">
        <blockquote class="comment">{x.text ?? '(redacted)'}</blockquote>
        <dl class="kv">
          <dt>author</dt>
          <dd>
            {x.authorUsername ? `@${x.authorUsername}` : '(unknown)'}
            {x.authorId ? <span class="muted">{` (id ${x.authorId})`}</span> : null}
          </dd>
          <dt>normalised</dt>
          <dd>
            <code>{x.normalisedText ?? '(none)'}</code>
          </dd>
          <dt>decided</dt>
          <dd>{`${x.action} (${x.outcome}) in ${x.durationMs} ms, ${when(x.createdAt)}${x.dryRun ? ', dry run' : ''}`}</dd>
          <dt>comment</dt>
          <dd>
            {`${x.commentId ?? '—'} (${x.kind}) on media `}
            {x.mediaId ? <a href={`/console/audit?media=${x.mediaId}`}>{x.mediaId}</a> : '—'}
          </dd>
          <dt>account</dt>
          <dd>{x.accountId}</dd>
          <dt>rule set</dt>
          <dd>
            <code>{x.ruleSetHash.slice(0, 16)}</code>
            {x.ruleSetFirstSeenAt ? ` (first used ${when(x.ruleSetFirstSeenAt)})` : ' (not stored)'}
          </dd>
          <dt>decision id</dt>
          <dd>
            <code>{x.id}</code>
          </dd>
        </dl>
        {x.commentId ? (
          <div class="actions">
            <ModeratorButtons
              target={target}
              csrf={props.csrf}
              back={back}
              kinds={hiddenNow ? ['unhide', 'approve', 'delete'] : ['approve', 'hide', 'delete']}
            />
          </div>
        ) : null}
        {x.commentId ? <ReplyForm target={target} csrf={props.csrf} back={back} /> : null}
      </section>

      <section class="card">
        <h2 style="margin-top:0">Rules that fired</h2>
        {!d.fired || d.fired.length === 0 ? <p class="muted">None.</p> : null}
        {(d.fired ?? []).map((f) => (
          <div>
            <p>
              <strong>{f.ruleId}</strong> <span class="muted">{`priority ${f.priority}`}</span>
              {f.mode === 'shadow' ? <span class="badge warn">shadow: recorded, not enforced</span> : null}
              {f.ruleId === x.decidingRule ? <span class="badge ok">decided</span> : null}
              {f.reason ? <span>{` — ${f.reason}`}</span> : null}
            </p>
            {f.conditions && f.conditions.length > 0 ? (
              <ul class="small" style="list-style:none;padding-left:8px;margin:0 0 8px">
                {f.conditions.map((c) => (
                  <li style={`padding-left:${c.depth * 16}px`}>
                    {c.result === 'matched'
                      ? '✓ matched: '
                      : c.result === 'not matched'
                        ? '✗ not matched: '
                        : '· '}
                    <code>{c.condition}</code>
                    {c.detail ? ` — ${c.detail}` : ''}
                  </li>
                ))}
              </ul>
            ) : null}
            {f.matchedTerms && f.matchedTerms.length > 0 ? (
              <p class="small">{`matched: ${f.matchedTerms.map((m) => `"${m}"`).join(', ')}`}</p>
            ) : null}
          </div>
        ))}
        {d.shadow ? <p>{`Shadow would have: ${d.shadow.action} (rule ${d.shadow.ruleId})`}</p> : null}
        {(d.fallbacks ?? []).map((fb) => (
          <p>{`Fallback ${fb.fallback} for ${fb.ruleId}: ${fb.classifier} failed (${fb.error})`}</p>
        ))}
        {(d.notes ?? []).map((n) => (
          <p class="muted">{`Note: ${n}`}</p>
        ))}
      </section>

      {d.classifierCalls && d.classifierCalls.length > 0 ? (
        <section class="card">
          <h2 style="margin-top:0">Classifiers</h2>
          {d.classifierCalls.map((c) => (
            <div>
              <p>
                <strong>{c.classifier}</strong>
                {c.question ? ` ("${c.question}")` : ''}
                {c.result?.model ? (
                  <span class="muted small">{` ${c.result.model}${c.result.cached ? ', cached' : ''}${c.result.latencyMs !== undefined ? `, ${Math.round(c.result.latencyMs)} ms` : ''}`}</span>
                ) : null}
              </p>
              {c.error ? <p class="flash err">{`error ${c.error.code}: ${c.error.message}`}</p> : null}
              {c.result?.scores ? (
                <BarList
                  unit=""
                  empty=""
                  items={Object.entries(c.result.scores)
                    .sort((a, b) => b[1] - a[1])
                    .map(([k, v]) => ({ label: k, value: Number(Number(v).toFixed(3)) }))}
                />
              ) : null}
              {c.result?.reason ? <p class="small">{`reason: ${c.result.reason}`}</p> : null}
              {c.result?.contributions && c.result.contributions.length > 0 ? (
                <p class="small">
                  {'moved by: '}
                  {c.result.contributions
                    .map((f) => `${f.feature} ${f.weight >= 0 ? '+' : ''}${Number(f.weight).toFixed(2)}`)
                    .join(', ')}
                </p>
              ) : null}
            </div>
          ))}
        </section>
      ) : null}

      <section class="card">
        <h2 style="margin-top:0">Actions and Graph API calls</h2>
        {x.actions.length === 0 ? (
          <p class="muted">
            {x.dryRun && x.action !== 'allow' ? 'None: dry run, nothing was done on Instagram.' : 'None.'}
          </p>
        ) : (
          <div class="table-wrap">
            <table class="cards">
              <thead>
                <tr>
                  <th>when</th>
                  <th>action</th>
                  <th>status</th>
                  <th>by</th>
                  <th>calls</th>
                </tr>
              </thead>
              <tbody>
                {x.actions.map((a) => (
                  <tr>
                    <td data-label="when">{when(a.createdAt)}</td>
                    <td data-label="action">
                      {a.type}
                      {a.message ? <span class="muted">{` "${a.message}"`}</span> : null}
                    </td>
                    <td data-label="status">
                      <span
                        class={`badge ${a.status === 'done' ? 'ok' : a.status === 'failed' ? 'bad' : 'plain'}`}
                      >
                        {a.status}
                      </span>
                      {a.reason ? <span class="small muted">{` ${a.reason}`}</span> : null}
                      {a.lastError ? <span class="small">{` last error: ${a.lastError}`}</span> : null}
                    </td>
                    <td data-label="by">
                      {a.actor}
                      {a.decisionId === x.id ? '' : <span class="muted small"> (on this comment)</span>}
                    </td>
                    <td data-label="calls">
                      {a.attempts.length === 0 ? '—' : null}
                      {a.attempts.map((at) => (
                        <div class="small">
                          <code>{at.request}</code>
                          {` → ${at.httpStatus ?? 'no answer'} ${at.outcome}${at.errorCode !== null ? ` (code ${at.errorCode}${at.errorSubcode !== null ? `/${at.errorSubcode}` : ''})` : ''}, ${at.durationMs} ms${at.error ? `: ${at.error}` : ''}`}
                        </div>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section class="card">
        <h2 style="margin-top:0">Rule text as it was then</h2>
        {x.rules === null ? (
          <p class="muted">{`Rule set ${x.ruleSetHash.slice(0, 12)} is not stored, so its text cannot be shown.`}</p>
        ) : null}
        {x.rules?.length === 0 ? <p class="muted">No rule fired.</p> : null}
        {(x.rules ?? []).map((r) => (
          <>
            <p class="small">
              <code>{`${r.path}:${r.line}`}</code>
            </p>
            <pre>{r.text}</pre>
          </>
        ))}
      </section>
      {x.related.length > 0 ? (
        <p>
          Other decisions about this comment:{' '}
          {x.related.map((id) => (
            <>
              <a href={`/console/audit/${id}`}>{id.slice(0, 8)}</a>{' '}
            </>
          ))}
        </p>
      ) : null}
    </>
  );
}

/** Hidden now: the last hide/unhide on the comment that did (or will) happen was a hide. */
export function isHidden(x: DecisionDetail): boolean {
  let hidden = false;
  const ordered = [...x.actions].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  for (const a of ordered) {
    // As moderate() sees it: a hide counts once it ran (or ran as a dry run); an unhide once planned.
    if (a.type === 'hide' && ['done', 'dry_run', 'in_progress'].includes(a.status)) hidden = true;
    if (a.type === 'unhide' && ['done', 'planned', 'in_progress'].includes(a.status)) hidden = false;
  }
  return hidden;
}

// ---------------------------------------------------------------------------------------------
// Rules

/** What the moderator typed in the backtest form, shown again with the result. */
export interface BacktestFormInput {
  readonly path: string;
  readonly content: string;
  readonly since: string;
  readonly account: string;
}

export function RulesPage(props: {
  rules: RulesInForce;
  hits: ReadonlyMap<string, StatsRow>;
  loadErrors: readonly string[];
  csrf: string;
  tried: { input: TryTextInput; result: TryTextResult } | null;
  tryError: string | null;
  backtest: boolean;
  backtestResult: string | null;
  backtestError: string | null;
  backtestInput: BacktestFormInput | null;
}) {
  const t = props.tried?.input;
  const b = props.backtestInput;
  return (
    <>
      <h1>Rules</h1>
      <section class="card">
        <dl class="kv">
          <dt>rule set in force</dt>
          <dd>
            <code>{props.rules.hash.slice(0, 16)}</code>
          </dd>
          <dt>files</dt>
          <dd>{props.rules.files.join(', ') || '—'}</dd>
          <dt>rules</dt>
          <dd>{String(props.rules.rules.length)}</dd>
          <dt>load errors</dt>
          <dd>
            {props.loadErrors.length === 0 ? (
              <span class="badge ok">none</span>
            ) : (
              <span class="badge bad">{`${props.loadErrors.length}: the last change was refused, the set above stays in force`}</span>
            )}
          </dd>
        </dl>
        {props.loadErrors.length > 0 ? <pre role="alert">{props.loadErrors.join('\n')}</pre> : null}
      </section>

      <section class="card" id="try">
        <h2 style="margin-top:0">Try a text against the live rules</h2>
        <form method="post" action="/console/rules/try#try">
          <Csrf token={props.csrf} />
          <div class="field">
            <label for="try-text">Comment text</label>
            <textarea id="try-text" name="text" maxlength={2200} required>
              {t?.text ?? ''}
            </textarea>
          </div>
          <div
            class="filters"
            style="display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px 12px"
          >
            <div>
              <label for="try-author">Author</label>
              <input id="try-author" name="author" value={t?.author ?? 'someone'} />
            </div>
            <div>
              <label for="try-kind">Kind</label>
              <select id="try-kind" name="kind">
                {(['comment', 'reply', 'live_comment', 'mention_comment'] as const).map((k) => (
                  <option value={k} selected={t?.kind === k}>
                    {k}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for="try-account">Account</label>
              <input id="try-account" name="account" value={t?.accountId ?? ''} placeholder="any" />
            </div>
          </div>
          <div class="actions">
            <button class="primary" type="submit">
              Explain
            </button>
          </div>
        </form>
        {props.tryError ? (
          <p class="flash err" role="alert">
            {props.tryError}
          </p>
        ) : null}
        {props.tried ? (
          <div aria-live="polite">
            <p>
              Result: <ActionBadge action={props.tried.result.action} />
              {props.tried.result.decidingRule ? (
                <>
                  {' '}
                  by rule <strong>{props.tried.result.decidingRule}</strong>
                </>
              ) : (
                ' (no rule matched)'
              )}
            </p>
            <pre data-explain>{props.tried.result.explanation}</pre>
          </div>
        ) : null}
      </section>

      {props.backtest ? (
        <section class="card" id="backtest">
          <h2 style="margin-top:0">Backtest a changed rule file</h2>
          <p class="muted">
            Paste a changed rule file (or upload one): modbot re-decides the stored comments with the rules in
            force and this file in place of the file of the same name, and shows what would have been hidden,
            deleted, replied to or held differently, per rule, against what moderators undid or hid by hand.
            Nothing is called and nothing changes: to put the change in force, edit the file itself.
          </p>
          <form method="post" action="/console/rules/backtest#backtest" enctype="multipart/form-data">
            <Csrf token={props.csrf} />
            <div
              class="filters"
              style="display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:8px 12px"
            >
              <div>
                <label for="bt-path">File it replaces</label>
                <input
                  id="bt-path"
                  name="path"
                  list="bt-files"
                  value={b?.path ?? props.rules.files[0] ?? ''}
                  placeholder="rules/spam.yaml"
                />
                <datalist id="bt-files">
                  {props.rules.files.map((f) => (
                    <option value={f} />
                  ))}
                </datalist>
              </div>
              <div>
                <label for="bt-since">Comments since</label>
                <input id="bt-since" name="since" value={b?.since ?? '30d'} />
              </div>
              <div>
                <label for="bt-account">Account</label>
                <input id="bt-account" name="account" value={b?.account ?? ''} placeholder="all" />
              </div>
              <div>
                <label for="bt-upload">Or upload the file</label>
                <input id="bt-upload" name="upload" type="file" accept=".yaml,.yml" />
              </div>
            </div>
            <div class="field">
              <label for="bt-content">Changed file (up to 60 KB)</label>
              <textarea id="bt-content" name="content" rows={12} spellcheck={false}>
                {b?.content ?? ''}
              </textarea>
            </div>
            <div class="actions">
              <button class="primary" type="submit">
                Show the difference
              </button>
            </div>
          </form>
          {props.backtestError ? (
            <p class="flash err" role="alert">
              {props.backtestError}
            </p>
          ) : null}
          {props.backtestResult ? <pre data-backtest>{props.backtestResult}</pre> : null}
        </section>
      ) : null}

      <section class="card">
        <h2 style="margin-top:0">Rules in force, with hits in the last 7 days</h2>
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th>rule</th>
                <th>action</th>
                <th>mode</th>
                <th class="num">priority</th>
                <th class="num">fired (7 d)</th>
                <th class="num">decided</th>
                <th>where</th>
              </tr>
            </thead>
            <tbody>
              {props.rules.rules.map((r) => {
                const h = props.hits.get(r.id);
                return (
                  <tr>
                    <td data-label="rule">
                      <a href={`/console/audit?rule=${encodeURIComponent(r.id)}&since=7d`}>{r.id}</a>
                      {r.reason ? <div class="small muted">{r.reason}</div> : null}
                    </td>
                    <td data-label="action">{r.actions.join(' + ')}</td>
                    <td data-label="mode">
                      {r.mode === 'shadow' ? <span class="badge warn">shadow</span> : 'enforce'}
                    </td>
                    <td data-label="priority" class="num">
                      {String(r.priority)}
                    </td>
                    <td data-label="fired (7 d)" class="num">
                      {String(h?.decisions ?? 0)}
                    </td>
                    <td data-label="decided" class="num">
                      {String(h?.deciding ?? 0)}
                    </td>
                    <td data-label="where" class="small">
                      <code>{`${r.file}:${r.line}`}</code>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Accounts

export function tokenState(a: ConsoleAccount, now: Date): { label: string; tone: 'ok' | 'warn' | 'bad' } {
  if (a.status === 'disconnected') return { label: 'disconnected', tone: 'bad' };
  if (a.status === 'reauth_needed' || !a.hasToken) return { label: 'needs re-authorisation', tone: 'bad' };
  if (a.tokenExpiresAt) {
    const left = a.tokenExpiresAt.getTime() - now.getTime();
    if (left <= 0) return { label: 'expired: needs re-authorisation', tone: 'bad' };
    if (left < 7 * 86_400_000)
      return { label: `expiring in ${Math.ceil(left / 86_400_000)} d`, tone: 'warn' };
  }
  return { label: 'fine', tone: 'ok' };
}

export function AccountsPage(props: {
  accounts: readonly ConsoleAccount[];
  health: readonly QueueHealth[];
  dead: readonly DeadLetter[];
  csrf: string;
  now: Date;
  canRetry: boolean;
  locks: readonly { accountId: string; mediaId: string; lockedBy: string; lockedAt: string }[] | null;
}) {
  const health = new Map(props.health.map((h) => [h.accountId, h]));
  const rows = [
    ...props.accounts.map((a) => ({ id: a.id, a })),
    ...props.health
      .filter((h) => !props.accounts.some((a) => a.id === h.accountId))
      .map((h) => ({ id: h.accountId, a: null })),
  ];
  return (
    <>
      <h1>Accounts</h1>
      {rows.length === 0 ? (
        <p class="card">
          No accounts yet: add one with <code>modbot accounts add</code>.
        </p>
      ) : null}
      {rows.length > 0 ? (
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th>account</th>
                <th>token</th>
                <th>last webhook</th>
                <th class="num">backlog</th>
                <th class="num">actions waiting</th>
                <th class="num">dead letters</th>
                <th class="num">failed actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ id, a }) => {
                const h = health.get(id);
                const state = a
                  ? tokenState(a, props.now)
                  : { label: 'not configured', tone: 'bad' as const };
                return (
                  <tr>
                    <td data-label="account">
                      <strong>{a?.username ? `@${a.username}` : id}</strong>
                      <div class="small muted">{`${id}${a ? ` · ${a.loginType} login · from ${a.source}` : ''}`}</div>
                    </td>
                    <td data-label="token">
                      <span class={`badge ${state.tone}`}>{state.label}</span>
                      {a?.statusReason ? <div class="small">{a.statusReason}</div> : null}
                      {a?.tokenExpiresAt ? (
                        <div class="small muted">{`expires ${when(a.tokenExpiresAt.toISOString())}`}</div>
                      ) : null}
                      {a?.pausedUntil && a.pausedUntil > props.now ? (
                        <div class="small">{`writes paused until ${when(a.pausedUntil.toISOString())}`}</div>
                      ) : null}
                    </td>
                    <td data-label="last webhook">{when(h?.lastReceivedAt)}</td>
                    <td data-label="backlog" class="num">
                      {String(h?.backlog ?? 0)}
                    </td>
                    <td data-label="actions waiting" class="num">
                      {String(h?.pendingActions ?? 0)}
                    </td>
                    <td data-label="dead letters" class="num">
                      {String(h?.deadEvents ?? 0)}
                    </td>
                    <td data-label="failed actions" class="num">
                      {String(h?.failedActions ?? 0)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}

      <h2 id="dead-letters">Dead letters</h2>
      {props.dead.length === 0 ? (
        <p class="card">No dead-lettered events.</p>
      ) : (
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th>event</th>
                <th>account</th>
                <th>attempts</th>
                <th>last error</th>
                <th>since</th>
                {props.canRetry ? <th>retry</th> : null}
              </tr>
            </thead>
            <tbody>
              {props.dead.map((d) => (
                <tr>
                  <td data-label="event">{`#${d.id} ${d.kind}${d.commentId ? ` ${d.commentId}` : ''}`}</td>
                  <td data-label="account">{d.accountId}</td>
                  <td data-label="attempts">{String(d.attempts)}</td>
                  <td data-label="last error" class="small">
                    {d.lastError ?? '—'}
                  </td>
                  <td data-label="since">{when(d.updatedAt)}</td>
                  {props.canRetry ? (
                    <td data-label="retry">
                      <form method="post" action="/console/dead-letters/retry" class="inline">
                        <Csrf token={props.csrf} />
                        <input type="hidden" name="id" value={String(d.id)} />
                        <button type="submit">{`Retry #${d.id}`}</button>
                      </form>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!props.canRetry && props.dead.length > 0 ? (
        <p class="muted small">Retrying from the console needs the dead-letter commands of this version.</p>
      ) : null}

      {props.locks ? (
        <>
          <h2>Locked media</h2>
          <form method="post" action="/console/media/lock" class="card filters">
            <Csrf token={props.csrf} />
            <div>
              <label for="lock-account">Account</label>
              <input id="lock-account" name="account" required />
            </div>
            <div>
              <label for="lock-media">Media</label>
              <input id="lock-media" name="media" required />
            </div>
            <div>
              <button type="submit">Lock media</button>
            </div>
          </form>
          {props.locks.length === 0 ? <p class="muted">No media is locked.</p> : null}
          <ul>
            {props.locks.map((l) => (
              <li>
                {`${l.mediaId} (account ${l.accountId}) locked by ${l.lockedBy} at ${when(l.lockedAt)} `}
                <form method="post" action="/console/media/unlock" class="inline">
                  <Csrf token={props.csrf} />
                  <input type="hidden" name="account" value={l.accountId} />
                  <input type="hidden" name="media" value={l.mediaId} />
                  <button type="submit">Unlock</button>
                </form>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}

export type { AuditFilterInput };
