import { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import { rejectionOf, silentLogger, useFakeWithClient } from './helpers.js';

describe('Slack fake faults', () => {
  const ctx = useFakeWithClient();

  it('answers 429 with Retry-After, which WebClient surfaces as WebAPIRateLimitedError', async () => {
    ctx.fake.injectFault({ method: 'chat.update', status: 429, retryAfter: 7 });

    const error = await rejectionOf(
      ctx.client.chat.update({ channel: ids.financeApprovals, ts: '1.000001', text: 'x' }),
    );

    expect(error).toBeInstanceOf(webApi.WebAPIRateLimitedError);
    expect((error as webApi.WebAPIRateLimitedError).retryAfter).toBe(7);
    expect(ctx.fake.callsTo('chat.update')[0]?.response).toMatchObject({
      status: 429,
      headers: { 'retry-after': '7' },
    });
  });

  it('answers a 5xx, which WebClient surfaces as WebAPIHTTPError, without applying the call', async () => {
    ctx.fake.injectFault({ method: 'chat.postMessage', status: 500 });

    const error = await rejectionOf(
      ctx.client.chat.postMessage({ channel: ids.financeApprovals, text: 'card' }),
    );

    expect(error).toBeInstanceOf(webApi.WebAPIHTTPError);
    expect((error as webApi.WebAPIHTTPError).statusCode).toBe(500);
    expect(ctx.fake.messages(ids.financeApprovals)).toEqual([]);
  });

  it('plays a platform error as ok:false', async () => {
    ctx.fake.injectFault({ method: 'chat.postMessage', error: 'ratelimited' });

    const error = await rejectionOf(
      ctx.client.chat.postMessage({ channel: ids.financeApprovals, text: 'card' }),
    );

    expect(error).toBeInstanceOf(webApi.WebAPIPlatformError);
    expect((error as webApi.WebAPIPlatformError).data.error).toBe('ratelimited');
  });

  it('counts faults per matching call and then answers normally', async () => {
    ctx.fake.injectFault({ method: 'chat.postMessage', status: 503, times: 2 });
    const post = () => ctx.client.chat.postMessage({ channel: ids.financeApprovals, text: 'card' });

    await ctx.client.auth.test();
    const first = await rejectionOf(post());
    const second = await rejectionOf(post());
    const third = await post();

    expect(first).toBeInstanceOf(webApi.WebAPIHTTPError);
    expect(second).toBeInstanceOf(webApi.WebAPIHTTPError);
    expect(third.ok).toBe(true);
    expect(ctx.fake.calls.map((call) => [call.method, call.response.status])).toEqual([
      ['auth.test', 200],
      ['chat.postMessage', 503],
      ['chat.postMessage', 503],
      ['chat.postMessage', 200],
    ]);
  });

  it('drops the connection, which WebClient reports as WebAPIRequestError', async () => {
    ctx.fake.injectFault({ drop: 'reset' });

    const error = await rejectionOf(ctx.client.auth.test());

    expect(error).toBeInstanceOf(webApi.WebAPIRequestError);
  });

  it('can apply a call and then drop the answer, so the post lands but the client never learns its ts', async () => {
    ctx.fake.injectFault({ method: 'chat.postMessage', drop: 'reset-after-apply' });

    const error = await rejectionOf(
      ctx.client.chat.postMessage({ channel: ids.financeApprovals, text: 'card' }),
    );

    expect(error).toBeInstanceOf(webApi.WebAPIRequestError);
    expect(ctx.fake.messages(ids.financeApprovals)).toEqual([expect.objectContaining({ text: 'card' })]);
  });

  it('delays an answer by latencyMs and then answers normally', async () => {
    ctx.fake.injectFault({ method: 'auth.test', latencyMs: 50 });
    const started = performance.now();

    const result = await ctx.client.auth.test();

    expect(result.ok).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('lets a client timeout fire against injected latency', async () => {
    ctx.fake.injectFault({ method: 'auth.test', latencyMs: 2_000 });
    const impatient = new webApi.WebClient(ctx.fake.botToken, {
      slackApiUrl: ctx.fake.apiUrl,
      retryConfig: { retries: 0 },
      timeout: 50,
      logger: silentLogger,
    });

    const error = await rejectionOf(impatient.auth.test());

    expect(error).toBeInstanceOf(webApi.WebAPIRequestError);
  });

  it('refuses a fault that mixes outcomes, and clearFaults disarms the rest', async () => {
    expect(() => ctx.fake.injectFault({ status: 500, error: 'internal_error' })).toThrow();

    ctx.fake.injectFault({ status: 500, times: 3 });
    ctx.fake.clearFaults();

    expect((await ctx.client.auth.test()).ok).toBe(true);
  });
});
