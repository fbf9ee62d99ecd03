import { describe, expect, it } from 'vitest';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import { platformError, useFakeWithClient } from './helpers.js';

interface Listed {
  ts?: string;
  text?: string;
  subtype?: string;
  reply_count?: number;
  metadata?: unknown;
}

describe('Slack fake conversations.history', () => {
  const ctx = useFakeWithClient();

  async function post(text: string, extra: Record<string, unknown> = {}): Promise<string> {
    const posted = await ctx.client.apiCall('chat.postMessage', {
      channel: ids.financeApprovals,
      text,
      ...extra,
    });
    return String((posted as { ts?: string }).ts);
  }

  async function history(args: Record<string, unknown> = {}) {
    const page = await ctx.client.conversations.history({ channel: ids.financeApprovals, ...args });
    return { ...page, listed: (page.messages ?? []) as Listed[] };
  }

  it('lists top-level messages and broadcast replies, newest first, with thread summaries', async () => {
    const card = await post('card');
    await post('reminder in thread', { thread_ts: card });
    const broadcast = await post('outcome for everyone', { thread_ts: card, reply_broadcast: true });
    await ctx.client.chat.postEphemeral({ channel: ids.financeApprovals, user: ids.bob, text: 'only bob' });
    await post('second card');

    const { listed, has_more } = await history();

    expect(listed.map((message) => message.text)).toEqual(['second card', 'outcome for everyone', 'card']);
    expect(listed[1]).toMatchObject({ ts: broadcast, subtype: 'thread_broadcast', thread_ts: card });
    expect(listed[2]).toMatchObject({ thread_ts: card, reply_count: 2, latest_reply: broadcast });
    expect(has_more).toBe(false);
  });

  it('pages with limit and next_cursor, which WebClient.paginate follows to the end', async () => {
    const posted: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) posted.push(await post(`m${n}`));

    const first = await history({ limit: 2 });
    const second = await history({ limit: 2, cursor: first.response_metadata?.next_cursor });
    const pages: string[][] = [];
    for await (const page of ctx.client.paginate('conversations.history', {
      channel: ids.financeApprovals,
      limit: 2,
    })) {
      const { messages = [] } = page as { messages?: Listed[] };
      pages.push(messages.map((message) => String(message.text)));
    }

    expect(first.listed.map((message) => message.text)).toEqual(['m5', 'm4']);
    expect(first.has_more).toBe(true);
    expect(Buffer.from(first.response_metadata?.next_cursor ?? '', 'base64').toString()).toBe(
      `next_ts:${posted[2]?.replace('.', '')}`,
    );
    expect(second.listed.map((message) => message.text)).toEqual(['m3', 'm2']);
    expect(pages).toEqual([['m5', 'm4'], ['m3', 'm2'], ['m1']]);
  });

  it('keeps to oldest and latest, exclusive unless inclusive', async () => {
    const ts: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) ts.push(await post(`m${n}`));
    const range = { oldest: ts[1], latest: ts[3] };

    const exclusive = await history(range);
    const inclusive = await history({ ...range, inclusive: true });
    const sinceOnly = await history({ oldest: ts[3] });

    expect(exclusive.listed.map((message) => message.text)).toEqual(['m3']);
    expect(inclusive.listed.map((message) => message.text)).toEqual(['m4', 'm3', 'm2']);
    expect(sinceOnly.listed.map((message) => message.text)).toEqual(['m5']);
  });

  it('returns metadata only when include_all_metadata is true', async () => {
    const metadata = { event_type: 'countersign_card', event_payload: { key: 'card:apr_1' } };
    await post('card', { metadata });

    const plain = await history();
    const withMetadata = await history({ include_all_metadata: true });

    expect(plain.listed[0]).not.toHaveProperty('metadata');
    expect(withMetadata.listed[0]?.metadata).toEqual(metadata);
  });

  it('reads the bot DM that conversations.open returns for a user id, the one chat.postMessage used', async () => {
    const posted = await ctx.client.chat.postMessage({ channel: ids.carol, text: 'Reminder' });
    const opened = await ctx.client.conversations.open({ users: ids.carol });

    const dm = await ctx.client.conversations.history({ channel: opened.channel?.id ?? '' });

    expect(opened.channel?.id).toBe(posted.channel);
    expect(opened.channel?.id).toBe(ctx.fake.dmChannelOf(ids.carol));
    expect((dm.messages ?? []).map((message) => message.text)).toEqual(['Reminder']);
  });

  it('refuses conversations the bot cannot read, and malformed arguments, with Slack error codes', async () => {
    const read = (args: Record<string, unknown>) =>
      platformError(ctx.client.apiCall('conversations.history', { channel: ids.financeApprovals, ...args }));

    expect(await read({ channel: 'C0NOPE' })).toBe('channel_not_found');
    expect(await read({ channel: '#finance-approvals' })).toBe('channel_not_found');
    expect(await read({ channel: ids.secretOps })).toBe('channel_not_found');
    expect(await read({ channel: ids.projectX })).toBe('not_in_channel');
    expect(await read({ cursor: 'bm9wZQ==' })).toBe('invalid_cursor');
    expect(await read({ oldest: 'yesterday' })).toBe('invalid_ts_oldest');
    expect(await read({ latest: '1.2.3' })).toBe('invalid_ts_latest');
    expect(await read({ limit: 1000 })).toBe('invalid_arguments');
    expect((await history({ channel: ids.oldApprovals })).ok).toBe(true);
  });
});

describe('Slack fake conversations.replies', () => {
  const ctx = useFakeWithClient();

  async function post(text: string, extra: Record<string, unknown> = {}): Promise<string> {
    const posted = await ctx.client.apiCall('chat.postMessage', {
      channel: ids.financeApprovals,
      text,
      ...extra,
    });
    return String((posted as { ts?: string }).ts);
  }

  it('lists a thread oldest first, the parent first, with metadata on request, paged', async () => {
    const card = await post('card');
    const metadata = { event_type: 'countersign_effect', event_payload: { key: 'thread:outcome:A-1' } };
    await post('first reply', { thread_ts: card, metadata });
    await post('second reply', { thread_ts: card });

    const all = await ctx.client.conversations.replies({
      channel: ids.financeApprovals,
      ts: card,
      include_all_metadata: true,
    });
    const first = await ctx.client.conversations.replies({
      channel: ids.financeApprovals,
      ts: card,
      limit: 2,
    });
    const rest = await ctx.client.conversations.replies({
      channel: ids.financeApprovals,
      ts: card,
      limit: 2,
      cursor: first.response_metadata?.next_cursor,
    });

    const texts = (page: { messages?: Listed[] }) => (page.messages ?? []).map((message) => message.text);
    expect(texts(all)).toEqual(['card', 'first reply', 'second reply']);
    expect((all.messages as Listed[])[1]?.metadata).toEqual(metadata);
    expect(texts(first)).toEqual(['card', 'first reply']);
    expect(first.has_more).toBe(true);
    expect(texts(rest)).toEqual(['second reply']);
  });

  it('keeps the parent first whatever oldest says, and answers thread_not_found for a ts that is no thread', async () => {
    const card = await post('card');
    const reply = await post('reply', { thread_ts: card });

    const after = await ctx.client.conversations.replies({
      channel: ids.financeApprovals,
      ts: card,
      oldest: reply,
    });
    const missing = await platformError(
      ctx.client.conversations.replies({ channel: ids.financeApprovals, ts: '1.000001' }),
    );

    expect((after.messages as Listed[]).map((message) => message.text)).toEqual(['card']);
    expect(missing).toBe('thread_not_found');
  });
});
