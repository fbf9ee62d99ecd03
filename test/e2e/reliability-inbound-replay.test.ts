import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  botMessages,
  type Harness,
  ids,
  opentrainCalls,
  replyContaining,
  startHarness,
  waitForCard,
} from './harness.js';

// Issue 9: a signed command replayed within Slack's 5-minute window after its approval was declined created a
// new approval; X-Slack-Retry-Num was ignored; timestamps up to an hour in the future were accepted.
describe('inbound verification: replays, retries and clocks', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('runs a replayed slash command (the same signed bytes) at most once, even after its approval was declined', async () => {
    const first = await h.command('M-1001');
    expect(first.status).toBe(200);
    const card = await waitForCard(h, ids.financeApprovals);
    await replyContaining(h, ids.alice, 'Funding requested');
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    h.opentrain.decline(approvalId);
    await h.service.pollNow();
    await h.slack.waitUntil(
      () =>
        JSON.stringify(h.slack.message(ids.financeApprovals, card.ts)?.blocks).includes('declined') ||
        undefined,
    );
    const sent = first.sent;
    if (sent === undefined) throw new Error('the fake did not say what it sent');

    // Still inside the 5-minute window: the signature verifies, so only the dedupe can stop it.
    const replayed = await h.slack.replay(sent);
    await h.service.pollNow();

    expect(replayed.status).toBe(200);
    expect(opentrainCalls(h, 'POST', '/milestones/M-1001/fund')).toHaveLength(1);
    expect(
      h.opentrain.snapshot().approvals.filter((approval) => approval.milestoneId === 'M-1001'),
    ).toHaveLength(1);
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
    expect(h.slack.metadataDuplicates()).toEqual([]);
  });

  it('runs an event redelivered with X-Slack-Retry-Num once', async () => {
    const first = await h.slack.openAppHome({ appUrl: `${h.service.url}/slack/events`, userId: ids.alice });
    expect(first.status).toBe(200);
    await h.service.pollNow();
    await h.slack.waitUntil(() => h.slack.homeView(ids.alice));
    const publishes = h.slack.callsTo('views.publish').length;

    const retried = await h.slack.openAppHome({
      appUrl: `${h.service.url}/slack/events`,
      userId: ids.alice,
      eventId: first.eventId,
      retryNum: 1,
      retryReason: 'http_timeout',
    });
    const replayed = first.sent === undefined ? undefined : await h.slack.replay(first.sent);
    await h.service.pollNow();

    expect(retried.status).toBe(200);
    expect(replayed?.status).toBe(200);
    expect(h.slack.callsTo('views.publish')).toHaveLength(publishes);
  });

  it('refuses a request stamped more than a minute in the future with 401, and accepts a small skew', async () => {
    const nowSec = Math.floor(Date.now() / 1_000);
    const ahead = await h.slack.sendCommand({
      appUrl: `${h.service.url}/slack/events`,
      text: 'M-1001',
      userId: ids.alice,
      channelId: ids.financeApprovals,
      timestampSec: nowSec + 120,
    });
    const farAhead = await h.slack.sendCommand({
      appUrl: `${h.service.url}/slack/events`,
      text: 'M-1001',
      userId: ids.alice,
      channelId: ids.financeApprovals,
      timestampSec: nowSec + 3_000,
    });
    await h.service.pollNow();

    expect(ahead.status).toBe(401);
    expect(farAhead.status).toBe(401);
    expect(opentrainCalls(h, 'POST', '/')).toEqual([]);
    expect(botMessages(h, ids.financeApprovals)).toEqual([]);

    const skewed = await h.slack.sendCommand({
      appUrl: `${h.service.url}/slack/events`,
      text: 'M-1001',
      userId: ids.alice,
      channelId: ids.financeApprovals,
      timestampSec: nowSec + 20,
    });
    expect(skewed.status).toBe(200);
    await waitForCard(h, ids.financeApprovals);
  });
});
