/**
 * `modbot simulate`: sends a correctly signed sample webhook to a running modbot, so a newcomer
 * sees an event arrive without a Meta app.
 */
import type { Command } from 'commander';
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
}

export function sampleCommentPayload(o: SimulateOptions, now = Date.now()): object {
  const commentId = o.comment ?? `179${String(now).slice(-10)}${Math.floor(Math.random() * 1e4)}`;
  const value =
    o.field === 'mentions'
      ? { comment_id: commentId, media_id: o.media }
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
    .option('--url <url>', 'where modbot listens (default: http://HOST:PORT from the environment)')
    .action(async (options: SimulateOptions) => {
      const env = envOrExit();
      const secret =
        env.META_APP_SECRET ?? env.INSTAGRAM_APP_SECRET ?? readDevSecrets(env.MODBOT_DATA_DIR)?.appSecret;
      if (!secret) {
        console.error(
          `No app secret to sign with: set META_APP_SECRET, or start modbot once in dry run (it creates ${env.MODBOT_DATA_DIR}/dev-secrets.json).`,
        );
        process.exit(1);
      }
      const url = `${options.url ?? `http://${env.HOST}:${env.PORT}`}/webhooks/instagram`;
      const body = JSON.stringify(sampleCommentPayload(options));
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
      console.log(`POST ${url} → ${response.status}`);
      console.log(await response.text());
      if (!response.ok) process.exit(1);
    });
}
