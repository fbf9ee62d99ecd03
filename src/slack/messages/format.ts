import type { Button, KnownBlock } from '@slack/types';

/**
 * Slack mrkdwn helpers. Anything that did not come from this codebase (a requester's note, a milestone name
 * from OpenTrain, an error message) goes through escapeText before it is placed in mrkdwn, so it cannot
 * become a mention, a broadcast such as <!channel>, or a disguised link.
 */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes, then cuts to `max` characters without splitting an entity such as &amp;. */
export function escapeAndTruncate(text: string, max: number): string {
  const escaped = escapeText(text);
  if (escaped.length <= max) return escaped;
  const cut = escaped.slice(0, max - 1);
  const entity = cut.lastIndexOf('&');
  const safe = entity >= 0 && !cut.slice(entity).includes(';') ? cut.slice(0, entity) : cut;
  return `${safe}…`;
}

/** Inline code for ids; backticks inside are dropped because mrkdwn has no way to escape them. */
export function code(text: string): string {
  return `\`${escapeText(text.replace(/`/g, ''))}\``;
}

/** A link whose label is escaped; the URL must be one we trust (OpenTrain's approvalUrl, a Slack permalink). */
export function link(url: string, label: string): string {
  return `<${url.replace(/[<>|]/g, encodeURIComponent)}|${escapeText(label).replace(/\|/g, '¦')}>`;
}

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Mon 15 Jun 2026 10:00 UTC": what clients that cannot render date tokens show. Spelled by hand: ICU output varies. */
export function utcText(date: Date): string {
  const time = `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
  return `${weekdays[date.getUTCDay()]} ${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${time} UTC`;
}

/**
 * A Slack date token: each reader sees the time in their own timezone and locale, with "today"/"tomorrow"
 * where it applies. The UTC text is the fallback for notifications and old clients.
 */
export function dateToken(date: Date, format = '{date_short_pretty} at {time}'): string {
  return `<!date^${Math.floor(date.getTime() / 1_000)}^${format}|${utcText(date)}>`;
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

export function money(amountUsd: number): string {
  return usd.format(amountUsd);
}

export function mention(userId: string): string {
  return `<@${userId.replace(/[^A-Z0-9]/gi, '')}>`;
}

export function approverMention(approver: { kind: 'user' | 'usergroup'; id: string }): string {
  const id = approver.id.replace(/[^A-Z0-9]/gi, '');
  return approver.kind === 'user' ? `<@${id}>` : `<!subteam^${id}>`;
}

export function channelMention(channelId: string): string {
  return `<#${channelId.replace(/[^A-Z0-9]/gi, '')}>`;
}

/** Every approval link button shares this action id; the click is acked and audited (slack/listeners/actions). */
export const openApprovalActionId = 'open_approval';

/**
 * The button that opens an approval in OpenTrain: the one way an approval link is shown. A link longer than
 * Slack allows in a button (3,000 characters) gets no button rather than a broken message.
 */
export function approvalButton(
  approval: { readonly id: string; readonly approvalUrl: string },
  label: string,
  options: { readonly style?: 'primary' } = { style: 'primary' },
): Button | undefined {
  if (approval.approvalUrl.length > 3_000) return undefined;
  return {
    type: 'button',
    action_id: openApprovalActionId,
    text: { type: 'plain_text', text: label.slice(0, 75) },
    url: approval.approvalUrl,
    value: approval.id.slice(0, 2_000),
    ...(options.style === undefined ? {} : { style: options.style }),
  };
}

/** An actions block holding the approval button, or nothing when the link cannot be a button. */
export function approvalActions(
  approval: { readonly id: string; readonly approvalUrl: string },
  label: string,
  blockId?: string,
): KnownBlock[] {
  const button = approvalButton(approval, label);
  if (button === undefined) return [];
  return [
    {
      type: 'actions',
      ...(blockId === undefined ? {} : { block_id: blockId.slice(0, 255) }),
      elements: [button],
    },
  ];
}

/** One mrkdwn section. */
export function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

/** A quiet line under a message: references such as an approval id or OpenTrain's request id. */
export function contextLine(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}
