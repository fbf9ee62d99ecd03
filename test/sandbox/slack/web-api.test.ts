import { describe, expect, it } from 'vitest';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import { approvalCard, clientFor, platformError, startFake, useFakeWithClient } from './helpers.js';

describe('Slack fake Web API, driven by a real WebClient', () => {
  const ctx = useFakeWithClient();

  it('answers auth.test with the bot identity Bolt asks for at startup', async () => {
    const result = await ctx.client.auth.test();

    expect(result).toMatchObject({
      ok: true,
      team_id: ids.team,
      user_id: ids.botUser,
      bot_id: ids.bot,
      url: `${ctx.fake.origin}/`,
    });
  });

  it('rejects a wrong token with invalid_auth and a missing one with not_authed', async () => {
    const wrong = clientFor(ctx.fake, 'xoxb-wrong');
    const none = clientFor(ctx.fake, '');

    expect(await platformError(wrong.auth.test())).toBe('invalid_auth');
    expect(await platformError(none.auth.test())).toBe('not_authed');
  });

  it('answers an unknown method with unknown_method', async () => {
    expect(await platformError(ctx.client.apiCall('chat.doesNotExist'))).toBe('unknown_method');
  });

  it('describes channels, pages their members and hides private channels the bot is not in', async () => {
    const info = await ctx.client.conversations.info({ channel: ids.projectX });
    const first = await ctx.client.conversations.members({ channel: ids.financeApprovals, limit: 2 });
    const second = await ctx.client.conversations.members({
      channel: ids.financeApprovals,
      limit: 2,
      cursor: first.response_metadata?.next_cursor ?? '',
    });

    expect(info.channel).toMatchObject({
      id: ids.projectX,
      name: 'project-x',
      is_member: false,
      is_private: false,
    });
    expect(first.members).toEqual([ids.alice, ids.bob]);
    expect(second.members).toEqual([ids.carol, ids.botUser]);
    expect(second.response_metadata?.next_cursor).toBe('');
    expect(await platformError(ctx.client.conversations.info({ channel: ids.secretOps }))).toBe(
      'channel_not_found',
    );
  });

  it('answers users.info and usergroups.users.list from the workspace', async () => {
    const alice = await ctx.client.users.info({ user: ids.alice });
    const finance = await ctx.client.usergroups.users.list({ usergroup: ids.financeGroup });

    expect(alice.user).toMatchObject({ id: ids.alice, name: 'alice', tz: 'Europe/London', is_admin: true });
    expect(finance.users).toEqual([ids.alice, ids.carol]);
    expect(await platformError(ctx.client.users.info({ user: 'U0NOBODY' }))).toBe('user_not_found');
  });

  it('stores the latest Home view per user and refuses more than 100 blocks', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*My pending approvals*' } }];

    await ctx.client.views.publish({ user_id: ids.bob, view: { type: 'home', blocks: [] } });
    await ctx.client.views.publish({ user_id: ids.bob, view: { type: 'home', blocks } });
    const tooMany = Array.from({ length: 101 }, () => ({ type: 'divider' }));

    expect(ctx.fake.homeView(ids.bob)?.view).toMatchObject({ type: 'home', blocks });
    expect(
      await platformError(
        ctx.client.views.publish({ user_id: ids.bob, view: { type: 'home', blocks: tooMany } }),
      ),
    ).toBe('invalid_arguments');
  });

  it('accepts JSON bodies with the token in the Authorization header', async () => {
    const response = await fetch(`${ctx.fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ctx.fake.botToken}`,
        'content-type': 'application/json; charset=utf-8',
      },
      body: JSON.stringify({ channel: ids.financeApprovals, text: 'json', blocks: approvalCard }),
    });

    expect(await response.json()).toMatchObject({ ok: true, channel: ids.financeApprovals });
    expect(ctx.fake.messages(ids.financeApprovals)[0]?.blocks).toEqual(approvalCard);
  });

  it('hands out unique, increasing ts values even when the clock stands still', async () => {
    const frozen = { now: () => new Date('2026-09-11T14:00:00Z') };
    const { fake: still } = await startFake({ clock: frozen });
    const stillClient = clientFor(still);

    const first = await stillClient.chat.postMessage({ channel: ids.financeApprovals, text: 'a' });
    const second = await stillClient.chat.postMessage({ channel: ids.financeApprovals, text: 'b' });
    await still.close();

    expect(first.ts).toBe('1789135200.000000');
    expect(second.ts).toBe('1789135200.000001');
  });
});
