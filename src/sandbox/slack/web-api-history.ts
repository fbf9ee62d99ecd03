import { z } from 'zod';
import { tsMicros } from './message-ts.js';
import type { FakeChannel, FakeMessage } from './types.js';
import {
  type ApiDeps,
  type ApiResult,
  count,
  fail,
  flag,
  type MethodHandler,
  type Outcome,
  parseArgs,
  toSlackMessage,
  visibleChannel,
} from './web-api-support.js';
import type { Workspace } from './workspace.js';

const HistoryArgs = z.object({
  channel: z.string().default(''),
  oldest: z.string().optional(),
  latest: z.string().optional(),
  inclusive: flag.optional(),
  // Slack's documented maximum is 999 (and 15 for non-Marketplace apps distributed since May 2025).
  limit: count.pipe(z.number().int().min(1).max(999)).default(100),
  cursor: z.string().optional(),
  include_all_metadata: flag.optional(),
});
type HistoryInput = z.output<typeof HistoryArgs>;

interface Range {
  /** Exclusive unless `inclusive`; undefined means unbounded. */
  oldest: bigint | undefined;
  latest: bigint | undefined;
  inclusive: boolean;
  /** From the cursor: the newest ts the page may start at (inclusive). */
  startAt: bigint | undefined;
}

/**
 * What conversations.history shows in a channel: top-level messages and thread replies that were broadcast to
 * the channel, newest first. Ephemerals are never in history, and neither are replies that stayed in their thread.
 */
function channelTimeline(messages: readonly FakeMessage[]): FakeMessage[] {
  const shown = messages.flatMap((message) => [
    message,
    ...message.replies.filter((reply) => reply.broadcast === true),
  ]);
  return shown.sort((a, b) => compareTs(b.ts, a.ts));
}

function compareTs(a: string, b: string): number {
  const difference = (tsMicros(a) ?? 0n) - (tsMicros(b) ?? 0n);
  return difference > 0n ? 1 : difference < 0n ? -1 : 0;
}

/** Slack's history cursors are base64 of "next_ts:<ts digits>", the ts the next page starts at. */
function encodeCursor(message: FakeMessage): string {
  return Buffer.from(`next_ts:${message.ts.replace('.', '')}`).toString('base64');
}

function decodeCursor(cursor: string): bigint | undefined {
  const digits = Buffer.from(cursor, 'base64')
    .toString('utf8')
    .match(/^next_ts:(\d{7,18})$/)?.[1];
  return digits === undefined ? undefined : BigInt(digits);
}

function readRange(input: HistoryInput): Outcome<Range> {
  const oldest = input.oldest === undefined || input.oldest === '' ? undefined : tsMicros(input.oldest);
  if (input.oldest !== undefined && input.oldest !== '' && oldest === undefined)
    return { ok: false, result: fail('invalid_ts_oldest') };
  const latest = input.latest === undefined || input.latest === '' ? undefined : tsMicros(input.latest);
  if (input.latest !== undefined && input.latest !== '' && latest === undefined)
    return { ok: false, result: fail('invalid_ts_latest') };
  const startAt = input.cursor === undefined || input.cursor === '' ? undefined : decodeCursor(input.cursor);
  if (input.cursor !== undefined && input.cursor !== '' && startAt === undefined)
    return { ok: false, result: fail('invalid_cursor') };
  return { ok: true, value: { oldest, latest, inclusive: input.inclusive === true, startAt } };
}

function inRange(message: FakeMessage, range: Range): boolean {
  const at = tsMicros(message.ts) ?? 0n;
  if (range.oldest !== undefined && (range.inclusive ? at < range.oldest : at <= range.oldest)) return false;
  if (range.latest !== undefined && (range.inclusive ? at > range.latest : at >= range.latest)) return false;
  return range.startAt === undefined || at <= range.startAt;
}

/** A message as history lists it: metadata only on request, and a thread summary on thread parents. */
function historyMessage(message: FakeMessage, workspace: Workspace, withMetadata: boolean): ApiResult {
  const { metadata: _metadata, ...shown } = toSlackMessage(message, workspace);
  const base =
    withMetadata && message.metadata !== undefined ? { ...shown, metadata: message.metadata } : shown;
  const latestReply = message.replies.at(-1);
  if (latestReply === undefined || message.threadTs !== undefined) return base as ApiResult;
  const replyUsers = [...new Set(message.replies.map((reply) => reply.user))];
  return {
    ...(base as ApiResult),
    thread_ts: message.ts,
    reply_count: message.replies.length,
    reply_users_count: replyUsers.length,
    latest_reply: latestReply.ts,
    reply_users: replyUsers,
    is_locked: false,
    subscribed: false,
  };
}

/** A bot token reads any conversation the bot is a member of; others it can see answer not_in_channel. */
function readableChannel(workspace: Workspace, channelArg: string): Outcome<FakeChannel> {
  const channel = visibleChannel(workspace, channelArg);
  if (channel === undefined) return { ok: false, result: fail('channel_not_found') };
  if (!channel.members.includes(workspace.botUserId)) return { ok: false, result: fail('not_in_channel') };
  return { ok: true, value: channel };
}

function conversationsHistory(args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const parsed = parseArgs(HistoryArgs, args);
  if (!parsed.ok) return parsed.result;
  const input = parsed.value;
  const channel = readableChannel(deps.workspace, input.channel);
  if (!channel.ok) return channel.result;
  const range = readRange(input);
  if (!range.ok) return range.result;
  const matching = channelTimeline(deps.conversations.topLevel(channel.value.id)).filter((message) =>
    inRange(message, range.value),
  );
  const page = matching.slice(0, input.limit);
  const next = matching[input.limit];
  const withMetadata = input.include_all_metadata === true;
  return {
    ok: true,
    messages: page.map((message) => historyMessage(message, deps.workspace, withMetadata)),
    has_more: next !== undefined,
    pin_count: 0,
    channel_actions_ts: null,
    channel_actions_count: 0,
    response_metadata: { next_cursor: next === undefined ? '' : encodeCursor(next) },
  };
}

const RepliesArgs = HistoryArgs.extend({ ts: z.string().default('') });

/**
 * conversations.replies: a thread, oldest first, its parent message first whatever `oldest` says (as Slack
 * does), then the replies in range. A ts that is not a message here answers thread_not_found.
 */
function conversationsReplies(args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const parsed = parseArgs(RepliesArgs, args);
  if (!parsed.ok) return parsed.result;
  const input = parsed.value;
  if (input.ts === '') return fail('invalid_arguments');
  const channel = readableChannel(deps.workspace, input.channel);
  if (!channel.ok) return channel.result;
  const range = readRange({ ...input, cursor: undefined });
  if (!range.ok) return range.result;
  const parent = deps.conversations.find(channel.value.id, input.ts);
  if (parent === undefined || parent.threadTs !== undefined) return fail('thread_not_found');
  const from = input.cursor === undefined || input.cursor === '' ? undefined : decodeCursor(input.cursor);
  if (input.cursor !== undefined && input.cursor !== '' && from === undefined) return fail('invalid_cursor');
  const replies = [...parent.replies]
    .sort((a, b) => compareTs(a.ts, b.ts))
    .filter((reply) => inRange(reply, { ...range.value, startAt: undefined }))
    .filter((reply) => from === undefined || (tsMicros(reply.ts) ?? 0n) >= from);
  const thread = from === undefined ? [parent, ...replies] : replies;
  const page = thread.slice(0, input.limit);
  const next = thread[input.limit];
  const withMetadata = input.include_all_metadata === true;
  return {
    ok: true,
    messages: page.map((message) => historyMessage(message, deps.workspace, withMetadata)),
    has_more: next !== undefined,
    response_metadata: { next_cursor: next === undefined ? '' : encodeCursor(next) },
  };
}

export const historyMethods: Record<string, MethodHandler> = {
  'conversations.history': conversationsHistory,
  'conversations.replies': conversationsReplies,
};
