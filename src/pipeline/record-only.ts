/**
 * The handler used until moderation is wired in: it logs the event and marks it processed.
 */
import type { Logger } from '../log.js';
import type { InboxHandler } from '../queue/process.js';

export function recordOnlyHandler(logger: Logger): InboxHandler {
  return async (item) => {
    logger.info('event received', {
      inboxId: item.id,
      kind: item.kind,
      accountId: item.accountId,
      commentId: item.event.commentId,
      fromSelf: item.event.fromSelf,
    });
    return { outcome: 'done' };
  };
}
