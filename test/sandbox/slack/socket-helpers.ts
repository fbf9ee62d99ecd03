import { webApi } from '@slack/bolt';
import { WebSocket } from 'ws';
import type { SlackFake } from '../../../src/sandbox/slack/fake.js';
import { silentLogger } from './helpers.js';

export type Frame = Record<string, unknown> & { type?: string; envelope_id?: string; payload?: unknown };

/** A bare Socket Mode client: opens a URL from apps.connections.open and queues every frame Slack sends. */
export interface RawSocket {
  url: string;
  ws: WebSocket;
  /** Resolves with the next frame not read yet. */
  next(): Promise<Frame>;
  ack(envelopeId: string | undefined, payload?: unknown): void;
  /** Resolves with the close code once the connection is closed. */
  closed: Promise<number>;
}

export function appClient(fake: SlackFake, token: string = fake.appToken): webApi.WebClient {
  return new webApi.WebClient(token, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    logger: silentLogger,
  });
}

export async function openUrl(fake: SlackFake): Promise<string> {
  const opened = await appClient(fake).apps.connections.open();
  return String(opened.url);
}

export async function connect(url: string): Promise<RawSocket> {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  const waiters: Array<(frame: Frame) => void> = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    const waiter = waiters.shift();
    if (waiter === undefined) frames.push(frame);
    else waiter(frame);
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    url,
    ws,
    next: () => {
      const frame = frames.shift();
      return frame === undefined ? new Promise((resolve) => waiters.push(resolve)) : Promise.resolve(frame);
    },
    ack: (envelopeId, payload) =>
      ws.send(JSON.stringify({ envelope_id: envelopeId, ...(payload === undefined ? {} : { payload }) })),
    closed,
  };
}
