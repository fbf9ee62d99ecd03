import type { Conversations } from './conversations.js';
import type { FakeMessage } from './types.js';

/** Where one message that carries a key is. */
export interface TalliedMessage {
  channel: string;
  ts: string;
  /** Set on thread replies: the parent's ts. */
  threadTs?: string;
}

/** How many messages carry one value of `metadata.event_payload[field]`. */
export interface MetadataTally {
  key: string;
  /** Top-level messages carrying the key. */
  topLevel: number;
  /** Thread replies carrying it (a reply broadcast to the channel is still one reply). */
  replies: number;
  messages: TalliedMessage[];
}

/**
 * Counts, for each value the bot put in `metadata.event_payload[field]`, the messages that carry it now: every
 * channel and DM, top-level messages and thread replies, each message once. Only the message's current metadata
 * counts (chat.update can replace it), and a deleted message no longer counts. So "nothing was posted twice" is
 * `tally.every((entry) => entry.topLevel + entry.replies === 1)`. Values that are not strings or numbers are
 * skipped: they cannot be keys.
 */
export function tallyMetadata(
  channelIds: readonly string[],
  conversations: Conversations,
  field: string,
): MetadataTally[] {
  const byKey = new Map<string, MetadataTally>();
  const count = (message: FakeMessage, isReply: boolean) => {
    const value = message.metadata?.event_payload[field];
    if (typeof value !== 'string' && typeof value !== 'number') return;
    const key = String(value);
    const entry = byKey.get(key) ?? { key, topLevel: 0, replies: 0, messages: [] };
    if (isReply) entry.replies += 1;
    else entry.topLevel += 1;
    entry.messages.push({
      channel: message.channel,
      ts: message.ts,
      ...(message.threadTs === undefined ? {} : { threadTs: message.threadTs }),
    });
    byKey.set(key, entry);
  };
  for (const channel of channelIds) {
    for (const message of conversations.topLevel(channel)) {
      count(message, false);
      for (const reply of message.replies) count(reply, true);
    }
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
