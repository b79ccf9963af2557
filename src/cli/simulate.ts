/**
 * `modbot simulate`: sends a correctly signed sample webhook to a running modbot, so a newcomer
 * sees an event arrive without a Meta app, then waits for its decision and says what it was and
 * which command tells why.
 */
import type { Command } from 'commander';
import { openAuditLog, runningServerUrl } from '../runtime/commands.js';
import { readDevSecrets } from '../runtime/dev-secrets.js';
import { signBody } from '../webhook/verify.js';
import { envOrExit } from './env.js';

interface SimulateOptions {
  text: string;
  username: string;
  authorId: string;
  account: string;
  media: string;
  comment?: string;
  replyTo?: string;
  field: 'comments' | 'live_comments' | 'mentions';
  productType: string;
  url?: string;
  /** Seconds to wait for the decision; false (--no-wait): do not wait. */
  wait: string | false;
}

export function newCommentId(now = Date.now()): string {
  return `179${String(now).slice(-10)}${Math.floor(Math.random() * 1e4)}`;
}

export function sampleCommentPayload(
  o: Omit<SimulateOptions, 'wait'>,
  now = Date.now(),
): { object: string; entry: object[] } {
  const commentId = o.comment ?? newCommentId(now);
  const value =
    o.field === 'mentions'
      ? // Meta's mention carries ids only; `text` is the simulation's: modbot reads it only when
        // it has no token to read the mention from Instagram (and the decision says so).
        { comment_id: commentId, media_id: o.media, text: o.text }
      : {
          id: commentId,
          text: o.text,
          from: { id: o.authorId, username: o.username },
          media: { id: o.media, media_product_type: o.productType },
          ...(o.replyTo ? { parent_id: o.replyTo } : {}),
        };
  return {
    object: 'instagram',
    entry: [{ id: o.account, time: Math.floor(now / 1000), changes: [{ field: o.field, value }] }],
  };
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('send a signed sample comment webhook to a running modbot')
    .option('--text <text>', 'the comment text', 'I made $32k thanks to @finance.with.ava_ DM her now')
    .option('--username <name>', "the commenter's username", 'sample_user')
    .option('--author-id <id>', "the commenter's id", '6000000000000003')
    .option('--account <id>', 'the Instagram professional account id', '17841400000000001')
    .option('--media <id>', 'the media id', '18000000000000004')
    .option('--comment <id>', 'the comment id (default: a new one each time; reuse one to see deduplication)')
    .option('--reply-to <id>', 'make it a reply to this comment id')
    .option('--field <field>', 'comments, live_comments or mentions', 'comments')
    .option('--product-type <type>', 'FEED, REELS, STORY or AD', 'FEED')
    .option(
      '--url <url>',
      'where modbot listens (default: the server running on MODBOT_DATA_DIR, else http://HOST:PORT)',
    )
    .option('--wait <seconds>', 'how long to wait for the decision', '30')
    .option('--no-wait', 'do not wait for the decision')
    .action(async (options: SimulateOptions) => {
      const env = envOrExit();
      const commentId = options.comment ?? newCommentId();
      const secret =
        env.META_APP_SECRET ?? env.INSTAGRAM_APP_SECRET ?? readDevSecrets(env.MODBOT_DATA_DIR)?.appSecret;
      if (!secret) {
        console.error(
          `No app secret to sign with: set META_APP_SECRET, or start modbot once in dry run (it creates ${env.MODBOT_DATA_DIR}/dev-secrets.json).`,
        );
        process.exit(1);
      }
      const base = options.url ?? runningServerUrl(env) ?? `http://${env.HOST}:${env.PORT}`;
      const url = `${base.replace(/\/$/, '')}/webhooks/instagram`;
      const body = JSON.stringify(sampleCommentPayload({ ...options, comment: commentId }));
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-hub-signature-256': await signBody(body, secret),
          },
          body,
        });
      } catch (error) {
        console.error(
          `Could not reach modbot at ${url} (${(error as Error).message}). Is it running? Start it with: npm start`,
        );
        process.exit(1);
      }
      console.log(`comment ${commentId} (${options.field}) sent: POST ${url} → ${response.status}`);
      const answer = await response.text();
      if (!response.ok) {
        console.log(answer);
        process.exit(1);
      }
      if (options.wait === false) return;
      const seconds = Number(options.wait);
      if (!Number.isFinite(seconds) || seconds <= 0) {
        console.error(`--wait: expected a number of seconds, got "${options.wait}"`);
        process.exit(2);
      }
      await waitAndPrintDecision(env, commentId, seconds * 1000);
    });
}

/** Polls the audit log for the comment's decision and prints it with the command to ask why. */
async function waitAndPrintDecision(env: ReturnType<typeof envOrExit>, commentId: string, waitMs: number) {
  const { audit, close } = await openAuditLog(env);
  try {
    const giveUpAt = Date.now() + waitMs;
    for (;;) {
      const decision = await audit.getDecision(commentId);
      if (decision) {
        const rule = decision.decidingRule ?? '(no rule fired)';
        console.log(
          `decided: ${decision.action} by ${rule}${decision.dryRun ? ' (dry run: nothing done on Instagram)' : ''}`,
        );
        const notes = (decision.detail as { notes?: unknown } | null)?.notes;
        if (Array.isArray(notes)) for (const note of notes) console.log(`  note: ${String(note)}`);
        console.log(`why:     npm run modbot -- audit show ${commentId}`);
        return;
      }
      if (Date.now() > giveUpAt) {
        console.log(
          `no decision after ${Math.round(waitMs / 1000)} s; it may be waiting for a retry or dead-lettered: npm run modbot -- inbox dead`,
        );
        process.exitCode = 1;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await close();
  }
}
