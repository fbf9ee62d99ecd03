import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dmContaining, type Harness, ids, replyContaining, startHarness, waitForCard } from './harness.js';

const hour = 3_600_000;
const labeling = 'C0LABELING';

function homeText(h: Harness, userId: string): string {
  return JSON.stringify(h.slack.homeView(userId)?.view ?? null);
}

describe('App Home', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  async function openHome(userId: string) {
    const before = h.slack.callsTo('views.publish').length;
    const result = await h.slack.openAppHome({ appUrl: `${h.service.url}/slack/events`, userId });
    expect(result.status).toBe(200);
    await h.slack.waitUntil(() => h.slack.callsTo('views.publish').length > before || undefined);
  }

  it('shows each person the pending approvals they asked for or can see in their channels, then the outcomes', async () => {
    await openHome(ids.alice);
    expect(homeText(h, ids.alice)).toContain('Nothing is waiting');

    await h.command('M-1001 batch 1', { userId: ids.alice });
    await waitForCard(h, ids.financeApprovals);
    await h.slack.waitUntil(() => homeText(h, ids.alice).includes('First labeling batch') || undefined);
    expect(homeText(h, ids.alice)).toContain('(in 3 days)');

    await openHome(ids.bob);
    await openHome(ids.dan);
    expect(homeText(h, ids.bob)).toContain('First labeling batch');
    expect(homeText(h, ids.dan)).not.toContain('First labeling batch');

    h.opentrain.confirm(h.opentrain.snapshot().approvals[0]?.id ?? '');
    await h.service.pollNow();

    await h.slack.waitUntil(() => homeText(h, ids.alice).includes('Recent outcomes') || undefined);
    expect(homeText(h, ids.alice)).toContain('*confirmed*');
    expect(homeText(h, ids.alice)).toContain('Nothing is waiting');
  });

  it('keeps its countdowns true with one republish when what they say changes', async () => {
    await openHome(ids.alice);
    await h.command('M-1001', { userId: ids.alice });
    await h.slack.waitUntil(() => homeText(h, ids.alice).includes('(in 3 days)') || undefined);
    await h.service.pollNow();
    const publishes = () =>
      h.slack.callsTo('views.publish').filter((call) => call.args.user_id === ids.alice).length;
    const before = publishes();

    h.clock.advance(11.9 * hour);
    await h.service.pollNow();
    expect(publishes()).toBe(before);

    h.clock.advance(0.2 * hour);
    await h.service.pollNow();
    expect(homeText(h, ids.alice)).toContain('(in 2 days)');
    expect(publishes()).toBe(before + 1);
  });
});

describe('App Home when Slack stumbles', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('retries a Home tab it could not render completely, rather than publishing one with approvals missing', async () => {
    await h.command('M-1001', { userId: ids.alice });
    await waitForCard(h, ids.financeApprovals);
    h.clock.advance(6 * 60_000); // past the membership cache
    h.slack.injectFault({ method: 'conversations.members', status: 500 });

    await h.slack.openAppHome({ appUrl: `${h.service.url}/slack/events`, userId: ids.bob });

    await h.slack.waitUntil(() => homeText(h, ids.bob).includes('First labeling batch') || undefined, 10_000);
    expect(h.slack.callsTo('conversations.members').map((call) => call.response.status)).toContain(500);
    expect(h.slack.callsTo('views.publish').filter((call) => call.args.user_id === ids.bob)).toHaveLength(1);
  });
});

describe('threads', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *', ADMIN_USERS: ids.alice });
    h.slack.addChannel({
      id: labeling,
      name: 'labeling',
      members: [ids.alice, ids.bob, ids.dan],
      botIsMember: true,
    });
  });
  afterEach(async () => {
    await h.close();
  });

  it("replies with the outcome in the card's thread, as well as editing the card", async () => {
    await h.command('M-1001');
    const card = await waitForCard(h, ids.financeApprovals);

    h.opentrain.decline(h.opentrain.snapshot().approvals[0]?.id ?? '');
    await h.service.pollNow();

    const reply = await h.slack.waitUntil(() => h.slack.message(ids.financeApprovals, card.ts)?.replies[0]);
    expect(JSON.stringify(reply.blocks)).toContain('Declined');
  });

  it("posts the last reminder in the thread, mentioning the route's approvers", async () => {
    await h.command(`route set J-100 <#${labeling}> <@${ids.bob}> <!subteam^${ids.financeGroup}>`, {
      userId: ids.alice,
    });
    await replyContaining(h, ids.alice, 'Route saved');
    await h.command('M-1001', { userId: ids.dan, channelId: labeling });
    const card = await waitForCard(h, labeling);

    h.clock.advance(48 * hour);
    await h.service.pollNow();
    await dmContaining(h, ids.dan, 'expires in 24 hours');
    expect(h.slack.message(labeling, card.ts)?.replies).toEqual([]);

    h.clock.advance(23 * hour);
    await h.service.pollNow();

    const reminder = await h.slack.waitUntil(() => h.slack.message(labeling, card.ts)?.replies[0]);
    const text = JSON.stringify(reminder.blocks);
    expect(text).toContain('expires in 1 hour');
    expect(text).toContain(`<@${ids.bob}> <!subteam^${ids.financeGroup}>, please review it`);
    await dmContaining(h, ids.dan, 'expires in 1 hour');
  });
});

describe('the autofund rule', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *', ADMIN_USERS: ids.alice });
    h.slack.addChannel({ id: labeling, name: 'labeling', members: [ids.alice, ids.bob], botIsMember: true });
  });
  afterEach(async () => {
    await h.close();
  });

  async function setRule(extra = '') {
    await h.command(`route set job:J-100 <#${labeling}> <@${ids.bob}> autofund ${extra}`.trim(), {
      userId: ids.alice,
    });
    await replyContaining(h, ids.alice, 'Route saved');
  }

  it('requests funding for a new unfunded milestone on a routed job and posts the card, attributed to the rule', async () => {
    h.opentrain.addMilestone('C-501', { id: 'M-OLD', name: 'Before the rule', amountUsd: 50 });
    h.clock.advance(1_000);
    await setRule();

    h.opentrain.addMilestone('C-501', { id: 'M-2001', name: 'Batch 3', amountUsd: 500 });
    await h.service.pollNow();

    const card = await waitForCard(h, labeling);
    const text = JSON.stringify(card.blocks);
    expect(text).toContain('Batch 3');
    expect(text).toContain('Requested by autofund rule for job J-100');
    expect(text).toContain(`approvers: <@${ids.bob}>`);
    await h.service.pollNow();
    const funded = h.opentrain.snapshot().approvals.map((approval) => approval.milestoneId);
    expect(funded).toEqual(['M-2001']);
  });

  it("tells the route's channel when OpenTrain refuses the rule's request", async () => {
    await setRule();
    h.opentrain.setAccount({ paymentMethod: false });

    h.opentrain.addMilestone('C-501', { id: 'M-2002', name: 'Batch 4', amountUsd: 500 });
    await h.service.pollNow();

    const notice = await h.slack.waitUntil(() =>
      h.slack.messages(labeling).find((message) => message.text.includes('tried to request funding')),
    );
    expect(notice.text).toContain('`M-2002`');
    expect(notice.text).toContain('payment method');
  });
});
