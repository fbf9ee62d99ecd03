import { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import type { SlackFake } from '../../../src/sandbox/slack/fake.js';
import { rejectionOf, silentLogger, useFakeWithClient } from './helpers.js';

/** A client that gives up after `timeout` ms, like the bot's WebClient with its own timeout. */
function impatient(fake: SlackFake, timeout: number): webApi.WebClient {
  return new webApi.WebClient(fake.botToken, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    timeout,
    logger: silentLogger,
  });
}

describe('Slack fake late and lost answers', () => {
  const ctx = useFakeWithClient();

  it('lateMs commits the post at once and answers later, so a client timeout fires on a post that landed', async () => {
    ctx.fake.injectFault({ method: 'chat.postMessage', lateMs: 1_200 });

    const error = await rejectionOf(
      impatient(ctx.fake, 300).chat.postMessage({ channel: ids.financeApprovals, text: 'card' }),
    );
    const atTimeout = ctx.fake.messages(ids.financeApprovals).map((message) => message.text);
    const answeredAtTimeout = ctx.fake.callsTo('chat.postMessage').length;
    const call = await ctx.fake.waitForCall('chat.postMessage');

    expect(error).toBeInstanceOf(webApi.WebAPIRequestError);
    expect(atTimeout).toEqual(['card']);
    expect(answeredAtTimeout).toBe(0);
    expect(call.response.status).toBe(200);
    expect(call.fault).toMatchObject({ lateMs: 1_200 });
  });

  it('lateMs delays the answer of a patient client by that much', async () => {
    ctx.fake.injectFault({ method: 'chat.postMessage', lateMs: 100 });
    const started = performance.now();

    const posted = await ctx.client.chat.postMessage({ channel: ids.financeApprovals, text: 'card' });

    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(ctx.fake.message(ids.financeApprovals, posted.ts ?? '')?.text).toBe('card');
  });

  it('latencyMs holds the call before applying it, so at a client timeout nothing was posted yet', async () => {
    ctx.fake.injectFault({ method: 'chat.postMessage', latencyMs: 400 });

    const error = await rejectionOf(
      impatient(ctx.fake, 100).chat.postMessage({ channel: ids.financeApprovals, text: 'card' }),
    );
    const atTimeout = ctx.fake.messages(ids.financeApprovals).length;
    await ctx.fake.waitUntil(() => ctx.fake.messages(ids.financeApprovals).length === 1);

    expect(error).toBeInstanceOf(webApi.WebAPIRequestError);
    expect(atTimeout).toBe(0);
  });

  it('lateMs with reset-after-apply cuts the connection that long after the post landed', async () => {
    ctx.fake.injectFault({ method: 'chat.postMessage', lateMs: 150, drop: 'reset-after-apply' });
    const started = performance.now();

    const error = await rejectionOf(
      ctx.client.chat.postMessage({ channel: ids.financeApprovals, text: 'card' }),
    );

    expect(error).toBeInstanceOf(webApi.WebAPIRequestError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(ctx.fake.messages(ids.financeApprovals).map((message) => message.text)).toEqual(['card']);
    expect(ctx.fake.callsTo('chat.postMessage')[0]?.response.status).toBe(0);
  });

  it('refuses lateMs with parts that never apply the call', () => {
    expect(() => ctx.fake.injectFault({ lateMs: 100, status: 503 })).toThrow(/lateMs/);
    expect(() => ctx.fake.injectFault({ lateMs: 100, error: 'internal_error' })).toThrow(/lateMs/);
    expect(() => ctx.fake.injectFault({ lateMs: 100, drop: 'reset' })).toThrow(/lateMs/);
  });
});
