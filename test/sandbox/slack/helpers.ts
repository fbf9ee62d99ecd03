import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isValidSlackRequest, webApi } from '@slack/bolt';
import { afterEach, beforeEach, expect } from 'vitest';
import { ShiftableClock } from '../../../src/clock.js';
import { createSlackFake, type SlackFake, type SlackFakeOptions } from '../../../src/sandbox/slack/fake.js';

/** WebClient logs Slack's warnings and `[ERROR]` metadata; the tests assert on errors instead of reading logs. */
export const silentLogger: webApi.Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => webApi.LogLevel.ERROR,
  setName: () => {},
};

export async function startFake(
  options: Partial<SlackFakeOptions> = {},
): Promise<{ fake: SlackFake; clock: ShiftableClock }> {
  const clock = new ShiftableClock();
  const fake = createSlackFake({ clock, ...options });
  await fake.listen();
  return { fake, clock };
}

/** A WebClient set up the way the tests of the bot's Slack gateway use it: no retries, 429s rejected. */
export function clientFor(fake: SlackFake, token: string = fake.botToken): webApi.WebClient {
  return new webApi.WebClient(token, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: silentLogger,
  });
}

/** Whether Bolt's own verifier accepts a request the fake signed. */
export function verifies(
  fake: SlackFake,
  body: string,
  headers: Record<string, string | string[] | undefined>,
): boolean {
  return isValidSlackRequest({
    signingSecret: fake.signingSecret,
    body,
    headers: {
      'x-slack-signature': String(headers['x-slack-signature']),
      'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
    },
  });
}

/** The error a promise rejected with (fails the test if it resolved). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingApp {
  url: string;
  received: ReceivedRequest[];
  /** Resolves with the next request (or one already waiting to be read). */
  nextRequest(): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/**
 * A tiny stand-in for the bot's HTTP endpoint: records every request and answers with `reply`
 * (or never answers, to play an app that misses Slack's ack window).
 */
export async function startRecordingApp(
  reply: (
    request: ReceivedRequest,
  ) => { status: number; body?: string; contentType?: string } | 'hang' = () => ({
    status: 200,
  }),
): Promise<RecordingApp> {
  const received: ReceivedRequest[] = [];
  const waiters: Array<(request: ReceivedRequest) => void> = [];
  let read = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      const waiter = waiters.shift();
      if (waiter !== undefined) {
        read += 1;
        waiter(request);
      }
      const answer = reply(request);
      if (answer === 'hang') return;
      res.writeHead(
        answer.status,
        answer.contentType === undefined ? {} : { 'content-type': answer.contentType },
      );
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slack/events`,
    received,
    nextRequest() {
      const waiting = received[read];
      if (waiting !== undefined) {
        read += 1;
        return Promise.resolve(waiting);
      }
      return new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** An approval card shaped like the bot's: header, section, and the URL button Slack reports clicks on. */
export const approvalCard = [
  { type: 'header', text: { type: 'plain_text', text: 'Escrow funding requested' } },
  { type: 'section', text: { type: 'mrkdwn', text: '*Milestone* `123`' } },
  {
    type: 'actions',
    block_id: 'approval:apr_1',
    elements: [
      {
        type: 'button',
        action_id: 'open_approval',
        value: 'apr_1',
        text: { type: 'plain_text', text: 'Review & approve' },
        url: 'https://opentrain.example/approve/apr_1',
      },
    ],
  },
];

/** The `error` of an ok:false answer, checking it surfaced as WebClient's platform error. */
export async function platformError(promise: Promise<unknown>): Promise<string> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(webApi.WebAPIPlatformError);
  return (error as webApi.WebAPIPlatformError).data.error;
}

/** A fresh fake and a WebClient pointed at it for every test of the enclosing describe. */
export function useFakeWithClient(): { fake: SlackFake; client: webApi.WebClient } {
  const context = {} as { fake: SlackFake; client: webApi.WebClient };
  beforeEach(async () => {
    ({ fake: context.fake } = await startFake());
    context.client = clientFor(context.fake);
  });
  afterEach(async () => {
    await context.fake.close();
  });
  return context;
}
