import type { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import { approvalCard, platformError, rejectionOf, useFakeWithClient } from './helpers.js';

describe('Slack fake chat.* methods, driven by a real WebClient', () => {
  const ctx = useFakeWithClient();

  it('posts, updates and links an approval card, recording each call decoded', async () => {
    const posted = await ctx.client.chat.postMessage({
      channel: ids.financeApprovals,
      text: 'Funding needed',
      blocks: approvalCard,
    });
    const ts = posted.ts ?? '';

    await ctx.client.chat.update({
      channel: ids.financeApprovals,
      ts,
      text: 'Funding confirmed',
      blocks: approvalCard.slice(0, 2),
    });
    const link = await ctx.client.chat.getPermalink({ channel: ids.financeApprovals, message_ts: ts });

    expect(posted).toMatchObject({
      ok: true,
      channel: ids.financeApprovals,
      message: { text: 'Funding needed' },
    });
    expect(ts).toMatch(/^\d{10}\.\d{6}$/);
    const [message] = ctx.fake.messages(ids.financeApprovals);
    expect(message).toMatchObject({
      ts,
      text: 'Funding confirmed',
      blocks: approvalCard.slice(0, 2),
      edited: true,
    });
    expect(message?.history).toEqual([
      expect.objectContaining({ text: 'Funding needed', blocks: approvalCard }),
    ]);
    expect(link.permalink).toBe(
      `${ctx.fake.origin}/archives/${ids.financeApprovals}/p${ts.replace('.', '')}`,
    );
    expect(ctx.fake.callsTo('chat.postMessage')[0]?.args).toEqual({
      channel: ids.financeApprovals,
      text: 'Funding needed',
      blocks: approvalCard,
    });
  });

  it('keeps the old blocks when chat.update sends none, like Slack', async () => {
    const posted = await ctx.client.chat.postMessage({
      channel: ids.financeApprovals,
      text: 'v1',
      blocks: approvalCard,
    });

    await ctx.client.chat.update({ channel: ids.financeApprovals, ts: posted.ts ?? '', text: 'v2' });

    expect(ctx.fake.message(ids.financeApprovals, posted.ts ?? '')).toMatchObject({
      text: 'v2',
      blocks: approvalCard,
    });
  });

  it('threads replies under their parent and links them with thread_ts', async () => {
    const parent = await ctx.client.chat.postMessage({ channel: ids.financeApprovals, text: 'card' });
    const reply = await ctx.client.chat.postMessage({
      channel: ids.financeApprovals,
      text: 'reminder',
      thread_ts: parent.ts ?? '',
    });
    const link = await ctx.client.chat.getPermalink({
      channel: ids.financeApprovals,
      message_ts: reply.ts ?? '',
    });

    expect(ctx.fake.messages(ids.financeApprovals)).toEqual([
      expect.objectContaining({ ts: parent.ts, replies: [expect.objectContaining({ text: 'reminder' })] }),
    ]);
    expect(link.permalink).toContain(`?thread_ts=${parent.ts}&cid=${ids.financeApprovals}`);
    expect(
      await platformError(
        ctx.client.chat.postMessage({ channel: ids.financeApprovals, text: 'x', thread_ts: '1.000001' }),
      ),
    ).toBe('thread_not_found');
  });

  it('turns a user id into the bot DM, which conversations.open also returns', async () => {
    const posted = await ctx.client.chat.postMessage({
      channel: ids.alice,
      text: 'Reminder: approval expires soon',
    });
    const opened = await ctx.client.conversations.open({ users: ids.alice });

    const dm = ctx.fake.dmChannelOf(ids.alice);
    expect(dm).toMatch(/^D/);
    expect(posted.channel).toBe(dm);
    expect(opened).toMatchObject({ ok: true, already_open: true, channel: { id: dm } });
    expect(ctx.fake.messages(dm ?? '')).toEqual([
      expect.objectContaining({ text: 'Reminder: approval expires soon' }),
    ]);
    expect(
      await platformError(ctx.client.chat.update({ channel: ids.alice, ts: posted.ts ?? '', text: 'x' })),
    ).toBe('channel_not_found');
  });

  it('applies the channel rules of chat:write plus chat:write.public', async () => {
    const publicNotMember = await ctx.client.chat.postMessage({ channel: ids.projectX, text: 'hello' });

    expect(publicNotMember.ok).toBe(true);
    expect(await platformError(ctx.client.chat.postMessage({ channel: ids.secretOps, text: 'x' }))).toBe(
      'not_in_channel',
    );
    expect(await platformError(ctx.client.chat.postMessage({ channel: 'C0NOPE', text: 'x' }))).toBe(
      'channel_not_found',
    );
    expect(await platformError(ctx.client.chat.postMessage({ channel: ids.oldApprovals, text: 'x' }))).toBe(
      'is_archived',
    );
  });

  it('refuses empty, oversized and invalid content with Slack error codes', async () => {
    const post = (args: Record<string, unknown>) =>
      platformError(ctx.client.apiCall('chat.postMessage', { channel: ids.financeApprovals, ...args }));
    const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    const button = (extra: Record<string, unknown>) => ({
      type: 'actions',
      elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Go' }, ...extra }],
    });

    expect(await post({})).toBe('no_text');
    expect(await post({ text: 'x'.repeat(40_001) })).toBe('msg_too_long');
    expect(await post({ blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) })).toBe(
      'invalid_blocks',
    );
    expect(await post({ blocks: [section('x'.repeat(3001))] })).toBe('invalid_blocks');
    expect(
      await post({ blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] }),
    ).toBe('invalid_blocks');
    expect(await post({ blocks: [button({ text: { type: 'plain_text', text: 'x'.repeat(76) } })] })).toBe(
      'invalid_blocks',
    );
    expect(await post({ blocks: [button({ url: `https://x.example/${'x'.repeat(3000)}` })] })).toBe(
      'invalid_blocks',
    );
    expect(await post({ blocks: [button({ action_id: 'x'.repeat(256) })] })).toBe('invalid_blocks');
    const context = {
      type: 'context',
      elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'x' })),
    };
    expect(await post({ blocks: [context] })).toBe('invalid_blocks');
    expect(ctx.fake.messages(ids.financeApprovals)).toEqual([]);
  });

  it("says why blocks were refused, in Slack's json-pointer form", async () => {
    const error = await rejectionOf(
      ctx.client.chat.postMessage({
        channel: ids.financeApprovals,
        text: 'x',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }],
      }),
    );

    expect((error as webApi.WebAPIPlatformError).data.response_metadata?.messages).toEqual([
      '[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
    ]);
  });

  it('only updates messages the bot posted, where they are', async () => {
    const posted = await ctx.client.chat.postMessage({ channel: ids.financeApprovals, text: 'card' });

    expect(
      await platformError(
        ctx.client.chat.update({ channel: ids.financeApprovals, ts: '1.000001', text: 'x' }),
      ),
    ).toBe('message_not_found');
    expect(
      await platformError(ctx.client.chat.update({ channel: ids.projectX, ts: posted.ts ?? '', text: 'x' })),
    ).toBe('message_not_found');
  });

  it('shows an ephemeral only to a user in the channel', async () => {
    const sent = await ctx.client.chat.postEphemeral({
      channel: ids.financeApprovals,
      user: ids.bob,
      text: 'Only you',
    });

    expect(sent.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(ctx.fake.ephemerals(ids.bob)).toEqual([
      expect.objectContaining({ text: 'Only you', channel: ids.financeApprovals }),
    ]);
    expect(ctx.fake.ephemerals(ids.alice)).toEqual([]);
    expect(
      await platformError(
        ctx.client.chat.postEphemeral({ channel: ids.financeApprovals, user: ids.dan, text: 'x' }),
      ),
    ).toBe('user_not_in_channel');
  });
});
