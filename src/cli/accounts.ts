/**
 * `modbot accounts add|list|remove|refresh`: the Instagram accounts modbot acts for.
 * Tokens are read from standard input by default (not the command line, which shells keep in
 * their history) and stored encrypted (MODBOT_ENCRYPTION_KEY).
 */
import type { Command } from 'commander';
import { refreshTokens } from '../accounts/refresh.js';
import { EncryptionKeyError } from '../accounts/token-crypto.js';
import { table } from '../audit/format.js';
import { undiciFetch } from '../graph/node-http.js';
import { withDatabase } from '../runtime/commands.js';
import { accountStoreFromEnv, graphClientFromEnv } from '../runtime/create-runtime.js';
import { envOrExit } from './env.js';

/** Table columns headed by their keys. */
const columns = (...keys: string[]) => keys.map((key) => ({ key, title: key }));

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

export function registerAccounts(program: Command): void {
  const accounts = program
    .command('accounts')
    .description('the Instagram professional accounts modbot acts for');

  accounts
    .command('add')
    .description('add or update an account; the access token is read from standard input')
    .requiredOption('--id <ig-user-id>', 'the Instagram professional account id (the webhook entry.id)')
    .option('--username <name>', "the account's username (recognises our own replies)")
    .option(
      '--login-type <type>',
      'instagram (graph.instagram.com) or facebook (graph.facebook.com)',
      'instagram',
    )
    .option('--expires-in-days <days>', 'token lifetime (Instagram Login long-lived tokens: 60)')
    .option('--token <token>', 'the access token (prefer standard input: shells keep arguments in history)')
    .action(
      async (o: {
        id: string;
        username?: string;
        loginType: string;
        expiresInDays?: string;
        token?: string;
      }) => {
        const env = envOrExit();
        if (o.loginType !== 'instagram' && o.loginType !== 'facebook')
          fail('--login-type must be instagram or facebook');
        if (!/^\d+$/.test(o.id)) fail(`--id must be the numeric Instagram account id, got "${o.id}"`);
        const token = o.token ?? (process.stdin.isTTY ? '' : await readStdin());
        if (!token)
          fail('no access token: pipe it in, e.g.  pbpaste | npm run modbot -- accounts add --id 1784...');
        const days =
          o.expiresInDays === undefined
            ? o.loginType === 'instagram'
              ? 60
              : undefined
            : Number(o.expiresInDays);
        if (days !== undefined && !(days > 0)) fail('--expires-in-days must be a positive number');
        await withDatabase(env, async (database) => {
          try {
            await accountStoreFromEnv(env, database).add({
              id: o.id,
              username: o.username?.replace(/^@/, '') ?? null,
              loginType: o.loginType as 'instagram' | 'facebook',
              accessToken: token,
              expiresAt: days === undefined ? null : new Date(Date.now() + days * 24 * 3600_000),
            });
          } catch (error) {
            if (error instanceof EncryptionKeyError) fail(error.message);
            throw error;
          }
        });
        console.log(`account ${o.id} saved (token encrypted at rest)`);
      },
    );

  accounts
    .command('list')
    .description('list accounts, their token expiry and status (tokens are never shown)')
    .option('--json', 'one JSON array')
    .action(async (o: { json?: boolean }) => {
      const env = envOrExit();
      const list = await withDatabase(env, (database) => accountStoreFromEnv(env, database).list());
      if (o.json) {
        console.log(JSON.stringify(list));
        return;
      }
      if (list.length === 0) {
        console.log(
          'no accounts yet: add one with  npm run modbot -- accounts add --id <ig-user-id>  (token on stdin)',
        );
        return;
      }
      const rows = list.map((a) => ({
        id: a.id,
        username: a.username ?? '',
        login: a.loginType,
        token: a.hasToken ? 'yes' : 'no',
        expires: a.tokenExpiresAt?.toISOString().slice(0, 10) ?? '',
        status: a.status + (a.statusReason ? ` (${a.statusReason.slice(0, 60)})` : ''),
        paused_until: a.pausedUntil && a.pausedUntil > new Date() ? a.pausedUntil.toISOString() : '',
        source: a.source,
      }));
      console.log(
        table(
          rows,
          columns('id', 'username', 'login', 'token', 'expires', 'status', 'paused_until', 'source'),
        ),
      );
    });

  accounts
    .command('remove')
    .description('remove an account and its token (its audit history stays)')
    .argument('<id>', 'the Instagram account id')
    .action(async (id: string) => {
      const env = envOrExit();
      const removed = await withDatabase(env, (database) => accountStoreFromEnv(env, database).remove(id));
      if (!removed) fail(`no account ${id}`);
      console.log(`account ${id} removed`);
    });

  accounts
    .command('refresh')
    .description(
      'refresh Instagram Login tokens that expire within 30 days (run daily; modbot also does it on its own)',
    )
    .option('--id <ig-user-id>', 'only this account')
    .option('--force', 'refresh even when not due')
    .action(async (o: { id?: string; force?: boolean }) => {
      const env = envOrExit();
      const results = await withDatabase(env, (database) =>
        refreshTokens(accountStoreFromEnv(env, database), graphClientFromEnv(env, undiciFetch), {
          ...(o.id ? { onlyId: o.id } : {}),
          ...(o.force ? { force: true } : {}),
        }),
      );
      if (results.length === 0) console.log('no accounts to refresh');
      else
        console.log(
          table(
            results.map((r) => ({ account: r.accountId, result: r.result, detail: r.detail })),
            columns('account', 'result', 'detail'),
          ),
        );
      if (results.some((r) => r.result === 'failed')) process.exitCode = 1;
    });
}
