import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { type Dispatcher, request } from 'undici';
import { fitToLimits } from './messages/limits.js';
import { createPacer, paceKey } from './pacer.js';
import { SlackCallError, toSlackCallError } from './slack-errors.js';

export { SlackCallError, toSlackCallError };

export interface SlackMessage {
  readonly text: string;
  readonly blocks?: readonly KnownBlock[];
}

/** The event type every message Countersign posts carries, with the key of the effect that posted it. */
export const metadataEventType = 'countersign_effect';

/** The narrow part of Slack the bot needs; everything else in the WebClient stays out of feature code. */
export interface SlackGateway {
  /** auth.test: who the token belongs to. */
  identity(): Promise<{ teamId: string | undefined; userId: string | undefined; botId: string | undefined }>;
  postMessage(
    channel: string,
    message: SlackMessage,
    options?: { threadTs?: string; key?: string },
  ): Promise<{ channel: string; ts: string }>;
  /** `background`: a refresh nobody waits on, which yields Slack's allowance to the edits people wait on. */
  updateMessage(
    channel: string,
    ts: string,
    message: SlackMessage,
    options?: { background?: boolean },
  ): Promise<void>;
  permalink(channel: string, ts: string): Promise<string>;
  /** The app's DM channel with a person (conversations.open). */
  openDirect(userId: string): Promise<string>;
  /** The bot's messages carrying effect `key`, posted in `channel` (or in the thread) since `oldest`, oldest first. */
  findByKey(
    channel: string,
    key: string,
    oldest: Date,
    threadTs?: string,
  ): Promise<{ channel: string; ts: string }[]>;
  /**
   * Ephemeral reply through a slash command's response_url; `replaceOriginal` replaces the message an earlier
   * call to the same URL sent (Slack never replaces the command's acknowledgement this way: bolt-js #2287).
   */
  respond(responseUrl: string, message: SlackMessage, options: { replaceOriginal: boolean }): Promise<void>;
  channelMembers(channel: string): Promise<string[]>;
  usergroupMembers(usergroup: string): Promise<string[]>;
  publishHome(userId: string, blocks: readonly KnownBlock[]): Promise<void>;
}

/** Slack's answers that say the blocks did not fit; the message is sent again as plain text that does. */
const unfitting = new Set(['invalid_blocks', 'msg_too_long', 'too_many_blocks', 'msg_blocks_too_long']);

export function createSlackGateway(options: {
  client: WebClient;
  dispatcher?: Dispatcher;
  timeoutMs: number;
  /** Real time: Slack's rate windows are about elapsed time, not the business clock (see pacer.ts). */
  now?: () => number;
  /** Told of every call: its outcome (`ok`, Slack's error code, or `held`) and any Retry-After. */
  onCall?: (method: string, outcome: string, retryAfterMs?: number) => void;
}): SlackGateway {
  const { client } = options;
  const pacer = createPacer({ now: options.now ?? Date.now });

  async function call<T>(
    method: string,
    run: () => Promise<T>,
    pace: { channel?: string; background?: boolean } = {},
  ): Promise<T> {
    const admission = await pacer.admit(paceKey(method, pace.channel), { background: pace.background });
    if (admission.kind === 'held') {
      options.onCall?.(method, 'held');
      throw new SlackCallError('rate-limited', 'held', { retryAfterMs: admission.waitMs, sent: false });
    }
    try {
      const result = await run();
      admission.done();
      options.onCall?.(method, 'ok');
      return result;
    } catch (error) {
      const failure = toSlackCallError(error);
      const retryAfterMs = failure.failure === 'rate-limited' ? failure.retryAfterMs : undefined;
      admission.done({ retryAfterMs });
      options.onCall?.(method, failure.code, retryAfterMs);
      throw failure;
    }
  }

  async function post(channel: string, message: SlackMessage, threadTs?: string, key?: string) {
    const send = (body: SlackMessage) =>
      call(
        'chat.postMessage',
        () =>
          client.chat.postMessage({
            channel,
            text: body.text,
            blocks: body.blocks === undefined ? undefined : [...body.blocks],
            thread_ts: threadTs,
            unfurl_links: false,
            unfurl_media: false,
            metadata:
              key === undefined ? undefined : { event_type: metadataEventType, event_payload: { key } },
          }),
        { channel },
      );
    const result = await send(fitToLimits(message)).catch((error: unknown) => {
      const failure = toSlackCallError(error);
      if (!unfitting.has(failure.code)) throw failure;
      return send(fitToLimits({ text: message.text }));
    });
    if (result.ts === undefined || result.channel === undefined) {
      throw new SlackCallError('unavailable', 'missing_ts');
    }
    return { channel: result.channel, ts: result.ts };
  }

  return {
    async identity() {
      const result = await call('auth.test', () => client.auth.test());
      return { teamId: result.team_id, userId: result.user_id, botId: result.bot_id };
    },
    postMessage: (channel, message, postOptions = {}) =>
      post(channel, message, postOptions.threadTs, postOptions.key),
    async updateMessage(channel, ts, message, updateOptions = {}) {
      const send = (body: SlackMessage) =>
        call(
          'chat.update',
          () =>
            client.chat.update({
              channel,
              ts,
              text: body.text,
              blocks: body.blocks === undefined ? [] : [...body.blocks],
            }),
          { background: updateOptions.background },
        );
      await send(fitToLimits(message)).catch((error: unknown) => {
        const failure = toSlackCallError(error);
        if (!unfitting.has(failure.code)) throw failure;
        return send(fitToLimits({ text: message.text }));
      });
    },
    async permalink(channel, ts) {
      const result = await call('chat.getPermalink', () =>
        client.chat.getPermalink({ channel, message_ts: ts }),
      );
      if (result.permalink === undefined) throw new SlackCallError('unavailable', 'missing_permalink');
      return result.permalink;
    },
    async openDirect(userId) {
      const result = await call('conversations.open', () => client.conversations.open({ users: userId }));
      const id = result.channel?.id;
      if (id === undefined) throw new SlackCallError('unavailable', 'missing_channel');
      return id;
    },
    findByKey: (channel, key, oldest, threadTs) =>
      findByKey(client, call, { channel, key, oldest, threadTs }),
    respond: (responseUrl, message, respondOptions) =>
      respond(responseUrl, fitToLimits(message), respondOptions.replaceOriginal, options),
    async channelMembers(channel) {
      const members: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await call('conversations.members', () =>
          client.conversations.members({ channel, cursor, limit: 1_000 }),
        );
        members.push(...(page.members ?? []));
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor !== undefined);
      return members;
    },
    async usergroupMembers(usergroup) {
      const result = await call('usergroups.users.list', () => client.usergroups.users.list({ usergroup }));
      return result.users ?? [];
    },
    async publishHome(userId, blocks) {
      await call('views.publish', () =>
        client.views.publish({ user_id: userId, view: { type: 'home', blocks: [...blocks].slice(0, 100) } }),
      );
    },
  };
}

type Call = <T>(method: string, run: () => Promise<T>) => Promise<T>;

interface Found {
  readonly ts?: string;
  readonly thread_ts?: string;
  readonly metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/**
 * Pages through the channel's (or the thread's) recent messages for every one carrying `key`, oldest first:
 * usually one, two when an earlier attempt had to post again without being able to look.
 */
async function findByKey(
  client: WebClient,
  call: Call,
  where: { channel: string; key: string; oldest: Date; threadTs?: string },
): Promise<{ channel: string; ts: string }[]> {
  // A little before the attempt began: Slack stamps the message when it commits it, clocks differ slightly.
  const oldest = String(Math.max(0, where.oldest.getTime() / 1_000 - 60).toFixed(6));
  const found: { channel: string; ts: string }[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const result = await call(
      where.threadTs === undefined ? 'conversations.history' : 'conversations.replies',
      () =>
        where.threadTs === undefined
          ? client.conversations.history({
              channel: where.channel,
              oldest,
              cursor,
              limit: 200,
              include_all_metadata: true,
            })
          : client.conversations.replies({
              channel: where.channel,
              ts: where.threadTs,
              oldest,
              cursor,
              limit: 200,
              include_all_metadata: true,
            }),
    );
    for (const message of (result.messages ?? []) as Found[]) {
      const metadata = message.metadata;
      if (
        metadata?.event_type === metadataEventType &&
        metadata.event_payload?.key === where.key &&
        message.ts
      ) {
        found.push({ channel: where.channel, ts: message.ts });
      }
    }
    cursor = result.response_metadata?.next_cursor || undefined;
    if (cursor === undefined) break;
  }
  return found.sort((a, b) => Number(a.ts) - Number(b.ts));
}

/**
 * Answers through a response_url. Slack refuses blocks it cannot show there with a 400 naming the problem
 * (`invalid_blocks`), or an `ok:false` body: the answer is sent again as plain text, so the person hears it.
 */
async function respond(
  responseUrl: string,
  message: SlackMessage,
  replaceOriginal: boolean,
  options: { dispatcher?: Dispatcher; timeoutMs: number },
): Promise<void> {
  const failure = await respondOnce(responseUrl, message, replaceOriginal, options);
  if (failure === undefined) return;
  if (message.blocks === undefined || !unfitting.has(failure.code)) throw failure;
  const again = await respondOnce(responseUrl, { text: message.text }, replaceOriginal, options);
  if (again !== undefined) throw again;
}

/** The code Slack names in a response_url answer: `{"ok":false,"error":"invalid_blocks"}` or the bare word. */
function responseError(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as { ok?: unknown; error?: unknown };
    if (json.ok === false) return typeof json.error === 'string' ? json.error : 'not_ok';
    return undefined;
  } catch {
    return /^[a-z_]{3,64}$/.test(body.trim()) ? body.trim() : undefined;
  }
}

async function respondOnce(
  responseUrl: string,
  message: SlackMessage,
  replaceOriginal: boolean,
  options: { dispatcher?: Dispatcher; timeoutMs: number },
): Promise<SlackCallError | undefined> {
  let status: number;
  let body: string;
  try {
    const response = await request(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({
        response_type: 'ephemeral',
        replace_original: replaceOriginal,
        text: message.text,
        blocks: message.blocks,
      }),
      dispatcher: options.dispatcher,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    status = response.statusCode;
    body = await response.body.text();
  } catch (cause) {
    return new SlackCallError('unavailable', 'request_failed', { cause });
  }
  if (status === 404 || status === 410 || /expired_url|used_url/.test(body)) {
    return new SlackCallError('expired-url', `http_${status}`);
  }
  if (status === 429 || status >= 500) return new SlackCallError('unavailable', `http_${status}`);
  const code = responseError(body);
  if (status >= 400 || code !== undefined) return new SlackCallError('rejected', code ?? `http_${status}`);
  return undefined;
}
