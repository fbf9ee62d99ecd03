import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FaultSpecInput } from '../../src/sandbox/slack/faults.js';
import { type Harness, ids, replyContaining, startHarness, waitForCard } from './harness.js';

// Issue 9: every command, click and event depended on a live auth.test. Bolt called it before each listener,
// and when it failed (500, 429, ok:false) the command was acked with an empty 200 and vanished.
describe.each<[string, FaultSpecInput]>([
  ['answers 500', { method: 'auth.test', status: 500, times: 1_000 }],
  ['is rate limited (429)', { method: 'auth.test', status: 429, retryAfter: 30, times: 1_000 }],
  ['answers ok:false', { method: 'auth.test', error: 'internal_error', times: 1_000 }],
])('once started, while Slack auth.test %s', (_label, fault) => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
    h.slack.injectFault(fault);
  });
  afterEach(async () => {
    await h.close();
  });

  it('still records and answers commands, clicks and App Home, and no inbound request calls auth.test', async () => {
    const authCallsAtStart = h.slack.callsTo('auth.test').length;
    expect(authCallsAtStart).toBe(1);

    const ack = await h.command('M-1001 batch one');
    expect(ack.status).toBe(200);
    expect(ack.body).toBe('');
    const card = await waitForCard(h, ids.financeApprovals);
    await replyContaining(h, ids.alice, 'Funding requested');

    const help = await h.command('help', { userId: ids.bob });
    expect(help.status).toBe(200);
    expect(help.body).toContain('/fund-milestone');

    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    const click = await h.slack.clickButton({
      appUrl: `${h.service.url}/slack/events`,
      userId: ids.bob,
      channelId: ids.financeApprovals,
      messageTs: card.ts,
      actionId: 'open_approval',
    });
    expect(click.status).toBe(200);
    await expect
      .poll(async () =>
        (await h.service.store.audit.list({ approvalId, limit: 20 })).map((entry) => entry.action),
      )
      .toContain('link-opened');

    const publishes = h.slack.callsTo('views.publish').length;
    const home = await h.slack.openAppHome({ appUrl: `${h.service.url}/slack/events`, userId: ids.carol });
    expect(home.status).toBe(200);
    await h.slack.waitUntil(() => h.slack.callsTo('views.publish').length > publishes || undefined);
    expect(JSON.stringify(h.slack.homeView(ids.carol)?.view)).toContain('First labeling batch');

    expect(h.slack.callsTo('auth.test')).toHaveLength(authCallsAtStart);
  });
});
