import { createHash, randomBytes } from 'node:crypto';
import type { FakeChannel, FakeUser } from './types.js';
import type { Workspace } from './workspace.js';

/** What Slack puts in every payload that identifies the workspace and the app. */
export interface PayloadIdentity {
  workspace: Workspace;
  /** The legacy verification token Slack still sends; Bolt ignores it in favour of the signature. */
  verificationToken: string;
}

/** Slack's trigger ids look like "<digits>.<digits>.<hex>"; nothing in the fake honours them. */
export function triggerId(): string {
  return `${Date.now()}.${Math.floor(Math.random() * 1e12)}.${randomBytes(16).toString('hex')}`;
}

/** How Slack names a conversation in payloads: DMs are "directmessage" and private channels "privategroup". */
export function payloadChannelName(channel: FakeChannel): string {
  if (channel.kind === 'im') return 'directmessage';
  if (channel.kind === 'private') return 'privategroup';
  return channel.name;
}

/** A slash command's form fields, in the order Slack sends them. */
export function commandFields(
  identity: PayloadIdentity,
  input: { command: string; text: string; user: FakeUser; channel: FakeChannel; responseUrl: string },
): URLSearchParams {
  const { workspace } = identity;
  return new URLSearchParams([
    ['token', identity.verificationToken],
    ['team_id', workspace.team.id],
    ['team_domain', workspace.team.domain],
    ['channel_id', input.channel.id],
    ['channel_name', payloadChannelName(input.channel)],
    ['user_id', input.user.id],
    ['user_name', input.user.name],
    ['command', input.command],
    ['text', input.text],
    ['api_app_id', workspace.appId],
    ['is_enterprise_install', 'false'],
    ['response_url', input.responseUrl],
    ['trigger_id', triggerId()],
  ]);
}

export interface ClickedButton {
  blockId: string;
  element: Record<string, unknown>;
}

/** Finds a button by action_id (and block_id) in an actions block or a section accessory. */
export function findButton(
  blocks: unknown[],
  messageTs: string,
  actionId: string,
  blockId?: string,
): ClickedButton | undefined {
  for (const [index, block] of blocks.entries()) {
    if (block === null || typeof block !== 'object') continue;
    const record = block as Record<string, unknown>;
    // Slack gives a block without a block_id a generated one; derive it so repeated clicks agree.
    const id =
      typeof record.block_id === 'string'
        ? record.block_id
        : createHash('sha1').update(`${messageTs}:${index}`).digest('base64url').slice(0, 5);
    if (blockId !== undefined && id !== blockId) continue;
    const candidates = Array.isArray(record.elements) ? record.elements : [record.accessory];
    for (const element of candidates) {
      if (element === null || typeof element !== 'object') continue;
      const button = element as Record<string, unknown>;
      if (button.type === 'button' && button.action_id === actionId) return { blockId: id, element: button };
    }
  }
  return undefined;
}

export function blockActionsPayload(
  identity: PayloadIdentity,
  input: {
    user: FakeUser;
    channel: FakeChannel;
    container: { messageTs: string; isEphemeral: boolean };
    message: Record<string, unknown> | undefined;
    action: Record<string, unknown>;
    responseUrl: string;
  },
): Record<string, unknown> {
  const { workspace } = identity;
  return {
    type: 'block_actions',
    user: { id: input.user.id, username: input.user.name, name: input.user.name, team_id: workspace.team.id },
    api_app_id: workspace.appId,
    token: identity.verificationToken,
    container: {
      type: 'message',
      message_ts: input.container.messageTs,
      channel_id: input.channel.id,
      is_ephemeral: input.container.isEphemeral,
    },
    trigger_id: triggerId(),
    team: { id: workspace.team.id, domain: workspace.team.domain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channel.id, name: payloadChannelName(input.channel) },
    // Slack leaves `message` out when the clicked message was ephemeral.
    ...(input.message === undefined ? {} : { message: input.message }),
    state: { values: {} },
    response_url: input.responseUrl,
    actions: [input.action],
  };
}

export function eventEnvelope(
  identity: PayloadIdentity,
  input: { event: Record<string, unknown>; eventId: string; eventTime: number },
): Record<string, unknown> {
  const { workspace } = identity;
  return {
    token: identity.verificationToken,
    team_id: workspace.team.id,
    context_team_id: workspace.team.id,
    context_enterprise_id: null,
    api_app_id: workspace.appId,
    event: input.event,
    type: 'event_callback',
    event_id: input.eventId,
    event_time: input.eventTime,
    authorizations: [
      {
        enterprise_id: null,
        team_id: workspace.team.id,
        user_id: workspace.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
  };
}
