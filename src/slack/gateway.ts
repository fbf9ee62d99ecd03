import type { KnownBlock } from '@slack/types';
import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  type WebClient,
} from '@slack/web-api';
import { type Dispatcher, request } from 'undici';

export interface SlackMessage {
  readonly text: string;
  readonly blocks?: readonly KnownBlock[];
}

/** Why a Slack call failed, in terms of what to do next. */
export type SlackFailure =
  | 'rate-limited'
  | 'unavailable'
  | 'not-in-channel'
  | 'channel-not-found'
  | 'message-not-found'
  | 'expired-url'
  | 'rejected';

export class SlackCallError extends Error {
  override readonly name = 'SlackCallError';
  readonly failure: SlackFailure;
  /** Slack's own error code (`not_in_channel`) or the HTTP status. */
  readonly code: string;
  readonly retryAfterMs: number | undefined;

  constructor(failure: SlackFailure, code: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(`Slack call failed: ${code}`, { cause: options.cause });
    this.failure = failure;
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
  }

  get transient(): boolean {
    return this.failure === 'rate-limited' || this.failure === 'unavailable';
  }
}

/** The narrow part of Slack the bot needs; everything else in the WebClient stays out of feature code. */
export interface SlackGateway {
  /** auth.test: who the token belongs to. */
  identity(): Promise<{ teamId: string | undefined; userId: string | undefined }>;
  postMessage(
    channel: string,
    message: SlackMessage,
    threadTs?: string,
  ): Promise<{ channel: string; ts: string }>;
  updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void>;
  deleteMessage(channel: string, ts: string): Promise<void>;
  permalink(channel: string, ts: string): Promise<string>;
  /** Posts in the app's DM with the user (chat.postMessage to a user id needs no im:write scope). */
  sendDirectMessage(userId: string, message: SlackMessage): Promise<{ channel: string; ts: string }>;
  /** Ephemeral reply through a slash command's response_url. */
  respond(responseUrl: string, message: SlackMessage & { replaceOriginal?: boolean }): Promise<void>;
  /** Every member of a channel the bot can see (needs channels:read / groups:read). */
  channelMembers(channel: string): Promise<string[]>;
  /** Every member of a user group (needs usergroups:read). */
  usergroupMembers(usergroup: string): Promise<string[]>;
  publishHome(userId: string, blocks: readonly KnownBlock[]): Promise<void>;
}

const platformFailures: Record<string, SlackFailure> = {
  not_in_channel: 'not-in-channel',
  channel_not_found: 'channel-not-found',
  is_archived: 'channel-not-found',
  message_not_found: 'message-not-found',
  ratelimited: 'rate-limited',
  internal_error: 'unavailable',
  fatal_error: 'unavailable',
  service_unavailable: 'unavailable',
  request_timeout: 'unavailable',
};

export function toSlackCallError(error: unknown): SlackCallError {
  if (error instanceof SlackCallError) return error;
  if (error instanceof WebAPIRateLimitedError) {
    return new SlackCallError('rate-limited', 'ratelimited', {
      retryAfterMs: error.retryAfter * 1_000,
      cause: error,
    });
  }
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error;
    return new SlackCallError(platformFailures[code] ?? 'rejected', code, { cause: error });
  }
  if (error instanceof WebAPIHTTPError) {
    const failure = error.statusCode === 429 || error.statusCode >= 500 ? 'unavailable' : 'rejected';
    return new SlackCallError(failure, `http_${error.statusCode}`, { cause: error });
  }
  if (error instanceof WebAPIRequestError)
    return new SlackCallError('unavailable', 'request_failed', { cause: error });
  return new SlackCallError('unavailable', error instanceof Error ? error.name : 'unknown', { cause: error });
}

export function createSlackGateway(options: {
  client: WebClient;
  dispatcher?: Dispatcher;
  timeoutMs: number;
}): SlackGateway {
  const { client } = options;

  async function post(channel: string, message: SlackMessage, threadTs?: string) {
    try {
      const result = await client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks === undefined ? undefined : [...message.blocks],
        thread_ts: threadTs,
        unfurl_links: false,
        unfurl_media: false,
      });
      if (result.ts === undefined || result.channel === undefined) {
        throw new SlackCallError('unavailable', 'missing_ts');
      }
      return { channel: result.channel, ts: result.ts };
    } catch (error) {
      throw toSlackCallError(error);
    }
  }

  return {
    async identity() {
      try {
        const result = await client.auth.test();
        return { teamId: result.team_id, userId: result.user_id };
      } catch (error) {
        throw toSlackCallError(error);
      }
    },
    postMessage: post,
    sendDirectMessage: (userId, message) => post(userId, message),
    async updateMessage(channel, ts, message) {
      try {
        await client.chat.update({
          channel,
          ts,
          text: message.text,
          blocks: message.blocks === undefined ? [] : [...message.blocks],
        });
      } catch (error) {
        throw toSlackCallError(error);
      }
    },
    async deleteMessage(channel, ts) {
      try {
        await client.chat.delete({ channel, ts });
      } catch (error) {
        throw toSlackCallError(error);
      }
    },
    async permalink(channel, ts) {
      try {
        const result = await client.chat.getPermalink({ channel, message_ts: ts });
        if (result.permalink === undefined) throw new SlackCallError('unavailable', 'missing_permalink');
        return result.permalink;
      } catch (error) {
        throw toSlackCallError(error);
      }
    },
    async channelMembers(channel) {
      const members: string[] = [];
      let cursor: string | undefined;
      try {
        do {
          const page = await client.conversations.members({ channel, cursor, limit: 1_000 });
          members.push(...(page.members ?? []));
          cursor = page.response_metadata?.next_cursor || undefined;
        } while (cursor !== undefined);
      } catch (error) {
        throw toSlackCallError(error);
      }
      return members;
    },
    async usergroupMembers(usergroup) {
      try {
        const result = await client.usergroups.users.list({ usergroup });
        return result.users ?? [];
      } catch (error) {
        throw toSlackCallError(error);
      }
    },
    async publishHome(userId, blocks) {
      try {
        await client.views.publish({ user_id: userId, view: { type: 'home', blocks: [...blocks] } });
      } catch (error) {
        throw toSlackCallError(error);
      }
    },
    async respond(responseUrl, message) {
      let status: number;
      let body: string;
      try {
        const response = await request(responseUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify({
            response_type: 'ephemeral',
            replace_original: message.replaceOriginal ?? false,
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
        throw new SlackCallError('unavailable', 'request_failed', { cause });
      }
      if (status === 404 || status === 410 || /expired_url|used_url/.test(body)) {
        throw new SlackCallError('expired-url', `http_${status}`);
      }
      if (status === 429 || status >= 500) throw new SlackCallError('unavailable', `http_${status}`);
      if (status >= 400) throw new SlackCallError('rejected', `http_${status}`);
    },
  };
}
