/**
 * The moderator console under /console: server-rendered pages (hono/jsx) on the same use-cases
 * as the CLI and /api (src/audit/service.ts). Sign-in exchanges a token for a signed session
 * cookie (./session.ts); every POST needs that session and the form's CSRF token. Moderator
 * actions are recorded as "moderator:<name>" like the API's.
 */
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Child } from 'hono/jsx';
import { AuditInputError, parseAuditFilter, parseTime } from '../../audit/filters.js';
import { ModerationConflict, moderatorActionKinds, TargetNotFound } from '../../audit/moderator-action.js';
import type { AppEnv } from '../context.js';
import { consoleCss, consoleJs } from './assets.js';
import type { ConsoleDeps, TryTextInput } from './deps.js';
import { type Frame, Layout, type Section } from './layout.js';
import {
  AccountsPage,
  AuditPage,
  type BacktestFormInput,
  DecisionPage,
  filterFields,
  LoginPage,
  OverviewPage,
  type QueueEntry,
  QueuePage,
  RulesPage,
  whyLines,
} from './pages.js';
import { consoleSignInEnabled, createSessions, type Session } from './session.js';

const SESSION_COOKIE = 'modbot_console';
const FLASH_COOKIE = 'modbot_console_flash';

type ConsoleEnv = AppEnv & { Variables: AppEnv['Variables'] & { session: Session; csrf: string } };

/** https directly, or behind a proxy that says so: the cookie is then Secure. */
function overHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

/** Only paths inside the console are followed after sign-in or an action (no open redirect). */
function safeBack(value: unknown, fallback = '/console'): string {
  return typeof value === 'string' && /^\/console(\/[A-Za-z0-9/_-]*)?(\?[^\s#]*)?(#[\w-]*)?$/.test(value)
    ? value
    : fallback;
}

export function consoleRoutes(deps: ConsoleDeps) {
  const app = new Hono<ConsoleEnv>();
  const sessions = createSessions(deps.auth);
  const enabled = consoleSignInEnabled(deps.auth);

  app.use('*', async (c, next) => {
    await next();
    // Scripts only from the console's own file; inline style attributes are allowed (chart bar
    // widths), and the pages escape every value they show.
    c.header(
      'content-security-policy',
      "default-src 'none'; style-src 'self' 'unsafe-inline'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    c.header('x-frame-options', 'DENY');
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'same-origin');
    if (!c.req.path.startsWith('/console/assets/')) c.header('cache-control', 'no-store');
  });
  app.use('*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text('form too large', 413) }));

  app.get('/assets/console.css', (c) =>
    c.body(consoleCss, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=3600' }),
  );
  app.get('/assets/console.js', (c) =>
    c.body(consoleJs, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'max-age=3600',
    }),
  );

  const page = (
    c: Context<ConsoleEnv>,
    frame: Omit<Frame, 'moderator' | 'csrf' | 'flash' | 'dryRun'>,
    body: Child,
    status = 200,
  ) => {
    const flash = readFlash(c);
    return c.html(
      <Layout
        {...frame}
        moderator={c.get('session')?.moderator}
        csrf={c.get('csrf')}
        dryRun={deps.dryRun}
        flash={flash}
      >
        {body}
      </Layout>,
      status as 200,
    );
  };

  const readFlash = (c: Context) => {
    const raw = getCookie(c, FLASH_COOKIE);
    if (!raw) return null;
    deleteCookie(c, FLASH_COOKIE, { path: '/console' });
    const kind = raw.startsWith('err:') ? 'err' : 'ok';
    return { kind, text: raw.slice(raw.indexOf(':') + 1).slice(0, 500) } as const;
  };
  const setFlash = (c: Context, kind: 'ok' | 'err', text: string) =>
    setCookie(c, FLASH_COOKIE, `${kind}:${text}`, {
      path: '/console',
      httpOnly: true,
      sameSite: 'Strict',
      secure: overHttps(c),
      maxAge: 60,
    });

  // ---- sign in and out -------------------------------------------------------------------

  app.get('/login', (c) => {
    if (!enabled) return notConfigured(c);
    return page(c, { title: 'Sign in' }, <LoginPage next={safeBack(c.req.query('next'))} />);
  });

  app.post('/login', async (c) => {
    if (!enabled) return notConfigured(c);
    const form = await c.req.parseBody();
    const name = await sessions.nameForToken(typeof form.token === 'string' ? form.token.trim() : '');
    if (!name) {
      c.get('log')?.warn('console sign-in refused');
      setFlash(c, 'err', 'That token is not one this modbot knows. Check it and try again.');
      return c.redirect(`/console/login?next=${encodeURIComponent(safeBack(form.next))}`, 303);
    }
    const { cookie, session } = await sessions.issue(name);
    setCookie(c, SESSION_COOKIE, cookie, {
      path: '/console',
      httpOnly: true,
      sameSite: 'Strict',
      secure: overHttps(c),
      expires: session.expiresAt,
    });
    c.get('log')?.info('console sign-in', { moderator: name });
    return c.redirect(safeBack(form.next), 303);
  });

  // ---- everything else needs a session; every POST its CSRF token ------------------------

  app.use('*', async (c, next) => {
    if (!enabled) return notConfigured(c);
    const session = await sessions.read(getCookie(c, SESSION_COOKIE));
    if (!session) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') {
        const here = c.req.path + (new URL(c.req.url).search || '');
        return c.redirect(`/console/login?next=${encodeURIComponent(safeBack(here))}`, 303);
      }
      return refuse(c, 401, 'You are not signed in (or your session ended): sign in again, then repeat.');
    }
    c.set('session', session);
    const csrf = await sessions.csrfToken(session);
    c.set('csrf', csrf);
    if (c.req.method === 'POST') {
      const form = await c.req.parseBody();
      if (!(await sessions.checkCsrf(session, form._csrf))) {
        c.get('log')?.warn('console form refused: CSRF token missing or wrong', {
          moderator: session.moderator,
          path: c.req.path,
        });
        return refuse(
          c,
          403,
          'This form is out of date or did not come from the console: reload the page and try again.',
        );
      }
    }
    await next();
  });

  app.post('/logout', (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: '/console', secure: overHttps(c) });
    c.get('log')?.info('console sign-out', { moderator: c.get('session').moderator });
    setFlash(c, 'ok', 'Signed out.');
    return c.redirect('/console/login', 303);
  });

  // ---- overview --------------------------------------------------------------------------

  app.get('/', async (c) => {
    const now = new Date();
    const days = lastDays(now, 14);
    const since14 = new Date(`${days[0]}T00:00:00Z`);
    const [perDay, topRules, topAuthors, scores, accounts, queue] = await Promise.all([
      deps.audit.stats('day', { since: since14 }),
      deps.audit.stats('rule', { since: since14 }),
      deps.audit.stats('author', { since: since14 }),
      deps.reads.scoreHistogram(new Date(now.getTime() - 7 * 86_400_000)),
      deps.accounts(),
      deps.audit.reviewQueue({ limit: 99 }),
    ]);
    const health = await deps.reads.queueHealth(accounts.map((a) => a.id));
    return page(
      c,
      { title: 'Overview', section: 'overview' },
      <OverviewPage
        data={{
          days,
          perDay: perDay.rows,
          topRules: topRules.rows,
          topAuthors: topAuthors.rows,
          scores,
          health,
          held: queue.items.length,
          heldMore: queue.nextCursor !== null,
        }}
      />,
    );
  });

  // ---- review queue ----------------------------------------------------------------------

  app.get('/queue', async (c) => {
    const after = c.req.query('after') || undefined;
    const queue = await deps.audit.reviewQueue({ limit: 25, after });
    const entries: QueueEntry[] = await Promise.all(
      queue.items.map(async (item) => {
        const x = item.decisionId ? await deps.audit.getDecision(item.decisionId) : null;
        return { item, why: x ? whyLines(x) : [] };
      }),
    );
    return page(
      c,
      { title: 'Review queue', section: 'queue', script: true },
      <QueuePage entries={entries} csrf={c.get('csrf')} nextCursor={queue.nextCursor} />,
    );
  });

  /** A moderator action from any page: the same use-case as `modbot audit approve|hide|…` and POST /api/actions. */
  app.post('/act', async (c) => {
    const form = await c.req.parseBody();
    const back = safeBack(form.back);
    const wantsJson = (c.req.header('accept') ?? '').includes('application/json');
    const kind = moderatorActionKinds.find((k) => k === form.action);
    const moderator = c.get('session').moderator;
    try {
      if (!kind) throw new AuditInputError(`action is one of ${moderatorActionKinds.join(', ')}`);
      if (typeof form.target !== 'string' || form.target.trim() === '')
        throw new AuditInputError('which comment? (target is missing)');
      const result = await deps.audit.moderate({
        kind,
        target: form.target,
        moderator,
        message: typeof form.message === 'string' && form.message.trim() !== '' ? form.message : undefined,
        note: 'from the console',
      });
      c.get('log')?.info('moderator action', {
        kind: result.kind,
        commentId: result.commentId,
        actor: `moderator:${moderator}`,
      });
      if (wantsJson) return c.json({ ok: true, message: result.message, kind: result.kind }, 200);
      setFlash(c, 'ok', result.message);
      return c.redirect(back, 303);
    } catch (error) {
      const status =
        error instanceof AuditInputError
          ? 400
          : error instanceof TargetNotFound
            ? 404
            : error instanceof ModerationConflict
              ? 409
              : 0;
      if (!status) throw error;
      const message = (error as Error).message;
      if (wantsJson) return c.json({ ok: false, message }, status as 400);
      setFlash(c, 'err', message);
      return c.redirect(back, 303);
    }
  });

  // ---- audit -----------------------------------------------------------------------------

  app.get('/audit', async (c) => {
    const raw: Partial<Record<(typeof filterFields)[number], string>> = {};
    for (const k of filterFields) {
      const v = c.req.query(k);
      if (v !== undefined && v !== '') raw[k] = v.slice(0, 200);
    }
    let error: string | null = null;
    let result: Awaited<ReturnType<typeof deps.audit.listDecisions>> = { items: [], nextCursor: null };
    try {
      const filter = parseAuditFilter(raw);
      result = await deps.audit.listDecisions(filter, {
        limit: 50,
        cursor: c.req.query('cursor') || undefined,
      });
    } catch (e) {
      if (!(e instanceof AuditInputError)) throw e;
      error = e.message;
    }
    return page(
      c,
      { title: 'Audit', section: 'audit' },
      <AuditPage filter={raw} items={result.items} nextCursor={result.nextCursor} error={error} />,
      error ? 400 : 200,
    );
  });

  app.get('/audit/:id', async (c) => {
    let x: Awaited<ReturnType<typeof deps.audit.getDecision>> = null;
    try {
      x = await deps.audit.getDecision(c.req.param('id'));
    } catch (e) {
      if (!(e instanceof AuditInputError)) throw e;
    }
    if (!x)
      return page(
        c,
        { title: 'Not found', section: 'audit' },
        <p class="card">No decision with that id or comment id.</p>,
        404,
      );
    return page(
      c,
      { title: `Decision ${x.id.slice(0, 8)}`, section: 'audit' },
      <DecisionPage x={x} csrf={c.get('csrf')} />,
    );
  });

  // ---- rules -----------------------------------------------------------------------------

  const rulesPage = async (
    c: Context<ConsoleEnv>,
    extra: {
      tried?: Parameters<typeof RulesPage>[0]['tried'];
      tryError?: string;
      backtestResult?: string;
      backtestError?: string;
      backtestInput?: BacktestFormInput;
    } = {},
  ) => {
    const hits = await deps.audit.stats('rule', { since: new Date(Date.now() - 7 * 86_400_000) });
    return page(
      c,
      { title: 'Rules', section: 'rules' },
      <RulesPage
        rules={deps.rules.inForce()}
        hits={new Map(hits.rows.map((r) => [String(r.key), r]))}
        loadErrors={deps.rules.loadErrors()}
        csrf={c.get('csrf')}
        tried={extra.tried ?? null}
        tryError={extra.tryError ?? null}
        backtest={deps.backtest !== undefined}
        backtestResult={extra.backtestResult ?? null}
        backtestError={extra.backtestError ?? null}
        backtestInput={extra.backtestInput ?? null}
      />,
      extra.tryError || extra.backtestError ? 400 : 200,
    );
  };

  app.get('/rules', (c) => rulesPage(c));

  app.post('/rules/try', async (c) => {
    const form = await c.req.parseBody();
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    const kinds = ['comment', 'reply', 'live_comment', 'mention_comment'] as const;
    const input: TryTextInput = {
      text: str(form.text).slice(0, 2200),
      author: str(form.author).trim().replace(/^@/, '') || 'someone',
      kind: kinds.find((k) => k === form.kind) ?? 'comment',
      accountId: str(form.account).trim(),
    };
    if (input.text.trim() === '') return rulesPage(c, { tryError: 'Type a comment text to try.' });
    if (input.accountId && !/^[0-9A-Za-z_-]{1,64}$/.test(input.accountId))
      return rulesPage(c, { tryError: 'account is an Instagram id (digits), or leave it empty' });
    const result = await deps.rules.tryText(input);
    return rulesPage(c, { tried: { input, result } });
  });

  app.post('/rules/backtest', async (c) => {
    if (!deps.backtest) return c.notFound();
    const form = await c.req.parseBody();
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    const since = str(form.since).trim() || '30d';
    const account = str(form.account).trim();
    const upload = form.upload;
    const uploaded = upload instanceof File && upload.size > 0 ? upload : null;
    // A pasted text wins over an uploaded file; the file's name stands in for an empty path.
    const content = str(form.content).trim() !== '' ? str(form.content) : ((await uploaded?.text()) ?? '');
    const path = str(form.path).trim() || uploaded?.name || '';
    const input = { since, account, path, content };
    const refuse = (backtestError: string) => rulesPage(c, { backtestError, backtestInput: input });
    if (!parseTime(since)) return refuse('since: a relative time like 7d or 30d, or a date like 2026-11-01');
    if (account && !/^[0-9A-Za-z_-]{1,64}$/.test(account))
      return refuse('account is an Instagram id (digits), or leave it empty');
    if (content.trim() === '') return refuse('Paste the changed rule file, or choose one to upload.');
    if (!/^[\w./-]{1,200}\.ya?ml$/i.test(path) || path.includes('..'))
      return refuse(
        'file: the name of the rule file it replaces, e.g. rules/spam.yaml (a new name adds a file)',
      );
    try {
      const text = await deps.backtest({
        files: [{ path, content }],
        since,
        account: account || undefined,
        moderator: c.get('session').moderator,
      });
      return rulesPage(c, { backtestResult: text, backtestInput: input });
    } catch (error) {
      if (error instanceof AuditInputError) return refuse(error.message);
      throw error;
    }
  });

  // ---- accounts --------------------------------------------------------------------------

  app.get('/accounts', async (c) => {
    const accounts = await deps.accounts();
    const [health, dead, locks] = await Promise.all([
      deps.reads.queueHealth(accounts.map((a) => a.id)),
      deps.reads.deadLetters(50),
      deps.mediaLock ? deps.mediaLock.list() : Promise.resolve(null),
    ]);
    return page(
      c,
      { title: 'Accounts', section: 'accounts' },
      <AccountsPage
        accounts={accounts}
        health={health}
        dead={dead}
        csrf={c.get('csrf')}
        now={new Date()}
        canRetry={deps.retryDeadLetter !== undefined}
        locks={locks}
      />,
    );
  });

  app.post('/dead-letters/retry', async (c) => {
    if (!deps.retryDeadLetter) return c.notFound();
    const form = await c.req.parseBody();
    const id = Number(form.id);
    if (!Number.isSafeInteger(id) || id < 1)
      return refuse(c, 400, 'id is the number of a dead-lettered event');
    await flashOutcome(c, () => deps.retryDeadLetter!(id, c.get('session').moderator));
    return c.redirect('/console/accounts#dead-letters', 303);
  });

  for (const verb of ['lock', 'unlock'] as const) {
    app.post(`/media/${verb}`, async (c) => {
      const lock = deps.mediaLock;
      if (!lock) return c.notFound();
      const form = await c.req.parseBody();
      const accountId = typeof form.account === 'string' ? form.account.trim() : '';
      const mediaId = typeof form.media === 'string' ? form.media.trim() : '';
      if (!/^[0-9A-Za-z_-]{1,64}$/.test(accountId) || !/^[0-9A-Za-z_-]{1,64}$/.test(mediaId))
        return refuse(c, 400, 'account and media are Instagram ids (digits)');
      await flashOutcome(c, () => lock[verb]({ accountId, mediaId, moderator: c.get('session').moderator }));
      return c.redirect('/console/accounts', 303);
    });
  }

  const flashOutcome = async (c: Context, work: () => Promise<string>) => {
    try {
      setFlash(c, 'ok', await work());
    } catch (error) {
      if (
        !(
          error instanceof AuditInputError ||
          error instanceof ModerationConflict ||
          error instanceof TargetNotFound
        )
      )
        throw error;
      setFlash(c, 'err', error.message);
    }
  };

  const refuse = (c: Context, status: 400 | 401 | 403, message: string) =>
    (c.req.header('accept') ?? '').includes('application/json')
      ? c.json({ ok: false, message }, status)
      : c.html(
          <Layout title="Refused">
            <p class="flash err" role="alert">
              {message}
            </p>
            <p>
              <a href="/console">Back to the console</a>
            </p>
          </Layout>,
          status,
        );

  const notConfigured = (c: Context) =>
    c.html(
      <Layout title="Console off">
        <p class="flash err" role="alert">
          The console is off: set ADMIN_TOKEN or MODERATOR_TOKENS (name:token pairs) and restart modbot.
        </p>
      </Layout>,
      503,
    );

  app.notFound((c) =>
    page(c as Context<ConsoleEnv>, { title: 'Not found' }, <p class="card">No such console page.</p>, 404),
  );
  return app;
}

/** The last `n` UTC days, oldest first, as YYYY-MM-DD. */
function lastDays(now: Date, n: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: n }, (_, i) =>
    new Date(today - (n - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

export type { Section };
