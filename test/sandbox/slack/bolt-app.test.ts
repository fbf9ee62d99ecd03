import type { AddressInfo } from 'node:net';
import { App } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import type { SlackFake } from '../../../src/sandbox/slack/fake.js';
import { silentLogger, startFake } from './helpers.js';

/**
 * A miniature of the real bot, wired to the fake the way the sandbox wires Countersign: Bolt over HTTP, its
 * WebClient pointed at the fake's /api/. It proves the fake and Bolt understand each other end to end.
 */
function miniatureBot(fake: SlackFake): App {
  const app = new App({
    token: fake.botToken,
    signingSecret: fake.signingSecret,
    logger: silentLogger,
    clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
  });
  app.command('/fund-milestone', async ({ ack, command, respond, client }) => {
    await ack({ text: `Requesting funding for ${command.text}…` });
    const posted = await client.chat.postMessage({
      channel: command.channel_id,
      text: `Funding approval needed for milestone ${command.text}`,
      blocks: [
        {
          type: 'actions',
          block_id: `approval:${command.text}`,
          elements: [
            {
              type: 'button',
              action_id: 'open_approval',
              value: command.text,
              url: `https://opentrain.example/approve/${command.text}`,
              text: { type: 'plain_text', text: 'Review & approve' },
            },
          ],
        },
      ],
    });
    const link = await client.chat.getPermalink({ channel: command.channel_id, message_ts: posted.ts ?? '' });
    await respond({ text: `Posted the approval card: ${link.permalink}` });
  });
  app.action('open_approval', async ({ ack }) => {
    await ack();
  });
  app.event('app_home_opened', async ({ event, client }) => {
    await client.views.publish({
      user_id: event.user,
      view: {
        type: 'home',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*No pending approvals*' } }],
      },
    });
  });
  return app;
}

describe('Slack fake with a real Bolt app', () => {
  let fake: SlackFake;
  let app: App;
  let appUrl: string;

  beforeEach(async () => {
    ({ fake } = await startFake());
    app = miniatureBot(fake);
    const server = await app.start(0);
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  afterEach(async () => {
    await app.stop();
    await fake.close();
  });

  it('runs a slash command through ack, chat.postMessage and respond()', async () => {
    const result = await fake.sendCommand({
      appUrl,
      text: '123',
      userId: ids.bob,
      channelId: ids.financeApprovals,
    });
    await fake.waitForCall('response_url');

    expect(result.status).toBe(200);
    expect(fake.callsTo('auth.test')).toHaveLength(1);
    const [card] = fake.messages(ids.financeApprovals);
    expect(card?.text).toBe('Funding approval needed for milestone 123');
    expect(fake.ephemerals(ids.bob).map((item) => item.text)).toEqual([
      'Requesting funding for 123…',
      `Posted the approval card: ${fake.origin}/archives/${ids.financeApprovals}/p${card?.ts.replace('.', '')}`,
    ]);
  });

  it("is refused by Bolt's signature check when the signature is forged or stale", async () => {
    const forged = await fake.sendCommand({
      appUrl,
      text: '1',
      userId: ids.bob,
      channelId: ids.financeApprovals,
      signature: 'v0=bad',
    });
    const stale = await fake.sendCommand({
      appUrl,
      text: '1',
      userId: ids.bob,
      channelId: ids.financeApprovals,
      timestampSec: Math.floor(Date.now() / 1000) - 600,
    });

    expect(forged.status).toBe(401);
    expect(stale.status).toBe(401);
    expect(fake.callsTo('chat.postMessage')).toEqual([]);
  });

  it('delivers a button click that Bolt routes and acks', async () => {
    await fake.sendCommand({ appUrl, text: '123', userId: ids.bob, channelId: ids.financeApprovals });
    const post = await fake.waitForCall('chat.postMessage');
    const ts = (post.response.body as { ts: string }).ts;

    const click = await fake.clickButton({
      appUrl,
      userId: ids.alice,
      channelId: ids.financeApprovals,
      messageTs: ts,
      actionId: 'open_approval',
    });

    expect(click.status).toBe(200);
  });

  it('delivers app_home_opened, which Bolt answers by publishing a Home view', async () => {
    const opened = await fake.openAppHome({ appUrl, userId: ids.carol });
    await fake.waitForCall('views.publish');

    expect(opened.status).toBe(200);
    expect(fake.homeView(ids.carol)?.view).toMatchObject({ type: 'home' });
  });
});
