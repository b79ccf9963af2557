/**
 * Instagram-Login long-lived tokens last 60 days and can be refreshed once they are at least 24 h
 * old and not yet expired (docs/meta-platform.md#tokens). An expired one cannot: so refresh well before.
 * Facebook-Login Page tokens do not expire on a schedule and are skipped.
 */
import type { GraphClient } from '../graph/client.js';
import type { AccountStore } from './store.js';

export interface RefreshOutcome {
  readonly accountId: string;
  readonly result: 'refreshed' | 'not_due' | 'skipped' | 'failed';
  readonly detail: string;
  readonly expiresAt?: Date;
}

const day = 24 * 3600_000;

export async function refreshTokens(
  store: AccountStore,
  graph: Pick<GraphClient, 'refreshInstagramToken'>,
  options: { onlyId?: string; force?: boolean; refreshWithinDays?: number; now?: Date } = {},
): Promise<RefreshOutcome[]> {
  const now = options.now ?? new Date();
  const within = (options.refreshWithinDays ?? 30) * day;
  const out: RefreshOutcome[] = [];
  for (const account of await store.list()) {
    if (options.onlyId && account.id !== options.onlyId) continue;
    const skip = (detail: string) => out.push({ accountId: account.id, result: 'skipped', detail });
    if (account.source === 'environment') {
      skip('token comes from IG_ACCESS_TOKEN: refresh it where it is configured');
      continue;
    }
    if (account.loginType !== 'instagram') {
      skip('Facebook Login page tokens do not expire on a schedule');
      continue;
    }
    if (!account.hasToken) {
      skip('no token stored');
      continue;
    }
    if (account.tokenExpiresAt && account.tokenExpiresAt.getTime() <= now.getTime()) {
      out.push({
        accountId: account.id,
        result: 'failed',
        detail: 'token already expired: log in again and run `modbot accounts add`',
      });
      continue;
    }
    const due =
      options.force || !account.tokenExpiresAt || account.tokenExpiresAt.getTime() - now.getTime() <= within;
    if (!due) {
      out.push({
        accountId: account.id,
        result: 'not_due',
        detail: `expires ${account.tokenExpiresAt?.toISOString()}`,
      });
      continue;
    }
    const credentials = await store.credentials(account.id);
    if (!credentials) {
      skip('no usable token');
      continue;
    }
    const refreshed = await graph.refreshInstagramToken(credentials.accessToken);
    if (!refreshed.ok) {
      if (refreshed.error.kind === 'token')
        await store.setStatus(account.id, 'reauth_needed', refreshed.error.message);
      out.push({
        accountId: account.id,
        result: 'failed',
        detail: `${refreshed.error.kind}: ${refreshed.error.message}`,
      });
      continue;
    }
    const expiresAt = new Date(now.getTime() + refreshed.value.expiresIn * 1000);
    await store.setToken(account.id, refreshed.value.accessToken, expiresAt);
    out.push({
      accountId: account.id,
      result: 'refreshed',
      detail: `new token expires ${expiresAt.toISOString()}`,
      expiresAt,
    });
  }
  return out;
}
