/** Webhook bodies as Meta sends them (plain data: usable on Node and inside workerd). */

/** A comment webhook body the way Meta sends it (one entry, one change per comment id). */
export function commentPayload(
  commentIds: string[],
  options: { account?: string; text?: string; time?: number; field?: string } = {},
): string {
  return JSON.stringify({
    object: 'instagram',
    entry: [
      {
        id: options.account ?? '17841400000000001',
        time: options.time ?? 1767225600,
        changes: commentIds.map((id) => ({
          field: options.field ?? 'comments',
          value: {
            id,
            text: options.text ?? 'great post',
            from: { id: '6000000000000003', username: 'some_user' },
            media: { id: '18000000000000004', media_product_type: 'FEED' },
          },
        })),
      },
    ],
  });
}

/** A `comments` webhook body for one comment, as Meta sends it (`value` is the change's value). */
export function commentWebhook(account: string, value: Record<string, unknown>, time = 1767225600): string {
  return JSON.stringify({
    object: 'instagram',
    entry: [{ id: account, time, changes: [{ field: 'comments', value }] }],
  });
}
