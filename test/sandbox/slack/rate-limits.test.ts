import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ShiftableClock } from '../../../src/clock.js';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import type { SlackFake } from '../../../src/sandbox/slack/fake.js';
import { slackRateLimits } from '../../../src/sandbox/slack/rate-limits.js';
import { clientFor, rejectionOf, silentLogger, startFake } from './helpers.js';

describe('Slack fake rate limits', () => {
  let fake: SlackFake;
  let clock: ShiftableClock;
  let client: webApi.WebClient;
  /** The fake's real-time source, stepped by hand so windows pass without sleeping. */
  let nowMs = 0;

  beforeEach(async () => {
    nowMs = 0;
    ({ fake, clock } = await startFake({ monotonicMs: () => nowMs }));
    client = clientFor(fake);
  });

  afterEach(async () => {
    await fake.close();
  });

  const update = (ts: string) => client.chat.update({ channel: ids.financeApprovals, ts, text: 'edit' });
  const post = (channel: string = ids.financeApprovals) => client.chat.postMessage({ channel, text: 'card' });

  async function retryAfterOf(promise: Promise<unknown>): Promise<number> {
    const error = await rejectionOf(promise);
    expect(error).toBeInstanceOf(webApi.WebAPIRateLimitedError);
    return (error as webApi.WebAPIRateLimitedError).retryAfter;
  }

  it('limits nothing until told to', async () => {
    const posted = await Promise.all(Array.from({ length: 20 }, () => post()));

    expect(posted.every((answer) => answer.ok)).toBe(true);
    expect(fake.rateLimitCounters()).toEqual({});
  });

  it('answers 429 with Retry-After past a per-workspace allowance, and admits calls again as it refills', async () => {
    fake.setRateLimits([{ method: 'chat.update', limit: 50, windowMs: 60_000 }]);
    const ts = (await post()).ts ?? '';

    for (let n = 0; n < 50; n += 1) await update(ts);
    const retryAfter = await retryAfterOf(update(ts));
    nowMs += 1_200;
    const refilled = await update(ts);
    const again = await retryAfterOf(update(ts));

    expect(retryAfter).toBe(2);
    expect(refilled.ok).toBe(true);
    expect(again).toBe(2);
    const refused = fake.callsTo('chat.update').filter((call) => call.rateLimited);
    expect(refused.map((call) => [call.response.status, call.response.headers['retry-after']])).toEqual([
      [429, '2'],
      [429, '2'],
    ]);
  });

  it('keeps one bucket per channel for chat.postMessage, with a short burst', async () => {
    fake.setRateLimits([{ method: 'chat.postMessage', limit: 1, windowMs: 1_000, burst: 3, per: 'channel' }]);

    for (let n = 0; n < 3; n += 1) await post(ids.financeApprovals);
    const refused = await retryAfterOf(post(ids.financeApprovals));
    const otherChannel = await post(ids.projectX);
    const dm = await Promise.all([post(ids.bob), post(ids.bob), post(ids.bob)]);
    const dmById = await retryAfterOf(post(fake.dmChannelOf(ids.bob)));

    expect(refused).toBe(1);
    expect(otherChannel.ok).toBe(true);
    expect(dm.every((answer) => answer.ok)).toBe(true);
    expect(dmById).toBe(1);
    expect(fake.messages(ids.financeApprovals)).toHaveLength(3);
  });

  it('counts 429s and the calls sent while a Retry-After it announced was still running', async () => {
    fake.setRateLimits([{ method: 'chat.postMessage', limit: 1, windowMs: 2_000, burst: 1 }]);
    await post();
    await retryAfterOf(post());
    nowMs += 1_000;
    await retryAfterOf(post());
    nowMs += 2_500;
    await post();
    fake.injectFault({ method: 'views.publish', status: 429, retryAfter: 5 });
    await retryAfterOf(client.views.publish({ user_id: ids.bob, view: { type: 'home', blocks: [] } }));
    nowMs += 4_000;
    await client.views.publish({ user_id: ids.bob, view: { type: 'home', blocks: [] } });

    expect(fake.rateLimitCounters()).toEqual({
      'chat.postMessage': { rateLimited: 2, sentInsideRetryAfter: 1 },
      'views.publish': { rateLimited: 1, sentInsideRetryAfter: 1 },
    });
  });

  it('runs on real elapsed time: moving the business clock refills nothing', async () => {
    fake.setRateLimits([{ method: 'chat.postMessage', limit: 1, windowMs: 60_000, burst: 1 }]);
    await post();

    clock.advance(71 * 3_600_000);

    expect(await retryAfterOf(post())).toBe(60);
  });

  it('lets a WebClient that honours Retry-After through without a call inside the window', async () => {
    const realTime = await startFake();
    const patient = new webApi.WebClient(realTime.fake.botToken, {
      slackApiUrl: realTime.fake.apiUrl,
      retryConfig: { retries: 1, factor: 1, minTimeout: 0, maxTimeout: 0 },
      logger: silentLogger,
    });
    realTime.fake.setRateLimits([{ method: 'chat.postMessage', limit: 1, windowMs: 1_000, burst: 1 }]);

    await patient.chat.postMessage({ channel: ids.financeApprovals, text: 'first' });
    const second = await patient.chat.postMessage({ channel: ids.financeApprovals, text: 'second' });

    expect(second.ok).toBe(true);
    expect(realTime.fake.rateLimitCounters()).toEqual({
      'chat.postMessage': { rateLimited: 1, sentInsideRetryAfter: 0 },
    });
    await realTime.fake.close();
  });

  it('validates limits, ships Slack-like presets, and forgets limits and counters on reset', async () => {
    expect(() => fake.setRateLimits([{ method: 'chat.update', limit: 0, windowMs: 60_000 }])).toThrow();
    fake.setRateLimits(slackRateLimits);
    expect(fake.rateLimits().find((limit) => limit.method === 'chat.update')).toEqual({
      method: 'chat.update',
      limit: 50,
      windowMs: 60_000,
      per: 'workspace',
    });
    fake.setRateLimits([{ method: 'chat.postMessage', limit: 1, windowMs: 60_000, burst: 1 }]);
    await post();
    await retryAfterOf(post());

    fake.reset();

    expect(fake.rateLimits()).toEqual([]);
    expect(fake.rateLimitCounters()).toEqual({});
    expect((await post()).ok).toBe(true);
  });
});
