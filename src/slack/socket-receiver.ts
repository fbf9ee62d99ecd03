import type { App, Receiver } from '@slack/bolt';
import type { Logger as SlackLogger } from '@slack/logger';
import { SocketModeClient } from '@slack/socket-mode';
import type { Logger } from '../logger.js';
import type { InboundPort } from '../ports/store.js';
import { dispatch } from './dispatch.js';
import type { CommandHandler } from './listeners/commands/index.js';

export interface SlackSocketReceiver extends Receiver {
  /** True while the WebSocket to Slack is open (readiness). */
  connected(): boolean;
}

interface SocketEvent {
  readonly ack: (response?: Record<string, unknown>) => Promise<void>;
  readonly body: Record<string, unknown>;
  readonly envelope_id?: string;
  readonly retry_num?: number;
  readonly retry_reason?: string;
}

/**
 * Slack over Socket Mode: no public address needed. The same dispatch as over HTTP (every request answered,
 * events deduplicated), fed by Slack's own Socket Mode client, which reconnects by itself (on a `disconnect`
 * from Slack, a dropped socket or a missed ping).
 */
export function createSlackSocketReceiver(options: {
  readonly appToken: string;
  readonly apiUrl: string;
  readonly slackLogger: SlackLogger;
  readonly log: Logger;
  readonly inbound: Pick<InboundPort, 'recordDelivery'>;
  readonly businessNow: () => Date;
  readonly onAnswered?: (command: string, seconds: number) => void;
  readonly commands?: ReadonlyMap<string, CommandHandler>;
}): SlackSocketReceiver {
  let app: App | undefined;
  let open = false;
  const client = new SocketModeClient({
    appToken: options.appToken,
    logger: options.slackLogger,
    clientOptions: { slackApiUrl: options.apiUrl },
  });
  client.on('connected', () => {
    open = true;
    options.log.info('connected to Slack over Socket Mode');
  });
  client.on('disconnected', () => {
    open = false;
  });
  client.on('reconnecting', () => {
    open = false;
    options.log.info('reconnecting to Slack over Socket Mode');
  });
  client.on('slack_event', (event: SocketEvent) => {
    if (app === undefined) return;
    const answer = (payload: unknown) => {
      const response =
        typeof payload === 'string' ? { text: payload } : (payload as Record<string, unknown> | undefined);
      event
        .ack(response)
        .catch((error: unknown) => options.log.warn({ err: error }, 'could not ack a Socket Mode envelope'));
    };
    dispatch(
      app,
      {
        body: event.body,
        answer,
        ...(event.retry_num === undefined ? {} : { retryNum: event.retry_num }),
        ...(event.retry_reason === undefined ? {} : { retryReason: event.retry_reason }),
        ...(event.envelope_id === undefined ? {} : { requestId: event.envelope_id }),
      },
      {
        inbound: options.inbound,
        log: options.log,
        now: options.businessNow,
        onAnswered: options.onAnswered,
        ...(options.commands === undefined ? {} : { commands: options.commands }),
      },
    ).catch((error: unknown) => options.log.error({ err: error }, 'Slack event failed'));
  });
  return {
    connected: () => open,
    init(bolt) {
      app = bolt;
    },
    async start() {
      await client.start();
      return undefined;
    },
    async stop() {
      await client.disconnect();
      return undefined;
    },
  };
}
