import { App } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sandboxIds as ids } from '../../../src/sandbox/slack/default-workspace.js';
import type { SlackFake } from '../../../src/sandbox/slack/fake.js';
import { silentLogger, startFake } from './helpers.js';

/** The miniature bot of bolt-app.test.ts, receiving over Socket Mode instead of HTTP. */
function socketBot(fake: SlackFake): App {
  const app = new App({
    token: fake.botToken,
    appToken: fake.appToken,
    socketMode: true,
    logger: silentLogger,
    clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
  });
  app.command('/fund-milestone', async ({ ack, command, respond, client }) => {
    await ack({ text: `Requesting funding for ${command.text}…` });
    await client.chat.postMessage({
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
    await respond({ text: 'Posted the approval card' });
  });
  app.action('open_approval', async ({ ack, body, client }) => {
    await ack();
    const message = (body as { message?: { ts?: string }; user: { id: string } }).message;
    await client.chat.postMessage({
      channel: ids.financeApprovals,
      thread_ts: message?.ts ?? '',
      text: `Opened by <@${body.user.id}>`,
    });
  });
  app.event('app_home_opened', async ({ event, client }) => {
    await client.views.publish({
      user_id: event.user,
      view: {
        type: 'home',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Nothing pending*' } }],
      },
    });
  });
  return app;
}

describe('Slack fake with a real Bolt app in Socket Mode', () => {
  let fake: SlackFake;
  let app: App;

  beforeEach(async () => {
    ({ fake } = await startFake({ transport: 'socket' }));
    app = socketBot(fake);
    // Resolves once the fake's hello arrives on the socket Bolt opened with apps.connections.open's URL.
    await app.start();
  });

  afterEach(async () => {
    await app.stop();
    await fake.close();
  });

  const command = (text: string) =>
    fake.sendCommand({ text, userId: ids.bob, channelId: ids.financeApprovals });

  it('exchanges a command, a button click and an event over the socket', async () => {
    const ack = await command('123');
    await fake.waitForCall('response_url');
    const [card] = fake.messages(ids.financeApprovals);
    const click = await fake.clickButton({
      userId: ids.alice,
      channelId: ids.financeApprovals,
      messageTs: card?.ts ?? '',
      actionId: 'open_approval',
    });
    await fake.waitForCall('chat.postMessage', (call) => call.args.thread_ts === card?.ts);
    const opened = await fake.openAppHome({ userId: ids.carol });
    await fake.waitForCall('views.publish');

    expect(fake.callsTo('apps.connections.open')).toHaveLength(1);
    expect(fake.socketMode.openConnections()).toBe(1);
    expect(ack).toMatchObject({ status: 200, json: { text: 'Requesting funding for 123…' } });
    expect(fake.ephemerals(ids.bob).map((item) => item.text)).toEqual([
      'Requesting funding for 123…',
      'Posted the approval card',
    ]);
    expect(click.status).toBe(200);
    expect(fake.message(ids.financeApprovals, card?.ts ?? '')?.replies.map((reply) => reply.text)).toEqual([
      `Opened by <@${ids.alice}>`,
    ]);
    expect(opened.status).toBe(200);
    expect(fake.homeView(ids.carol)?.view).toMatchObject({ type: 'home' });
    expect(fake.socketMode.deliveries().map((item) => [item.type, item.outcome])).toEqual([
      ['slash_commands', 'acked'],
      ['interactive', 'acked'],
      ['events_api', 'acked'],
    ]);
  });

  it('reconnects after refresh_requested with a new apps.connections.open, and keeps working', async () => {
    // Bolt closes the socket when told to, then waits clientPingTimeout (5 s by default) before reconnecting.
    await fake.socketMode.disconnect({ reason: 'refresh_requested' });
    const [first] = fake.socketMode.connections();
    await fake.waitUntil(
      () => fake.socketMode.openConnections() === 1 && fake.socketMode.connections().length === 2,
      12_000,
      'a second connection',
    );
    const ack = await command('456');

    expect(first).toMatchObject({ disconnectReason: 'refresh_requested', closeCode: 1000 });
    expect(fake.callsTo('apps.connections.open')).toHaveLength(2);
    expect(ack).toMatchObject({ status: 200, json: { text: 'Requesting funding for 456…' } });
    expect(fake.socketMode.deliveries().at(-1)?.connectionId).toBe(fake.socketMode.connections()[1]?.id);
  }, 20_000);
});
