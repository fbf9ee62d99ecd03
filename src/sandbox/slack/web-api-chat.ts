import { z } from 'zod';
import { type CheckedMetadata, checkMetadata, withWarning } from './message-metadata.js';
import { permalinkId } from './message-ts.js';
import {
  type ApiDeps,
  type ApiResult,
  fail,
  flag,
  type MethodHandler,
  messageContent,
  type Outcome,
  parseArgs,
  postableChannel,
  toSlackMessage,
  visibleChannel,
} from './web-api-support.js';

// Missing ids default to '' so they fail the lookup with Slack's own error (channel_not_found, message_not_found)
// instead of a generic invalid_arguments.
const content = {
  text: z.string().optional(),
  blocks: z.unknown().optional(),
  attachments: z.unknown().optional(),
};

const PostMessageArgs = z.object({
  channel: z.string().default(''),
  ...content,
  thread_ts: z.string().optional(),
  reply_broadcast: flag.optional(),
  metadata: z.unknown().optional(),
});

const UpdateArgs = z.object({
  channel: z.string().default(''),
  ts: z.string().default(''),
  ...content,
  metadata: z.unknown().optional(),
});

/** No `metadata` argument means none (postMessage) or "keep what the message has" (chat.update). */
function metadataArg(raw: unknown): Outcome<CheckedMetadata> {
  return raw === undefined ? { ok: true, value: { metadata: undefined } } : checkMetadata(raw);
}

const PostEphemeralArgs = z.object({
  channel: z.string().default(''),
  user: z.string().default(''),
  ...content,
  thread_ts: z.string().optional(),
});

const DeleteArgs = z.object({ channel: z.string().default(''), ts: z.string().default('') });

const PermalinkArgs = z.object({ channel: z.string().default(''), message_ts: z.string().default('') });

function postMessage(args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const { workspace, conversations } = deps;
  const parsed = parseArgs(PostMessageArgs, args);
  if (!parsed.ok) return parsed.result;
  const input = parsed.value;
  const target = postableChannel(workspace, input.channel);
  if (!target.ok) return target.result;
  const checked = messageContent(input);
  if (!checked.ok) return checked.result;
  const meta = metadataArg(input.metadata);
  if (!meta.ok) return meta.result;
  const { metadata, warning } = meta.value;
  const channel = target.value;
  let threadTs: string | undefined;
  if (input.thread_ts !== undefined && input.thread_ts !== '') {
    const parent = conversations.find(channel.id, input.thread_ts);
    // Stricter than Slack, which may post a reply to a missing parent at the top level: a bad thread_ts is a bug.
    if (parent === undefined) return fail('thread_not_found');
    // Slack attaches a reply to a reply to the thread's parent.
    threadTs = parent.threadTs ?? parent.ts;
  }
  const message = conversations.post({
    channel: channel.id,
    user: workspace.botUserId,
    botId: workspace.botId,
    text: checked.value.text,
    blocks: checked.value.blocks ?? [],
    ...(checked.value.attachments === undefined ? {} : { attachments: checked.value.attachments }),
    ...(metadata === undefined ? {} : { metadata }),
    ...(threadTs === undefined ? {} : { threadTs, broadcast: input.reply_broadcast === true }),
    source: 'chat.postMessage',
  });
  const answer = {
    ok: true,
    channel: channel.id,
    ts: message.ts,
    message: toSlackMessage(message, workspace),
  };
  return withWarning(answer, warning);
}

function update(args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const { workspace, conversations } = deps;
  const parsed = parseArgs(UpdateArgs, args);
  if (!parsed.ok) return parsed.result;
  const input = parsed.value;
  // A user id is not accepted here (Slack needs the D… id for DMs), so no postableChannel().
  const channel = visibleChannel(workspace, input.channel);
  if (channel === undefined) return fail('channel_not_found');
  const message = conversations.find(channel.id, input.ts);
  if (message === undefined) return fail('message_not_found');
  if (message.user !== workspace.botUserId) return fail('cant_update_message');
  if (channel.isArchived) return fail('is_archived');
  const checked = messageContent(input);
  if (!checked.ok) return checked.result;
  const meta = metadataArg(input.metadata);
  if (!meta.ok) return meta.result;
  // Slack keeps the old blocks/attachments when the update omits them and replaces the whole array when present.
  const attachments = checked.value.attachments ?? message.attachments;
  const content = {
    text: checked.value.text,
    blocks: checked.value.blocks ?? message.blocks,
    ...(attachments === undefined ? {} : { attachments }),
  };
  conversations.edit(message, content, meta.value.metadata);
  const answer = {
    ok: true,
    channel: channel.id,
    ts: message.ts,
    text: message.text,
    message: toSlackMessage(message, workspace),
  };
  return withWarning(answer, meta.value.warning);
}

function deleteMessage(args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const { workspace, conversations } = deps;
  const parsed = parseArgs(DeleteArgs, args);
  if (!parsed.ok) return parsed.result;
  const channel = visibleChannel(workspace, parsed.value.channel);
  if (channel === undefined) return fail('channel_not_found');
  const message = conversations.find(channel.id, parsed.value.ts);
  if (message === undefined) return fail('message_not_found');
  if (message.user !== workspace.botUserId) return fail('cant_delete_message');
  conversations.remove(channel.id, message.ts);
  return { ok: true, channel: channel.id, ts: message.ts };
}

function postEphemeral(args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const { workspace, conversations } = deps;
  const parsed = parseArgs(PostEphemeralArgs, args);
  if (!parsed.ok) return parsed.result;
  const input = parsed.value;
  const target = postableChannel(workspace, input.channel);
  if (!target.ok) return target.result;
  const channel = target.value;
  if (workspace.user(input.user) === undefined) return fail('user_not_found');
  if (!channel.members.includes(input.user)) return fail('user_not_in_channel');
  const checked = messageContent(input);
  if (!checked.ok) return checked.result;
  const ephemeral = conversations.postEphemeral({
    channel: channel.id,
    user: input.user,
    text: checked.value.text,
    blocks: checked.value.blocks ?? [],
    ...(checked.value.attachments === undefined ? {} : { attachments: checked.value.attachments }),
    ...(input.thread_ts === undefined ? {} : { threadTs: input.thread_ts }),
    source: 'chat.postEphemeral',
  });
  return { ok: true, message_ts: ephemeral.ts };
}

function getPermalink(args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const parsed = parseArgs(PermalinkArgs, args);
  if (!parsed.ok) return parsed.result;
  const channel = visibleChannel(deps.workspace, parsed.value.channel);
  if (channel === undefined) return fail('channel_not_found');
  const message = deps.conversations.find(channel.id, parsed.value.message_ts);
  if (message === undefined) return fail('message_not_found');
  return { ok: true, channel: channel.id, permalink: permalinkFor(deps.origin(), channel.id, message) };
}

/** Slack's permalink shape; a thread reply carries its parent so the link opens the thread. */
export function permalinkFor(
  origin: string,
  channel: string,
  message: { ts: string; threadTs?: string },
): string {
  const base = `${origin}/archives/${channel}/${permalinkId(message.ts)}`;
  return message.threadTs === undefined ? base : `${base}?thread_ts=${message.threadTs}&cid=${channel}`;
}

export const chatMethods: Record<string, MethodHandler> = {
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.delete': deleteMessage,
  'chat.postEphemeral': postEphemeral,
  'chat.getPermalink': getPermalink,
};
