import type { Clock } from '../../clock.js';
import { showCommandOutcome } from './command-outcome.js';
import type { Conversations } from './conversations.js';
import type { InboundResult } from './deliver.js';
import {
  blockActionsPayload,
  commandFields,
  eventEnvelope,
  findButton,
  type PayloadIdentity,
} from './inbound-payloads.js';
import type { TsSource } from './message-ts.js';
import type { ResponseUrlSource } from './response-url.js';
import { send, type TransportChoice, type TransportDeps } from './transport.js';
import type { FakeChannel, FakeUser } from './types.js';
import { toSlackMessage } from './web-api-support.js';
import type { Workspace } from './workspace.js';

export interface SendCommandOptions extends TransportChoice {
  command?: string;
  text: string;
  userId: string;
  channelId: string;
}

export interface ClickButtonOptions extends TransportChoice {
  userId: string;
  channelId: string;
  messageTs: string;
  actionId: string;
  /** Defaults to the button's own value; pass one to forge a payload. */
  value?: string;
  url?: string;
  blockId?: string;
  /** Send even if the message or button doesn't exist or the user can't see it (stale or forged clicks). */
  force?: boolean;
}

export interface OpenAppHomeOptions extends TransportChoice {
  userId: string;
  /** Reuse an event id to play one of Slack's redeliveries. */
  eventId?: string;
  /**
   * Plays a redelivery: X-Slack-Retry-Num / X-Slack-Retry-Reason over HTTP, `retry_attempt` / `retry_reason` over
   * Socket Mode. (Over Socket Mode the fake also redelivers unacked events by itself.)
   */
  retryNum?: number;
  retryReason?: string;
}

export interface InboundDeps extends TransportDeps {
  identity: PayloadIdentity;
  conversations: Conversations;
  clock: Clock;
  ts: TsSource;
  responseUrl(userId: string, channelId: string, source?: ResponseUrlSource): string;
}

export interface Inbound {
  sendCommand(options: SendCommandOptions): Promise<InboundResult & { responseUrl: string }>;
  clickButton(options: ClickButtonOptions): Promise<InboundResult & { responseUrl: string }>;
  openAppHome(options: OpenAppHomeOptions): Promise<InboundResult & { eventId: string }>;
}

export function createInbound(deps: InboundDeps): Inbound {
  const { identity, conversations } = deps;
  const workspace: Workspace = identity.workspace;
  let eventSeq = 0;

  function requireUser(userId: string): FakeUser {
    const user = workspace.user(userId);
    if (user === undefined) throw new Error(`Slack fake: no user ${userId}`);
    return user;
  }

  function requireChannel(channelId: string): FakeChannel {
    const channel = workspace.channel(channelId);
    if (channel === undefined) throw new Error(`Slack fake: no channel ${channelId}`);
    return channel;
  }

  return {
    async sendCommand(options) {
      const command = options.command ?? '/fund-milestone';
      const user = requireUser(options.userId);
      const channel = requireChannel(options.channelId);
      if (!channel.members.includes(user.id)) {
        throw new Error(
          `Slack fake: ${user.name} is not in ${channel.id}, so Slack would not let them run ${command}`,
        );
      }
      const responseUrl = deps.responseUrl(user.id, channel.id);
      const form = commandFields(identity, { command, text: options.text, user, channel, responseUrl });
      const result = await send(deps, options, {
        type: 'slash_commands',
        payload: Object.fromEntries(form),
        body: form.toString(),
        contentType: 'application/x-www-form-urlencoded',
      });
      showCommandOutcome(
        { workspace, conversations },
        { command, text: options.text, user, channel },
        result,
      );
      return { ...result, responseUrl };
    },

    async clickButton(options) {
      const user = requireUser(options.userId);
      const channel = requireChannel(options.channelId);
      const message = conversations.find(channel.id, options.messageTs);
      const ephemeral =
        message === undefined ? conversations.findEphemeral(user.id, options.messageTs) : undefined;
      const blocks = message?.blocks ?? ephemeral?.blocks;
      const canSee = channel.kind === 'public' || channel.members.includes(user.id);
      const button =
        blocks === undefined
          ? undefined
          : findButton(blocks, options.messageTs, options.actionId, options.blockId);
      if (options.force !== true) {
        if (blocks === undefined)
          throw new Error(`Slack fake: no message ${options.messageTs} in ${channel.id} for ${user.id}`);
        if (!canSee) throw new Error(`Slack fake: ${user.name} cannot see ${channel.id}`);
        if (button === undefined)
          throw new Error(`Slack fake: no button ${options.actionId} on ${options.messageTs}`);
      }
      const element = button?.element ?? {};
      const value = options.value ?? element.value;
      const url = options.url ?? element.url;
      const action = {
        type: 'button',
        action_id: options.actionId,
        block_id: options.blockId ?? button?.blockId ?? 'forged',
        text: element.text ?? { type: 'plain_text', text: options.actionId, emoji: true },
        ...(value === undefined ? {} : { value }),
        ...(url === undefined ? {} : { url }),
        ...(element.style === undefined ? {} : { style: element.style }),
        action_ts: deps.ts.next(),
      };
      const isEphemeral = ephemeral !== undefined;
      const responseUrl = deps.responseUrl(user.id, channel.id, {
        channel: channel.id,
        ts: options.messageTs,
        ephemeral: isEphemeral,
      });
      const payload = blockActionsPayload(identity, {
        user,
        channel,
        container: { messageTs: options.messageTs, isEphemeral },
        message: message === undefined ? undefined : toSlackMessage(message, workspace),
        action,
        responseUrl,
      });
      const result = await send(deps, options, {
        type: 'interactive',
        payload,
        body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
        contentType: 'application/x-www-form-urlencoded',
      });
      return { ...result, responseUrl };
    },

    async openAppHome(options) {
      const user = requireUser(options.userId);
      eventSeq += 1;
      const eventId = options.eventId ?? `Ev${String(eventSeq).padStart(9, '0')}SANDBOX`;
      const home = conversations.home(user.id);
      const now = deps.clock.now().getTime();
      const event = {
        type: 'app_home_opened',
        user: user.id,
        channel: workspace.dmChannelOf(user.id),
        tab: 'home',
        event_ts: deps.ts.next(),
        // Slack includes the current Home view once the app has published one.
        ...(home === undefined ? {} : { view: { id: home.id, ...home.view, hash: home.hash } }),
      };
      const envelope = eventEnvelope(identity, { event, eventId, eventTime: Math.floor(now / 1000) });
      const viaSocket = (options.transport ?? deps.transport) === 'socket';
      const result = await send(deps, options, {
        type: 'events_api',
        payload: envelope,
        body: JSON.stringify(envelope),
        contentType: 'application/json',
        ...(options.retryNum === undefined
          ? {}
          : {
              retry: {
                attempt: options.retryNum,
                reason: options.retryReason ?? (viaSocket ? 'timeout' : 'http_timeout'),
              },
            }),
      });
      return { ...result, eventId };
    },
  };
}
