import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { botMessages, type Harness, ids, replyContaining, startHarness, waitForCard } from './harness.js';

interface ApprovalBody {
  approval: { id: string; milestoneId: string | null; contractId: string | null; approvalUrl: string };
}

/** Everything Slack holds or was ever sent: messages, replies, ephemerals, Home views, and every call's arguments. */
function everythingSlackSaw(h: Harness): string {
  return JSON.stringify(h.slack.snapshot()) + JSON.stringify(h.slack.calls.map((call) => call.args));
}

function cardText(h: Harness, ts: string): string {
  const card = h.slack.message(ids.financeApprovals, ts);
  return `${card?.text ?? ''}${JSON.stringify(card?.blocks ?? [])}`;
}

// Issue 9: the poller trusted the id inside OpenTrain's answer (an answer for approval A carrying B's body marked
// B's card funded), and links were not pinned to OpenTrain's origin. An answer that does not match what was asked
// is a bad response, and only OpenTrain's own origin goes into a button or a link.
describe('OpenTrain answers that do not match what was asked', () => {
  let h: Harness;
  let origin: string;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
    origin = h.opentrain.origin ?? '';
  });
  afterEach(async () => {
    await h.close();
  });

  /**
   * Alice's M-1001 requested 48 hours before Bob's M-1002, then 25 hours more: A is past its expiry (the poller
   * reads it afresh: the lapsed path), B has 47 hours left (nothing reads it).
   */
  async function twoCards() {
    await h.command('M-1001');
    const cardA = await waitForCard(h, ids.financeApprovals, (text) => text.includes('M-1001'));
    h.clock.advance(48 * 3_600_000);
    await h.command('M-1002', { userId: ids.bob });
    const cardB = await waitForCard(h, ids.financeApprovals, (text) => text.includes('M-1002'));
    const approvals = h.opentrain.snapshot().approvals;
    const a = approvals.find((approval) => approval.milestoneId === 'M-1001')?.id ?? '';
    const b = approvals.find((approval) => approval.milestoneId === 'M-1002')?.id ?? '';
    return { cardA, cardB, a, b };
  }

  /** A's answer carrying B's id and milestone. */
  function asB(b: string, status?: string) {
    return (body: unknown) => {
      const envelope = body as ApprovalBody & { approval: { status: string } };
      envelope.approval.id = b;
      envelope.approval.milestoneId = 'M-1002';
      envelope.approval.contractId = 'C-502';
      if (status !== undefined) envelope.approval.status = status;
      return envelope;
    };
  }

  it('GET /approvals/A answered with B, for a confirmation in the feed: B is not marked', async () => {
    const { cardB, a, b } = await twoCards();
    h.opentrain.confirm(a);
    h.opentrain.injectFault({
      method: 'GET',
      path: `/approvals/${a}`,
      times: Number.POSITIVE_INFINITY,
      rewrite: asB(b),
    });

    await h.service.pollNow();

    expect(h.opentrain.requests.filter((request) => request.fault === 'rewrite').length).toBeGreaterThan(0);
    expect(cardText(h, cardB.ts)).toContain('Funding approval needed');
    expect((await h.service.store.approvals.get(b))?.status).toBe('pending');
    // A follows its own feed event (which says confirmed), never B's body.
    expect((await h.service.store.approvals.get(a))?.result ?? null).toBeNull();
  });

  it('GET /approvals/A answered with B, for a lapsed approval: no card is marked', async () => {
    const { cardA, cardB, a, b } = await twoCards();
    h.clock.advance(25 * 3_600_000);
    h.opentrain.injectFault({
      method: 'GET',
      path: `/approvals/${a}`,
      times: Number.POSITIVE_INFINITY,
      rewrite: asB(b, 'confirmed'),
    });

    await h.service.pollNow();

    expect(h.opentrain.requests.filter((request) => request.fault === 'rewrite').length).toBeGreaterThan(0);
    expect(cardText(h, cardA.ts)).toContain('Funding approval needed');
    expect(cardText(h, cardB.ts)).toContain('Funding approval needed');
    expect((await h.service.store.approvals.get(a))?.status).toBe('pending');
    expect((await h.service.store.approvals.get(b))?.status).toBe('pending');

    // The read expired A in OpenTrain, and its feed says so at the next tick: A ends as it really did.
    await h.service.pollNow();
    await h.slack.waitUntil(() => cardText(h, cardA.ts).includes('expired') || undefined);
    expect(cardText(h, cardA.ts)).not.toContain('Milestone funded');
    expect(cardText(h, cardB.ts)).toContain('Funding approval needed');
    expect((await h.service.store.approvals.get(b))?.status).toBe('pending');
  });

  it('a fund answer for another milestone: no card, the requester is told, nothing is tracked', async () => {
    h.opentrain.injectFault({
      method: 'POST',
      path: '/milestones/M-1001/fund',
      times: Number.POSITIVE_INFINITY,
      rewrite: (body) => {
        const envelope = body as ApprovalBody;
        envelope.approval.milestoneId = 'M-1002';
        return envelope;
      },
    });

    await h.command('M-1001');

    await replyContaining(h, ids.alice, 'nothing');
    await h.service.pollNow();
    expect(botMessages(h, ids.financeApprovals)).toEqual([]);
    const recorded = h.opentrain.snapshot().approvals[0]?.id ?? '';
    expect(await h.service.store.approvals.get(recorded)).toBeUndefined();
  });

  describe.each([
    ['on plain http', (approvalId: string) => `http://app.opentrain.example/approvals/${approvalId}`],
    [
      'on opentrain.evil.example',
      (approvalId: string) => `https://opentrain.evil.example/approvals/${approvalId}`,
    ],
    [
      'on the right host with another scheme',
      (approvalId: string, o: string) => `${o.replace('http:', 'https:')}/approvals/${approvalId}`,
    ],
    [
      'with OpenTrain\u2019s host as userinfo',
      (approvalId: string, o: string) =>
        `http://${new URL(o).host}@opentrain.evil.example/approvals/${approvalId}`,
    ],
  ])('an approvalUrl %s', (_label, foreign) => {
    it('in the fund answer: no card, and the link never reaches Slack', async () => {
      let link = '';
      h.opentrain.injectFault({
        method: 'POST',
        path: '/milestones/M-1001/fund',
        times: Number.POSITIVE_INFINITY,
        rewrite: (body) => {
          const envelope = body as ApprovalBody;
          link = foreign(envelope.approval.id, origin);
          envelope.approval.approvalUrl = link;
          return envelope;
        },
      });

      await h.command('M-1001');

      await replyContaining(h, ids.alice, 'nothing');
      await h.service.pollNow();
      expect(link).not.toBe('');
      expect(botMessages(h, ids.financeApprovals)).toEqual([]);
      expect(everythingSlackSaw(h)).not.toContain(link);
      expect(everythingSlackSaw(h)).not.toContain('evil.example');
    });

    it('in a read of a lapsed approval: the card is not marked, and the link never reaches Slack', async () => {
      const { cardA, a } = await twoCards();
      const link = foreign(a, origin);
      h.clock.advance(25 * 3_600_000);
      h.opentrain.injectFault({
        method: 'GET',
        path: `/approvals/${a}`,
        times: Number.POSITIVE_INFINITY,
        rewrite: (body) => {
          const envelope = body as ApprovalBody & { approval: { status: string } };
          envelope.approval.approvalUrl = link;
          envelope.approval.status = 'confirmed';
          return envelope;
        },
      });

      await h.service.pollNow();

      expect(h.opentrain.requests.filter((request) => request.fault === 'rewrite').length).toBeGreaterThan(0);
      expect(cardText(h, cardA.ts)).toContain('Funding approval needed');
      expect((await h.service.store.approvals.get(a))?.status).toBe('pending');
      expect(everythingSlackSaw(h)).not.toContain(link);
      expect(everythingSlackSaw(h)).not.toContain('evil.example');
    });
  });

  it.each([
    ['a billingUrl', () => h.opentrain.setAccount({ paymentMethod: false }), 'billingUrl', 'payment method'],
    ['a claimUrl', () => h.opentrain.setAccount({ claimed: false }), 'claimUrl', 'claimed'],
  ])(
    '%s on another host: the requester is told, without the link',
    async (_label, setup, field, fragment) => {
      setup();
      const link = 'https://opentrain.evil.example/settings/billing';
      h.opentrain.injectFault({
        method: 'POST',
        path: '/milestones/M-1001/fund',
        times: Number.POSITIVE_INFINITY,
        rewrite: (body) => {
          const envelope = body as { details?: Record<string, unknown> };
          expect(envelope.details?.[field]).toEqual(expect.stringContaining(origin));
          envelope.details = { ...envelope.details, [field]: link };
          return envelope;
        },
      });

      await h.command('M-1001');

      await replyContaining(h, ids.alice, fragment);
      expect(h.opentrain.requests.filter((request) => request.fault === 'rewrite')).toHaveLength(1);
      expect(everythingSlackSaw(h)).not.toContain('evil.example');
    },
  );
});
