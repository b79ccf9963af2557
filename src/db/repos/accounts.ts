/**
 * SQL for the accounts table: the rows behind the account store (src/accounts/store.ts, which
 * keeps the caching, the token encryption and the environment's account) and the disconnection
 * that erasure and deauthorization ask for. Tokens arrive and leave encrypted.
 */
import { eq, sql } from 'drizzle-orm';
import type { AccountRecord, AccountsRepo } from '../../accounts/ports.js';
import type { Database } from '../client.js';
import { accounts } from '../schema/accounts.js';

/** `db` may be a transaction (erasure disconnects an account in the same one). */
export function createAccountsRepo(db: Database): AccountsRepo {
  /**
   * A token for an account that had none usable (reauth_needed, disconnected) ends the wait of
   * its actions: those put off meanwhile (a 190 token error puts them off for 15 minutes) are due
   * now. Run before the account turns active, so a routine refresh of a working token moves
   * nothing; a throttling pause still holds (the claim checks it).
   */
  const wakeActionsWaitingForToken = async (id: string) => {
    await db.execute(
      sql`update actions set next_attempt_at = now(), updated_at = now()
          where account_id = ${id} and status = 'planned' and next_attempt_at > now()
            and exists (select 1 from accounts where accounts.id = ${id} and accounts.status <> 'active')`,
    );
  };

  const record = (row: typeof accounts.$inferSelect): AccountRecord => ({
    id: row.id,
    username: row.username,
    loginType: row.loginType,
    accessTokenEncrypted: row.accessTokenEncrypted,
    tokenExpiresAt: row.tokenExpiresAt,
    status: row.status,
    statusReason: row.statusReason,
    pausedUntil: row.pausedUntil,
  });

  return {
    async list() {
      return (await db.select().from(accounts).orderBy(accounts.id)).map(record);
    },
    async find(id) {
      const [row] = await db.select().from(accounts).where(eq(accounts.id, id));
      return row ? record(row) : null;
    },
    async addIfMissing(account) {
      await db
        .insert(accounts)
        .values({ id: account.id, username: account.username, loginType: account.loginType })
        .onConflictDoNothing({ target: accounts.id });
    },
    async upsert(account) {
      await wakeActionsWaitingForToken(account.id);
      await db
        .insert(accounts)
        .values({
          id: account.id,
          username: account.username,
          loginType: account.loginType,
          accessTokenEncrypted: account.accessTokenEncrypted,
          tokenExpiresAt: account.tokenExpiresAt,
          tokenRefreshedAt: sql`now()`,
          status: 'active',
        })
        .onConflictDoUpdate({
          target: accounts.id,
          set: {
            username: account.username,
            loginType: account.loginType,
            accessTokenEncrypted: account.accessTokenEncrypted,
            tokenExpiresAt: account.tokenExpiresAt,
            tokenRefreshedAt: sql`now()`,
            status: 'active',
            statusReason: null,
            pausedUntil: null,
            updatedAt: sql`now()`,
          },
        });
    },
    async remove(id) {
      const rows = await db.delete(accounts).where(eq(accounts.id, id)).returning({ id: accounts.id });
      return rows.length > 0;
    },
    async setToken(id, accessTokenEncrypted, tokenExpiresAt) {
      await wakeActionsWaitingForToken(id);
      await db
        .update(accounts)
        .set({
          accessTokenEncrypted,
          tokenExpiresAt,
          tokenRefreshedAt: sql`now()`,
          status: 'active',
          statusReason: null,
          updatedAt: sql`now()`,
        })
        .where(eq(accounts.id, id));
    },
    async setStatus(id, status, reason) {
      await db
        .update(accounts)
        .set({ status, statusReason: reason, updatedAt: sql`now()` })
        .where(eq(accounts.id, id));
    },
    async pause(id, until) {
      await db.update(accounts).set({ pausedUntil: until, updatedAt: sql`now()` }).where(eq(accounts.id, id));
    },
    async disconnect(id, reason, forget) {
      const rows = await db
        .update(accounts)
        .set({
          accessTokenEncrypted: null,
          ...(forget === 'username' ? { username: null } : { tokenExpiresAt: null }),
          status: 'disconnected',
          statusReason: reason,
          updatedAt: new Date(),
        })
        .where(eq(accounts.id, id))
        .returning({ id: accounts.id });
      return rows.length > 0;
    },
  };
}
