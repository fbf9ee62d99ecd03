import type { TrackedApproval } from '../domain/approval.js';
import type { Direct, EffectKey, Notice, Reply } from '../domain/effects.js';
import type { ReplyTarget } from '../domain/funding.js';
import type { Route } from '../domain/routing.js';

/** A message Slack holds: its channel (a D… id for a DM) and timestamp. */
export interface SentMessage {
  readonly channelId: string;
  readonly ts: string;
}

/** Where to look for a message an uncertain attempt may have posted. */
export type Place =
  | { readonly channelId: string }
  | { readonly userId: string }
  | { readonly channelId: string; readonly threadTs: string };

/** Why a Slack call failed, in terms of what to do next. */
export type SlackFailure =
  | 'rate-limited'
  | 'unavailable'
  | 'not-in-channel'
  | 'channel-not-found'
  | 'message-not-found'
  | 'expired-url'
  | 'rejected';

export interface SlackFailureInfo {
  readonly failure: SlackFailure;
  /** Slack's own error code (`not_in_channel`) or the HTTP status. */
  readonly code: string;
  readonly retryAfterMs: number | undefined;
  /** The call may have landed all the same (a timeout, a lost answer, a 5xx). */
  readonly uncertain: boolean;
}

/** What a reply says, with what it needs to be rendered as it is now. */
export interface ReplyContent {
  readonly reply: Reply;
  readonly approval?: TrackedApproval;
  readonly routes?: readonly Route[];
  /** Why the card could not be posted at first, as the card's own effect last failed. */
  readonly cardError?: string | null;
}

export interface HomeContent {
  /** The pending approvals shown, soonest expiry first. */
  readonly pending: readonly TrackedApproval[];
  /** How many pending approvals the viewer has in all (the tab says how many more there are). */
  readonly pendingTotal: number;
  readonly outcomes: readonly TrackedApproval[];
}

/**
 * Everything Countersign says in Slack. Messages are rendered here, when sent, from domain values; each one
 * posted carries its effect's key as message metadata, so an uncertain attempt can be found afterwards.
 */
export interface SlackDelivery {
  postCard(approval: TrackedApproval, now: Date, key: EffectKey): Promise<SentMessage>;
  /** `background`: only the countdown changed, so the edit yields Slack's allowance to outcome edits. */
  editCard(
    approval: TrackedApproval,
    card: SentMessage,
    now: Date,
    options?: { background?: boolean },
  ): Promise<void>;
  /** Turns an extra copy of a card into a pointer at the real one, so only one card is ever live. */
  markDuplicate(
    approval: TrackedApproval,
    duplicate: SentMessage,
    realPermalink: string | null,
  ): Promise<void>;
  permalink(message: SentMessage): Promise<string>;
  sendDirect(
    userId: string,
    content: { message: Direct; approval: TrackedApproval },
    now: Date,
    key: EffectKey,
  ): Promise<SentMessage>;
  postInThread(
    approval: TrackedApproval,
    card: SentMessage,
    purpose: 'outcome' | 'reminder',
    now: Date,
    key: EffectKey,
  ): Promise<SentMessage>;
  postNotice(channelId: string, notice: Notice, key: EffectKey): Promise<SentMessage>;
  /**
   * A private reply through the command's response_url; `replaceOriginal` replaces the message an earlier
   * reply sent through the same URL (Slack cannot replace the command's acknowledgement itself).
   */
  respond(
    to: ReplyTarget,
    content: ReplyContent,
    now: Date,
    options: { readonly replaceOriginal: boolean },
  ): Promise<void>;
  /** The same reply as a DM, when the response_url is too old or refuses. */
  replyByDirect(to: ReplyTarget, content: ReplyContent, now: Date, key: EffectKey): Promise<SentMessage>;
  publishHome(userId: string, content: HomeContent, now: Date): Promise<void>;
  /** Every message carrying `key` posted at `place` since `since`, oldest first (usually none or one). */
  findSent(place: Place, key: EffectKey, since: Date): Promise<SentMessage[]>;
  explain(error: unknown): SlackFailureInfo;
}

/** Who is in a channel or a user group, cached for a few minutes. */
export interface SlackDirectory {
  channelMembers(channelId: string): Promise<ReadonlySet<string>>;
  usergroupMembers(usergroupId: string): Promise<ReadonlySet<string>>;
}
