/**
 * What modbot tells people when something needs them (issue 14): a flood or lockdown fired, an
 * account needs re-authorisation, dead letters are waiting, the review queue is long. The port
 * the use-cases and the composition root call, the notices and their words. Pure: the HTTP
 * adapter is ./webhook.ts.
 *
 * `notify` never throws and never waits: telling people must never hold up moderation.
 */

export type Notice =
  /** Comments were turned off on a media (a rule's lockdown). */
  | {
      readonly kind: 'lockdown';
      readonly accountId: string;
      readonly mediaId: string;
      readonly ruleId: string;
      readonly reason: string | null;
      readonly forSeconds: number;
    }
  /** A flood rule (one that counts the same text across the account) acted on a comment. */
  | {
      readonly kind: 'flood';
      readonly accountId: string;
      readonly mediaId: string | null;
      readonly ruleId: string;
      readonly action: string;
      readonly commentId: string | null;
    }
  | { readonly kind: 'reauth_needed'; readonly accountId: string; readonly reason: string | null }
  | { readonly kind: 'dead_letters'; readonly count: number }
  | { readonly kind: 'review_queue'; readonly count: number; readonly over: number };

export interface Notifier {
  notify(notice: Notice): void;
  /** Sends what is waiting now (shutdown, tests); resolves when done or given up. */
  flush(): Promise<void>;
}

export const silentNotifier: Notifier = {
  notify: () => {},
  flush: async () => {},
};

/** Notices about the same thing merge into one line: this is what makes them the same. */
export function noticeKey(n: Notice): string {
  switch (n.kind) {
    case 'lockdown':
      return `lockdown:${n.accountId}:${n.mediaId}`;
    case 'flood':
      return `flood:${n.accountId}:${n.mediaId ?? '-'}:${n.ruleId}:${n.action}`;
    case 'reauth_needed':
      return `reauth:${n.accountId}`;
    case 'dead_letters':
      return 'dead_letters';
    case 'review_queue':
      return 'review_queue';
  }
}

const span = (seconds: number) =>
  seconds % 3600 === 0 ? `${seconds / 3600}h` : seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;

const pastTense: Record<string, string> = { hide: 'hid', delete: 'deleted', review: 'held for review' };

/**
 * One line for people: which account and media, what modbot did, how to undo it. `times` is
 * how many notices merged into it (the last one's details are shown).
 */
export function noticeText(n: Notice, times = 1): string {
  switch (n.kind) {
    case 'lockdown':
      return (
        `Lockdown: comments turned off for ${span(n.forSeconds)} on media ${n.mediaId} (account ${n.accountId}) ` +
        `by rule ${n.ruleId}${n.reason ? ` (${n.reason})` : ''}; they come back on by themselves. ` +
        `Undo now: modbot media unlock ${n.mediaId} --account ${n.accountId} (or POST /api/media/${n.mediaId}/unlock)`
      );
    case 'flood': {
      const what = `${pastTense[n.action] ?? n.action} ${times === 1 ? 'a comment' : `${times} comments`}`;
      const latest = n.commentId ? ` (latest: ${n.commentId})` : '';
      const undo =
        n.action === 'delete'
          ? 'a deleted comment cannot be restored'
          : n.action === 'review'
            ? 'approve or hide them: modbot audit queue'
            : `undo one: modbot audit unhide <comment id>${latest}`;
      return (
        `Flood: rule ${n.ruleId} ${what} on ${n.mediaId ? `media ${n.mediaId}` : 'a media'} (account ${n.accountId}); ` +
        `${undo}; lock the post: modbot media lock ${n.mediaId ?? '<media id>'} --account ${n.accountId} --for 2h`
      );
    }
    case 'reauth_needed':
      return (
        `Account ${n.accountId} needs re-authorisation${n.reason ? ` (${n.reason})` : ''}: its actions wait. ` +
        `Fix: modbot accounts add --id ${n.accountId} with a new token`
      );
    case 'dead_letters':
      return `${n.count} event(s) failed every attempt and wait as dead letters (inbox rows with status dead; last_error says why)`;
    case 'review_queue':
      return `The review queue holds ${n.count} comments (more than ${n.over}): modbot audit queue`;
  }
}
