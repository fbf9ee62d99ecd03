import type { Clock } from '../../src/clock.js';
import type { TrackedApproval } from '../../src/domain/approval.js';
import type { Direct, EffectKey, Notice } from '../../src/domain/effects.js';
import type { ReplyTarget } from '../../src/domain/funding.js';
import type {
  HomeContent,
  Place,
  ReplyContent,
  SentMessage,
  SlackDelivery,
  SlackDirectory,
  SlackFailure,
  SlackFailureInfo,
} from '../../src/ports/slack.js';
import { SlackCallError, toSlackCallError } from '../../src/slack/slack-errors.js';

/*
 * Slack in memory. It records what it was asked to post, edit, respond and publish (domain values, not Block
 * Kit: rendering is the adapter's business), hands out channel ids and timestamps, and fails the next call of
 * a method with a given Slack failure, thrown as the real gateway throws it (SlackCallError), so `explain` is
 * the real mapping.
 */

export type SlackMethod =
  | 'postCard'
  | 'editCard'
  | 'markDuplicate'
  | 'permalink'
  | 'sendDirect'
  | 'postInThread'
  | 'postNotice'
  | 'respond'
  | 'replyByDirect'
  | 'publishHome'
  | 'findSent';

/** One message Slack holds. */
export interface FakeMessage {
  readonly channelId: string;
  readonly ts: string;
  readonly threadTs: string | null;
  /** The effect key carried as metadata. */
  readonly key: EffectKey;
  readonly postedAt: Date;
  readonly kind: 'card' | 'direct' | 'thread' | 'notice' | 'reply';
  /** The approval as it was rendered, for cards, DMs and thread replies. */
  readonly approval?: TrackedApproval;
  readonly direct?: Direct;
  readonly purpose?: 'outcome' | 'reminder';
  readonly notice?: Notice;
  readonly reply?: ReplyContent;
  deleted: boolean;
}

interface QueuedFailure {
  readonly error: SlackCallError;
  /** The call takes effect before it fails (a timeout after Slack committed the post). */
  readonly landed: boolean;
}

/** Slack's own error code for each failure, as the gateway would see it. */
const codes: Record<SlackFailure, string> = {
  'rate-limited': 'ratelimited',
  unavailable: 'request_timeout',
  'not-in-channel': 'not_in_channel',
  'channel-not-found': 'channel_not_found',
  'message-not-found': 'message_not_found',
  'expired-url': 'expired_url',
  rejected: 'invalid_blocks',
};

export function slackError(
  failure: SlackFailure,
  options: { code?: string; retryAfterMs?: number } = {},
): SlackCallError {
  return new SlackCallError(failure, options.code ?? codes[failure], {
    ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }),
  });
}

/** Where a DM to this person lands. */
export function dmChannelOf(userId: string): string {
  return `D-${userId}`;
}

export class FakeSlack implements SlackDelivery {
  readonly messages: FakeMessage[] = [];
  readonly edits: { channelId: string; ts: string; approval: TrackedApproval; background: boolean }[] = [];
  readonly duplicates: { channelId: string; ts: string; realPermalink: string | null }[] = [];
  readonly responses: { to: ReplyTarget; content: ReplyContent; replaceOriginal?: true }[] = [];
  readonly homes: { userId: string; content: HomeContent }[] = [];
  /** Every call, in order, failed ones included. */
  readonly calls: SlackMethod[] = [];
  private readonly failures = new Map<SlackMethod, QueuedFailure[]>();
  private readonly beforePost: (() => Promise<void>)[] = [];
  private nextTs = 1;

  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  // --- arranging -------------------------------------------------------------------------------------------

  /** The next call (or `times` calls) of `method` fail with `failure`; `landed`: the post is made first. */
  failNext(
    method: SlackMethod,
    failure: SlackFailure,
    options: { times?: number; landed?: boolean; code?: string; retryAfterMs?: number } = {},
  ): void {
    const queue = this.failures.get(method) ?? [];
    for (let n = 0; n < (options.times ?? 1); n++)
      queue.push({ error: slackError(failure, options), landed: options.landed ?? false });
    this.failures.set(method, queue);
  }

  /** Runs `hook` inside the next post, after Slack accepted it and before the caller hears back. */
  duringNextPost(hook: () => Promise<void>): void {
    this.beforePost.push(hook);
  }

  /** A person deleted the message. */
  deleteMessage(message: SentMessage): void {
    const found = this.find(message);
    if (found === undefined) throw new Error(`no message ${message.ts} in ${message.channelId}`);
    found.deleted = true;
  }

  // --- reading back ------------------------------------------------------------------------------------------

  /** The messages still in Slack, of one kind. */
  live(kind: FakeMessage['kind']): FakeMessage[] {
    return this.messages.filter((message) => message.kind === kind && !message.deleted);
  }

  permalinkOf(message: SentMessage): string {
    return `https://example.slack.com/archives/${message.channelId}/p${message.ts.replace('.', '')}`;
  }

  // --- the port ----------------------------------------------------------------------------------------------

  postCard(approval: TrackedApproval, _now: Date, key: EffectKey): Promise<SentMessage> {
    return this.post('postCard', {
      channelId: approval.channelId,
      threadTs: null,
      key,
      kind: 'card',
      approval: structuredClone(approval),
    });
  }

  async editCard(
    approval: TrackedApproval,
    card: SentMessage,
    _now: Date,
    options: { background?: boolean } = {},
  ): Promise<void> {
    await this.call('editCard', () => {
      if (this.find(card) === undefined) throw slackError('message-not-found');
      this.edits.push({
        ...card,
        approval: structuredClone(approval),
        background: options.background === true,
      });
    });
  }

  async markDuplicate(
    _approval: TrackedApproval,
    duplicate: SentMessage,
    realPermalink: string | null,
  ): Promise<void> {
    await this.call('markDuplicate', () => {
      if (this.find(duplicate) === undefined) throw slackError('message-not-found');
      this.duplicates.push({ ...duplicate, realPermalink });
    });
  }

  async permalink(message: SentMessage): Promise<string> {
    return this.call('permalink', () => {
      if (this.find(message) === undefined) throw slackError('message-not-found');
      return this.permalinkOf(message);
    });
  }

  sendDirect(
    userId: string,
    content: { message: Direct; approval: TrackedApproval },
    _now: Date,
    key: EffectKey,
  ): Promise<SentMessage> {
    return this.post('sendDirect', {
      channelId: dmChannelOf(userId),
      threadTs: null,
      key,
      kind: 'direct',
      direct: content.message,
      approval: structuredClone(content.approval),
    });
  }

  postInThread(
    approval: TrackedApproval,
    card: SentMessage,
    purpose: 'outcome' | 'reminder',
    _now: Date,
    key: EffectKey,
  ): Promise<SentMessage> {
    return this.post('postInThread', {
      channelId: card.channelId,
      threadTs: card.ts,
      key,
      kind: 'thread',
      purpose,
      approval: structuredClone(approval),
    });
  }

  postNotice(channelId: string, notice: Notice, key: EffectKey): Promise<SentMessage> {
    return this.post('postNotice', { channelId, threadTs: null, key, kind: 'notice', notice });
  }

  async respond(
    to: ReplyTarget,
    content: ReplyContent,
    _now: Date,
    options: { readonly replaceOriginal: boolean },
  ): Promise<void> {
    await this.call('respond', () => {
      if (to.responseUrl === null) throw new Error('no response_url to answer through');
      // `replaceOriginal` is recorded only when set, so most tests need not spell it out.
      this.responses.push({
        to,
        content: structuredClone(content),
        ...(options.replaceOriginal ? { replaceOriginal: true } : {}),
      });
    });
  }

  replyByDirect(to: ReplyTarget, content: ReplyContent, _now: Date, key: EffectKey): Promise<SentMessage> {
    return this.post('replyByDirect', {
      channelId: dmChannelOf(to.userId),
      threadTs: null,
      key,
      kind: 'reply',
      reply: structuredClone(content),
    });
  }

  async publishHome(userId: string, content: HomeContent): Promise<void> {
    await this.call('publishHome', () => {
      this.homes.push({ userId, content: structuredClone(content) });
    });
  }

  async findSent(place: Place, key: EffectKey, since: Date): Promise<SentMessage[]> {
    return this.call('findSent', () => {
      const channelId = 'userId' in place ? dmChannelOf(place.userId) : place.channelId;
      const threadTs = 'threadTs' in place ? place.threadTs : null;
      return this.messages
        .filter(
          (message) =>
            !message.deleted &&
            message.channelId === channelId &&
            message.threadTs === threadTs &&
            message.key === key &&
            message.postedAt >= since,
        )
        .map((found) => ({ channelId: found.channelId, ts: found.ts }));
    });
  }

  explain(error: unknown): SlackFailureInfo {
    const failure = toSlackCallError(error);
    return {
      failure: failure.failure,
      code: failure.code,
      retryAfterMs: failure.retryAfterMs,
      uncertain: failure.uncertain,
    };
  }

  // --- inside ------------------------------------------------------------------------------------------------

  private find(message: SentMessage): FakeMessage | undefined {
    return this.messages.find(
      (candidate) =>
        candidate.channelId === message.channelId && candidate.ts === message.ts && !candidate.deleted,
    );
  }

  private async call<T>(method: SlackMethod, work: () => T): Promise<T> {
    this.calls.push(method);
    const failure = this.failures.get(method)?.shift();
    if (failure === undefined) return work();
    if (failure.landed) work();
    throw failure.error;
  }

  private async post(
    method: SlackMethod,
    message: Omit<FakeMessage, 'ts' | 'postedAt' | 'deleted'>,
  ): Promise<SentMessage> {
    const sent = await this.call(method, () => {
      const ts = `1781258400.${String(this.nextTs++).padStart(6, '0')}`;
      this.messages.push({ ...message, ts, postedAt: this.clock.now(), deleted: false });
      return { channelId: message.channelId, ts };
    });
    const hook = this.beforePost.shift();
    if (hook !== undefined) await hook();
    return sent;
  }
}

/** Who is in which channel and user group; a lookup can be told to fail like Slack does. */
export class FakeDirectory implements SlackDirectory {
  private readonly channels = new Map<string, Set<string>>();
  private readonly groups = new Map<string, Set<string>>();
  private readonly failures: SlackCallError[] = [];

  constructor(members: Record<string, readonly string[]> = {}) {
    for (const [channelId, users] of Object.entries(members)) this.channels.set(channelId, new Set(users));
  }

  setGroup(usergroupId: string, users: readonly string[]): void {
    this.groups.set(usergroupId, new Set(users));
  }

  /** The next lookup (or `times` lookups) fail with `failure`. */
  failNext(failure: SlackFailure, options: { times?: number } = {}): void {
    for (let n = 0; n < (options.times ?? 1); n++) this.failures.push(slackError(failure));
  }

  async channelMembers(channelId: string): Promise<ReadonlySet<string>> {
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const members = this.channels.get(channelId);
    if (members === undefined) throw slackError('channel-not-found');
    return new Set(members);
  }

  async usergroupMembers(usergroupId: string): Promise<ReadonlySet<string>> {
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    return new Set(this.groups.get(usergroupId) ?? []);
  }
}
