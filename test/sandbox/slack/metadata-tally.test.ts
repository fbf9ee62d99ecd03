import { describe, expect, it } from 'vitest';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import { rejectionOf, useFakeWithClient } from './helpers.js';

const keyed = (key: unknown) => ({ event_type: 'countersign', event_payload: { key } });

describe('Slack fake doubles accounting by metadata key', () => {
  const ctx = useFakeWithClient();

  async function post(channel: string, key: unknown, extra: Record<string, unknown> = {}): Promise<string> {
    const posted = await ctx.client.apiCall('chat.postMessage', {
      channel,
      text: String(key),
      metadata: keyed(key),
      ...extra,
    });
    return String((posted as { ts?: string }).ts);
  }

  it('counts top-level messages and thread replies per key, across channels and DMs', async () => {
    const card = await post(ids.financeApprovals, 'card:apr_1');
    await post(ids.financeApprovals, 'reminder:apr_1:1h', { thread_ts: card });
    await post(ids.financeApprovals, 'outcome:apr_1', { thread_ts: card, reply_broadcast: true });
    await post(ids.bob, 'dm:apr_1');
    await post(ids.financeApprovals, 7);
    await post(ids.financeApprovals, { not: 'a key' });
    await ctx.client.chat.postMessage({ channel: ids.financeApprovals, text: 'no metadata' });

    const tally = ctx.fake.metadataTally();

    expect(tally.map(({ key, topLevel, replies }) => [key, topLevel, replies])).toEqual([
      ['7', 1, 0],
      ['card:apr_1', 1, 0],
      ['dm:apr_1', 1, 0],
      ['outcome:apr_1', 0, 1],
      ['reminder:apr_1:1h', 0, 1],
    ]);
    expect(tally.find((entry) => entry.key === 'dm:apr_1')?.messages).toEqual([
      { channel: ctx.fake.dmChannelOf(ids.bob), ts: expect.any(String) },
    ]);
    expect(tally.find((entry) => entry.key === 'outcome:apr_1')?.messages[0]?.threadTs).toBe(card);
    expect(ctx.fake.metadataDuplicates()).toEqual([]);
  });

  it('finds the double a lost answer causes when the sender posts again', async () => {
    ctx.fake.injectFault({ method: 'chat.postMessage', drop: 'reset-after-apply' });
    const lost = await rejectionOf(post(ids.financeApprovals, 'card:apr_2'));
    await post(ids.financeApprovals, 'card:apr_2');

    const doubled = ctx.fake.metadataDuplicates();

    expect(lost).toBeInstanceOf(Error);
    expect(doubled.map(({ key, topLevel, replies }) => [key, topLevel, replies])).toEqual([
      ['card:apr_2', 2, 0],
    ]);
  });

  it('follows metadata replaced by chat.update, drops deleted messages, and reads another field', async () => {
    const card = await post(ids.financeApprovals, 'card:apr_3');
    const stray = await post(ids.financeApprovals, 'card:apr_3');
    await ctx.client.chat.update({
      channel: ids.financeApprovals,
      ts: card,
      text: 'v2',
      metadata: { event_type: 'countersign', event_payload: { key: 'card:apr_3:v2', approval: 'apr_3' } },
    });
    await ctx.client.chat.delete({ channel: ids.financeApprovals, ts: stray });

    expect(ctx.fake.metadataTally().map((entry) => entry.key)).toEqual(['card:apr_3:v2']);
    expect(ctx.fake.metadataTally('approval').map((entry) => [entry.key, entry.topLevel])).toEqual([
      ['apr_3', 1],
    ]);
  });
});
