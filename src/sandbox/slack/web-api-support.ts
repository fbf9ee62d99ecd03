import { z } from 'zod';
import type { Clock } from '../../clock.js';
import { validateBlocks } from './blocks.js';
import type { Conversations } from './conversations.js';
import type { FakeChannel, FakeMessage } from './types.js';
import type { Workspace } from './workspace.js';

/** The JSON body of a Web API answer. Slack answers HTTP 200 for both outcomes and puts the verdict in `ok`. */
export type ApiResult = { ok: boolean } & Record<string, unknown>;

export interface ApiDeps {
  workspace: Workspace;
  conversations: Conversations;
  clock: Clock;
  /** The fake's current origin, for permalinks and auth.test's url. */
  origin(): string;
  /** A fresh Socket Mode URL with a one-use ticket, for apps.connections.open. */
  socketUrl(): string;
}

export type MethodHandler = (args: Record<string, unknown>, deps: ApiDeps) => ApiResult;

export function fail(error: string, extra: Record<string, unknown> = {}): ApiResult {
  return { ok: false, error, ...extra };
}

/** Form bodies carry booleans as "true"/"1"; JSON bodies carry real booleans. */
export const flag = z
  .union([z.boolean(), z.string(), z.number()])
  .transform((value) => value === true || value === 'true' || value === '1' || value === 1);

/** Form bodies carry numbers as strings. */
export const count = z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number);

/** Either the value a step produced, or the error answer the method should return. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; result: ApiResult };

function refuse(error: string, extra: Record<string, unknown> = {}): { ok: false; result: ApiResult } {
  return { ok: false, result: fail(error, extra) };
}

export function parseArgs<S extends z.ZodType>(
  schema: S,
  args: Record<string, unknown>,
): Outcome<z.output<S>> {
  const parsed = schema.safeParse(args);
  if (parsed.success) return { ok: true, value: parsed.data };
  const messages = parsed.error.issues.map(
    (issue) => `[ERROR] ${issue.message} [json-pointer:/${issue.path.map(String).join('/')}]`,
  );
  return { ok: false, result: fail('invalid_arguments', { response_metadata: { messages } }) };
}

export interface ContentArgs {
  text?: string | undefined;
  blocks?: unknown;
  attachments?: unknown;
}

/** Slack truncates text past 40,000 characters in the UI and refuses it outright in chat.* methods. */
const maxTextLength = 40_000;

export interface CheckedContent {
  text: string;
  /** Undefined when the call sent no blocks (chat.update then keeps the old ones). */
  blocks: unknown[] | undefined;
  attachments: unknown[] | undefined;
}

/** Validates message content like chat.postMessage does. */
export function messageContent(args: ContentArgs): Outcome<CheckedContent> {
  let blocks: unknown[] | undefined;
  if (args.blocks !== undefined) {
    const verdict = validateBlocks(args.blocks, 'message');
    if (!verdict.ok) {
      return refuse(verdict.error, {
        errors: verdict.errors,
        response_metadata: { messages: verdict.errors.map((error) => `[ERROR] ${error}`) },
      });
    }
    blocks = verdict.blocks;
  }
  let attachments: unknown[] | undefined;
  if (args.attachments !== undefined) {
    if (!Array.isArray(args.attachments)) return refuse('invalid_attachments');
    attachments = args.attachments;
  }
  const text = args.text ?? '';
  if (text === '' && (blocks?.length ?? 0) === 0 && (attachments?.length ?? 0) === 0)
    return refuse('no_text');
  if (text.length > maxTextLength) return refuse('msg_too_long');
  return { ok: true, value: { text, blocks, attachments } };
}

/**
 * Where a bot may post. A user id means the bot's DM with that user. Public channels are open to the bot even
 * when it isn't a member (the app has chat:write.public); private channels need membership.
 */
export function postableChannel(workspace: Workspace, channelArg: string): Outcome<FakeChannel> {
  const direct =
    channelArg.startsWith('U') || channelArg.startsWith('W') ? workspace.openDm(channelArg) : undefined;
  const channel = direct?.channel ?? workspace.channel(channelArg);
  if (channel === undefined) return refuse('channel_not_found');
  if (channel.isArchived) return refuse('is_archived');
  if (channel.kind === 'private' && !channel.members.includes(workspace.botUserId))
    return refuse('not_in_channel');
  return { ok: true, value: channel };
}

/**
 * A conversation the bot can read (conversations.info, conversations.members, chat.getPermalink). Slack hides
 * private channels the bot isn't in, so those answer channel_not_found.
 */
export function visibleChannel(workspace: Workspace, channelArg: string): FakeChannel | undefined {
  const channel = workspace.channel(channelArg);
  // Only chat.postMessage and friends resolve channel names; these methods want the id.
  if (channel === undefined || channel.id !== channelArg) return undefined;
  if (channel.kind === 'private' && !channel.members.includes(workspace.botUserId)) return undefined;
  return channel;
}

/** A stored message in the shape Slack returns it (chat.postMessage's `message`, block_actions' `message`). */
export function toSlackMessage(message: FakeMessage, workspace: Workspace): Record<string, unknown> {
  const isBot = message.botId !== undefined;
  return {
    type: 'message',
    ...(isBot ? { bot_id: message.botId, app_id: workspace.appId } : {}),
    user: message.user,
    text: message.text,
    blocks: message.blocks,
    ...(message.attachments === undefined ? {} : { attachments: message.attachments }),
    ...(message.metadata === undefined ? {} : { metadata: message.metadata }),
    ts: message.ts,
    ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }),
    ...(message.broadcast === true ? { subtype: 'thread_broadcast' } : {}),
    ...(message.edited ? { edited: { user: message.user, ts: message.editedTs } } : {}),
    team: workspace.team.id,
    ...(isBot
      ? {
          bot_profile: {
            id: message.botId,
            app_id: workspace.appId,
            user_id: workspace.botUserId,
            name: workspace.user(workspace.botUserId)?.name,
            team_id: workspace.team.id,
          },
        }
      : {}),
  };
}
