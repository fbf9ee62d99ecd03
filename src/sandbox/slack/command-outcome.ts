import { z } from 'zod';
import type { Conversations } from './conversations.js';
import type { InboundResult } from './deliver.js';
import type { FakeChannel, FakeUser } from './types.js';
import type { Workspace } from './workspace.js';

const AckBody = z.object({
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
});

interface AckMessage {
  text: string;
  blocks: unknown[];
  responseType: 'ephemeral' | 'in_channel';
}

/** Bolt answers `ack('text')` as a plain body and `ack({...})` as JSON; Slack shows either as the reply. */
function ackMessage(result: InboundResult): AckMessage | undefined {
  if (result.body.trim() === '') return undefined;
  if (result.json === undefined) return { text: result.body, blocks: [], responseType: 'ephemeral' };
  const parsed = AckBody.safeParse(result.json);
  if (!parsed.success) return undefined;
  const { text = '', blocks = [], response_type: responseType = 'ephemeral' } = parsed.data;
  if (text === '' && blocks.length === 0) return undefined;
  return { text, blocks, responseType };
}

/**
 * What the invoker sees after Slack delivered a slash command: the ack body as a reply, or Slack's own
 * error line when the app answered late, not at all, or with a non-2xx status.
 */
export function showCommandOutcome(
  deps: { workspace: Workspace; conversations: Conversations },
  invocation: { command: string; text: string; user: FakeUser; channel: FakeChannel },
  result: InboundResult,
): void {
  const { workspace, conversations } = deps;
  const { command, user, channel } = invocation;
  if (result.failure !== undefined || result.status < 200 || result.status > 299) {
    const error = result.failure ?? 'dispatch_failed';
    const text = `${command} failed with the error "${error}"`;
    conversations.postEphemeral({ channel: channel.id, user: user.id, text, blocks: [], source: 'slack' });
    return;
  }
  const ack = ackMessage(result);
  if (ack === undefined) return;
  if (ack.responseType === 'ephemeral') {
    const { text, blocks } = ack;
    conversations.postEphemeral({ channel: channel.id, user: user.id, text, blocks, source: 'command_ack' });
    return;
  }
  // An in_channel answer shows everyone the invocation too, as the user's own message.
  const echo = `${command} ${invocation.text}`.trim();
  conversations.post({ channel: channel.id, user: user.id, text: echo, blocks: [], source: 'slack' });
  conversations.post({
    channel: channel.id,
    user: workspace.botUserId,
    botId: workspace.botId,
    text: ack.text,
    blocks: ack.blocks,
    source: 'command_ack',
  });
}
