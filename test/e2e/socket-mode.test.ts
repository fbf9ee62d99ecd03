import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { botMessages, type Harness, ids, replyContaining, startHarness, waitForCard } from './harness.js';

/** Socket Mode: the bot dials Slack (here the fake's WebSocket); Slack never calls it. */
describe('Socket Mode', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' }, { startBot: false });
    h.env.SLACK_APP_TOKEN = h.slack.appToken;
    h.env.SLACK_SIGNING_SECRET = '';
    await h.startBot();
    await h.slack.waitUntil(() => h.slack.socketMode.openConnections() === 1 || undefined);
  });
  afterEach(async () => {
    await h.close();
  });

  const command = (text: string) =>
    h.slack.sendCommand({ transport: 'socket', text, userId: ids.alice, channelId: ids.financeApprovals });

  it('takes a command over the socket, posts the card and answers with one private message', async () => {
    const ack = await command('M-1001');

    expect(ack.body).toBe('');
    await waitForCard(h, ids.financeApprovals);
    await replyContaining(h, ids.alice, 'Funding requested');
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
    expect(h.slack.ephemerals(ids.alice)).toHaveLength(1);
  });

  it('serves no /slack/events, and keeps health and readiness on PORT', async () => {
    await h.service.pollNow();

    const events = await fetch(`${h.service.url}/slack/events`, { method: 'POST', body: '{}' });
    const ready = await fetch(`${h.service.url}/readyz`);

    expect(events.status).toBe(404);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ slack: 'connected' });
  });

  it('reconnects when Slack asks it to refresh its connection, and goes on taking commands', async () => {
    const opened = h.slack.socketMode.connections().length;

    await h.slack.socketMode.disconnect({ reason: 'refresh_requested' });
    await h.slack.waitUntil(
      () =>
        (h.slack.socketMode.connections().length > opened && h.slack.socketMode.openConnections() === 1) ||
        undefined,
      10_000,
    );

    const ack = await command('M-1002');
    expect(ack.body).toBe('');
    await waitForCard(h, ids.financeApprovals);
  });
});
