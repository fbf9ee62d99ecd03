import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  botMessages,
  dmContaining,
  dmsTo,
  type Harness,
  ids,
  replyContaining,
  startHarness,
  waitForCard,
} from './harness.js';

const hour = 3_600_000;

async function fundAndWaitForCard(h: Harness, milestoneId = 'M-1001') {
  await h.command(milestoneId);
  await replyContaining(h, ids.alice, 'Funding requested');
  const card = await waitForCard(h, ids.financeApprovals, (text) => text.includes(milestoneId));
  const approval = h.opentrain
    .snapshot()
    .approvals.find((candidate) => candidate.milestoneId === milestoneId);
  if (approval === undefined) throw new Error('no approval');
  return { card, approvalId: approval.id };
}

function cardNow(h: Harness, ts: string) {
  const card = h.slack.message(ids.financeApprovals, ts);
  if (card === undefined) throw new Error('card vanished');
  return { ...card, json: JSON.stringify(card.blocks) };
}

describe('an approval from request to outcome', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('edits the card to confirmed with the invoice, removes the button and tells the requester', async () => {
    const { card, approvalId } = await fundAndWaitForCard(h);

    h.opentrain.confirm(approvalId);
    await h.service.pollNow();

    const edited = await h.slack.waitUntil(() => {
      const now = cardNow(h, card.ts);
      return now.json.includes('Milestone funded') ? now : undefined;
    });
    const invoiceId = String(h.opentrain.snapshot().approvals[0]?.result?.invoiceId);
    expect(edited.edited).toBe(true);
    expect(edited.json).toContain(`invoice \`${invoiceId}\``);
    expect(edited.json).not.toContain('"actions"');
    expect(edited.text).toContain('Milestone funded');
    const dm = await dmContaining(h, ids.alice, 'Milestone funded');
    expect(JSON.stringify(dm.blocks)).toContain(invoiceId);
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
  });

  it('edits the card to declined and tells the requester nothing was charged', async () => {
    const { card, approvalId } = await fundAndWaitForCard(h);

    h.opentrain.decline(approvalId);
    await h.service.pollNow();

    await h.slack.waitUntil(() => cardNow(h, card.ts).json.includes('Funding declined') || undefined);
    expect(cardNow(h, card.ts).json).not.toContain('"actions"');
    await dmContaining(h, ids.alice, 'was declined');
  });

  it('reminds at 24 h and 1 h before expiry, once each, then reads the lapsed approval and marks it expired', async () => {
    const { card } = await fundAndWaitForCard(h);

    h.clock.advance(47 * hour);
    await h.service.pollNow();
    expect(dmsTo(h, ids.alice)).toEqual([]);

    h.clock.advance(1 * hour);
    await h.service.pollNow();
    await dmContaining(h, ids.alice, 'expires in 24 hours');
    await h.service.pollNow();
    h.clock.advance(30 * 60_000);
    await h.service.pollNow();

    h.clock.advance(22.5 * hour);
    await h.service.pollNow();
    await dmContaining(h, ids.alice, 'expires in 1 hour');
    await h.service.pollNow();
    expect(dmsTo(h, ids.alice).filter((message) => message.text.startsWith('Reminder'))).toHaveLength(2);
    await h.slack.waitUntil(() => cardNow(h, card.ts).json.includes('(in about an hour)') || undefined);

    h.clock.advance(1 * hour);
    await h.service.pollNow();

    await h.slack.waitUntil(() => cardNow(h, card.ts).json.includes('Funding request expired') || undefined);
    expect(cardNow(h, card.ts).json).toContain('/fund-milestone M-1001');
    await dmContaining(h, ids.alice, 'expired');
    expect(h.opentrain.snapshot().approvals[0]?.status).toBe('expired');
  });

  it('sends no reminder once the approval has ended', async () => {
    const { approvalId } = await fundAndWaitForCard(h);
    h.opentrain.confirm(approvalId);
    await h.service.pollNow();
    await dmContaining(h, ids.alice, 'Milestone funded');

    h.clock.advance(71.5 * hour);
    await h.service.pollNow();

    expect(dmsTo(h, ids.alice).filter((message) => message.text.startsWith('Reminder'))).toEqual([]);
  });

  it('sends only the most urgent reminder when the bot was away for several offsets', async () => {
    await fundAndWaitForCard(h);

    h.clock.advance(71.5 * hour);
    await h.service.pollNow();

    await dmContaining(h, ids.alice, 'expires in 30 minutes');
    await h.service.pollNow();
    expect(dmsTo(h, ids.alice).filter((message) => message.text.startsWith('Reminder'))).toHaveLength(1);
  });

  it('follows an expiry OpenTrain reports in the feed', async () => {
    const { card, approvalId } = await fundAndWaitForCard(h);

    h.opentrain.expire(approvalId);
    await h.service.pollNow();

    await h.slack.waitUntil(() => cardNow(h, card.ts).json.includes('Funding request expired') || undefined);
  });
});

describe('reminder offsets already past when tracking starts', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *', REMINDER_OFFSETS: '80h,2h' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('skips them and still sends the later ones', async () => {
    await fundAndWaitForCard(h);
    await h.service.pollNow();
    expect(dmsTo(h, ids.alice)).toEqual([]);

    h.clock.advance(70 * hour);
    await h.service.pollNow();

    await dmContaining(h, ids.alice, 'expires in 2 hours');
    expect(dmsTo(h, ids.alice)).toHaveLength(1);
  });
});

describe('the scheduled poller', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '*/1 * * * * *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('picks up a confirmation on its own schedule', async () => {
    const { card, approvalId } = await fundAndWaitForCard(h);

    h.opentrain.confirm(approvalId);

    await h.slack.waitUntil(() => cardNow(h, card.ts).json.includes('Milestone funded') || undefined, 5_000);
  });
});

describe('the cost of a tick', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('grows with the number of events, not with the number of pending approvals', async () => {
    for (const milestoneId of ['M-1001', 'M-1002']) await fundAndWaitForCard(h, milestoneId);
    const contract = h.opentrain.snapshot().contracts[0];
    for (let n = 0; n < 20; n++) {
      h.opentrain.addContract({
        id: `C-9${n}`,
        jobId: contract?.jobId ?? 'J-100',
        title: `Extra contract ${n}`,
        rateUsd: 10,
        freelancer: { userId: `F-9${n}`, displayName: 'Extra T.', country: 'Spain', profilePath: '/p' },
        milestones: [{ id: `M-9${n}`, name: `Extra ${n}`, amountUsd: 10, status: 'NOT_FUNDED' }],
      });
      await h.command(`M-9${n}`, { userId: ids.bob });
    }
    await h.slack.waitUntil(() => botMessages(h, ids.financeApprovals).length === 22 || undefined, 10_000);
    await h.service.pollNow();
    h.opentrain.clearRequests();

    await h.service.pollNow();
    const quiet = h.opentrain.requests.map((request) => `${request.method} ${request.path}`);
    const [first, second] = h.opentrain.snapshot().approvals;
    h.opentrain.confirm(first?.id ?? '');
    h.opentrain.decline(second?.id ?? '');
    h.opentrain.clearRequests();
    await h.service.pollNow();
    const busy = h.opentrain.requests.map((request) => `${request.method} ${request.path}`);

    expect(quiet).toEqual(['GET /updates']);
    expect(busy).toEqual(['GET /updates', `GET /approvals/${first?.id}`]);
  });
});
