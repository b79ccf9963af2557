/**
 * Where `modbot audit` reaches the audit log: the database (dbBackend; the embedded one through
 * the running server when it runs), or a modbot's admin API (apiBackend, tests); and
 * withAuditBackend, which opens one, runs a command on it, closes it and turns the audit log's
 * errors into exit codes.
 */
import { AuditInputError, parseAuditFilter, type StatsDimension } from '../../audit/filters.js';
import type { MediaLockRequest, MediaLockResult, mediaLockHistory } from '../../audit/lock-media.js';
import {
  ModerationConflict,
  type ModeratorRequest,
  type ModeratorResult,
  moderatorActor,
  type reviewQueue,
  TargetNotFound,
} from '../../audit/moderator-action.js';
import type { DecisionDetail, DecisionPage, Stats } from '../../audit/query.js';
import { type AuditConnection, openAuditLog } from '../../runtime/commands.js';
import { envOrExit } from '../env.js';

/** What the commands need, from the database directly or through a running server's /api. */
export interface AuditBackend {
  list(
    raw: Record<string, string | undefined>,
    limit: number,
    cursor: string | undefined,
  ): Promise<DecisionPage>;
  show(id: string): Promise<DecisionDetail | null>;
  stats(by: StatsDimension, raw: Record<string, string | undefined>): Promise<Stats>;
  queue(o: {
    account?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  }): Promise<Awaited<ReturnType<typeof reviewQueue>>>;
  moderate(r: ModeratorRequest): Promise<ModeratorResult>;
  /** Lock (comments off) or unlock a media by hand (`modbot media`). */
  media(kind: 'lock' | 'unlock', r: MediaLockRequest): Promise<MediaLockResult>;
  mediaLocks(mediaId: string, accountId?: string): Promise<Awaited<ReturnType<typeof mediaLockHistory>>>;
  erase(
    userId: string,
    moderator: string,
  ): Promise<{ confirmationCode: string; status: string; counts: Record<string, number | undefined> }>;
  retention(days: number): Promise<{ cutoff: string; counts: Record<string, number | undefined> }>;
  /** Where a comment without a decision stands in the inbox (database backend only). */
  undecided?(
    commentId: string,
  ): Promise<
    { id: number; status: string; attempts: number; lastError: string | null; nextAttemptAt: string }[]
  >;
  /** Whether any decision names this rule (database backend only). */
  ruleNamed?(rule: string): Promise<boolean>;
  /** How many events were dead-lettered without a decision (database backend only). */
  deadCount?(): Promise<number>;
  close(): Promise<void>;
}

export function dbBackend({ audit, close }: AuditConnection): AuditBackend {
  return {
    list: (raw, limit, cursor) => audit.listDecisions(parseAuditFilter(raw), { limit, cursor }),
    show: (id) => audit.getDecision(id),
    stats: (by, raw) => audit.stats(by, parseAuditFilter(raw)),
    queue: (o) => audit.reviewQueue({ account: o.account, limit: o.limit, after: o.cursor }),
    moderate: (r) => audit.moderate(r),
    media: (kind, r) => (kind === 'lock' ? audit.lockMedia(r) : audit.unlockMedia(r)),
    mediaLocks: (mediaId, accountId) => audit.mediaLockHistory({ mediaId, accountId }),
    erase: (userId, moderator) =>
      audit.eraseSubject({ userId, kind: 'operator', requestedBy: moderatorActor(moderator) }),
    retention: (days) => audit.runRetention(days),
    undecided: (commentId) =>
      /^[0-9A-Za-z_-]{1,64}$/.test(commentId) ? audit.inboxStateOfComment(commentId) : Promise.resolve([]),
    ruleNamed: (rule) => audit.decisionsNameRule(rule),
    deadCount: async () => (await audit.deadLetters({ limit: 1 })).total,
    close,
  };
}

/** The same commands through a modbot's admin API. */
export function apiBackend(baseUrl: string, token: string, fetcher: typeof fetch = fetch): AuditBackend {
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await fetcher(`${baseUrl}/api${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json().catch(() => ({}))) as { message?: string };
    if (res.ok) return json as T;
    const message = json.message ?? `HTTP ${res.status}`;
    if (res.status === 400) throw new AuditInputError(message);
    if (res.status === 404) throw new TargetNotFound(message);
    if (res.status === 409) throw new ModerationConflict(message);
    if (res.status === 401)
      throw new AuditInputError('the server refused ADMIN_TOKEN: use the same value as the running modbot');
    throw new Error(`modbot API ${method} ${path}: ${message}`);
  };
  const qs = (params: Record<string, string | number | undefined>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
    const t = q.toString();
    return t ? `?${t}` : '';
  };
  return {
    list: (raw, limit, cursor) => call('GET', `/decisions${qs({ ...raw, limit, cursor })}`),
    show: async (id) => {
      try {
        return await call<DecisionDetail>('GET', `/decisions/${encodeURIComponent(id)}`);
      } catch (error) {
        if (error instanceof TargetNotFound) return null;
        throw error;
      }
    },
    stats: (by, raw) => call('GET', `/stats${qs({ by, ...raw })}`),
    queue: (o) => call('GET', `/review-queue${qs({ account: o.account, limit: o.limit, cursor: o.cursor })}`),
    moderate: (r) =>
      call('POST', '/actions', {
        action: r.kind,
        target: r.target,
        moderator: r.moderator,
        message: r.message,
        note: r.note,
      }),
    media: (kind, r) =>
      call('POST', `/media/${encodeURIComponent(r.mediaId)}/${kind}`, {
        moderator: r.moderator,
        account: r.accountId,
        note: r.note,
        ...(kind === 'lock' ? { for: r.for } : {}),
      }),
    mediaLocks: (mediaId, accountId) =>
      call('GET', `/media/${encodeURIComponent(mediaId)}/locks${qs({ account: accountId })}`),
    erase: (userId, moderator) => call('POST', '/erasures', { author: userId, moderator }),
    retention: () => call('POST', '/retention/run', {}),
    close: async () => {},
  };
}

/**
 * How commands reach the audit log: the database (DATABASE_URL, or the embedded one, through
 * the running server's socket when it runs). Tests pass their own.
 */
let openBackend: (writes: boolean) => Promise<AuditBackend> = async () =>
  dbBackend(await openAuditLog(envOrExit()));

/** Tests: reach the audit log their own way (their database, or a fake server's API). */
export function setBackendOpener(open: (writes: boolean) => Promise<AuditBackend>): void {
  openBackend = open;
}

/** Opens the audit log, runs `fn`, closes; input mistakes exit 2 with the message, conflicts exit 1. */
export async function withAuditBackend(
  fn: (b: AuditBackend) => Promise<void>,
  writes = false,
): Promise<void> {
  let database: AuditBackend | undefined;
  try {
    database = await openBackend(writes);
    await fn(database);
  } catch (error) {
    if (error instanceof AuditInputError) {
      console.error(`modbot audit: ${error.message}`);
      process.exitCode = 2;
    } else if (error instanceof ModerationConflict || error instanceof TargetNotFound) {
      console.error(`modbot audit: ${error.message}`);
      process.exitCode = 1;
    } else throw error;
  } finally {
    await database?.close();
  }
}
