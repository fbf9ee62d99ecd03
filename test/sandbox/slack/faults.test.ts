import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import type { SlackFake } from '../../../src/sandbox/slack/fake.js';
import { clientFor, rejectionOf, silentLogger, startFake } from './helpers.js';

describe('Slack fake faults', () => {
  let fake: SlackFake;
  let client: webApi.WebClient;

  beforeEach(async () => {
    ({ fake } = await startFake());
    client = clientFor(fake);
  });

  afterEach(async () => {
    await fake.close();
  });

  it('answers 429 with Retry-After, which WebClient surfaces as WebAPIRateLimitedError', async () => {
    fake.injectFault({ method: 'chat.update', status: 429, retryAfter: 7 });

    const error = await rejectionOf(
      client.chat.update({ channel: ids.financeApprovals, ts: '1.000001', text: 'x' }),
    );

    expect(error).toBeInstanceOf(webApi.WebAPIRateLimitedError);
    expect((error as webApi.WebAPIRateLimitedError).retryAfter).toBe(7);
    expect(fake.callsTo('chat.update')[0]?.response).toMatchObject({
      status: 429,
      headers: { 'retry-after': '7' },
    });
  });

  it('answers a 5xx, which WebClient surfaces as WebAPIHTTPError, without applying the call', async () => {
    fake.injectFault({ method: 'chat.postMessage', status: 500 });

    const error = await rejectionOf(client.chat.postMessage({ channel: ids.financeApprovals, text: 'card' }));

    expect(error).toBeInstanceOf(webApi.WebAPIHTTPError);
    expect((error as webApi.WebAPIHTTPError).statusCode).toBe(500);
    expect(fake.messages(ids.financeApprovals)).toEqual([]);
  });

  it('plays a platform error as ok:false', async () => {
    fake.injectFault({ method: 'chat.postMessage', error: 'ratelimited' });

    const error = await rejectionOf(client.chat.postMessage({ channel: ids.financeApprovals, text: 'card' }));

    expect(error).toBeInstanceOf(webApi.WebAPIPlatformError);
    expect((error as webApi.WebAPIPlatformError).data.error).toBe('ratelimited');
  });

  it('counts faults per matching call and then answers normally', async () => {
    fake.injectFault({ method: 'chat.postMessage', status: 503, times: 2 });
    const post = () => client.chat.postMessage({ channel: ids.financeApprovals, text: 'card' });

    await client.auth.test();
    const first = await rejectionOf(post());
    const second = await rejectionOf(post());
    const third = await post();

    expect(first).toBeInstanceOf(webApi.WebAPIHTTPError);
    expect(second).toBeInstanceOf(webApi.WebAPIHTTPError);
    expect(third.ok).toBe(true);
    expect(fake.calls.map((call) => [call.method, call.response.status])).toEqual([
      ['auth.test', 200],
      ['chat.postMessage', 503],
      ['chat.postMessage', 503],
      ['chat.postMessage', 200],
    ]);
  });

  it('drops the connection, which WebClient reports as WebAPIRequestError', async () => {
    fake.injectFault({ drop: 'reset' });

    const error = await rejectionOf(client.auth.test());

    expect(error).toBeInstanceOf(webApi.WebAPIRequestError);
  });

  it('can apply a call and then drop the answer, so the post lands but the client never learns its ts', async () => {
    fake.injectFault({ method: 'chat.postMessage', drop: 'reset-after-apply' });

    const error = await rejectionOf(client.chat.postMessage({ channel: ids.financeApprovals, text: 'card' }));

    expect(error).toBeInstanceOf(webApi.WebAPIRequestError);
    expect(fake.messages(ids.financeApprovals)).toEqual([expect.objectContaining({ text: 'card' })]);
  });

  it('delays an answer by latencyMs and then answers normally', async () => {
    fake.injectFault({ method: 'auth.test', latencyMs: 50 });
    const started = performance.now();

    const result = await client.auth.test();

    expect(result.ok).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('lets a client timeout fire against injected latency', async () => {
    fake.injectFault({ method: 'auth.test', latencyMs: 2_000 });
    const impatient = new webApi.WebClient(fake.botToken, {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
      timeout: 50,
      logger: silentLogger,
    });

    const error = await rejectionOf(impatient.auth.test());

    expect(error).toBeInstanceOf(webApi.WebAPIRequestError);
  });

  it('refuses a fault that mixes outcomes, and clearFaults disarms the rest', async () => {
    expect(() => fake.injectFault({ status: 500, error: 'internal_error' })).toThrow();

    fake.injectFault({ status: 500, times: 3 });
    fake.clearFaults();

    expect((await client.auth.test()).ok).toBe(true);
  });
});
