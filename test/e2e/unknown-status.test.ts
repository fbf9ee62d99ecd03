import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hmacHeader } from '../helpers/hmac-header.js';
import { type Harness, ids, replyContaining, startHarness, waitForCard } from './harness.js';

const hour = 3_600_000;
const neutral = 'OpenTrain reports status `on_hold`; still following it';
const secret = 'upstream-secret-for-the-tests-0123456789';

/**
 * Issue 12: an approval status outside the four OpenTrain documents (a later OpenTrain may add one) must not
 * make a read a bad response. Countersign follows the approval as pending, says what OpenTrain reports in
 * neutral words, and ends it as usual once a known status arrives.
 */
describe('an approval status OpenTrain does not document', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *', UPSTREAM_SECRET: secret });
  });
  afterEach(async () => {
    await h.close();
  });

  function homeText(userId: string): string {
    return JSON.stringify(h.slack.homeView(userId)?.view ?? null);
  }

  function cardText(ts: string): string {
    const card = h.slack.message(ids.financeApprovals, ts);
    return JSON.stringify(card?.blocks ?? []) + (card?.text ?? '');
  }

  async function requestAndOpenHome() {
    await h.command('M-1001');
    const card = await waitForCard(h, ids.financeApprovals);
    await replyContaining(h, ids.alice, 'Funding requested');
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    await h.slack.openAppHome({ appUrl: `${h.service.url}/slack/events`, userId: ids.alice });
    await h.slack.waitUntil(() => homeText(ids.alice).includes('First labeling batch') || undefined);
    await h.service.pollNow();
    return { approvalId, ts: card.ts };
  }

  it('words it neutrally on the card and on App Home, keeps following it, and ends it on a known status', async () => {
    const { approvalId, ts } = await requestAndOpenHome();

    h.opentrain.reportStatus(approvalId, 'on_hold', { event: true });
    await h.service.pollNow();

    await h.slack.waitUntil(
      () => cardText(ts).includes(neutral) || undefined,
      5_000,
      'the card to say on_hold',
    );
    await h.slack.waitUntil(
      () => homeText(ids.alice).includes(neutral) || undefined,
      5_000,
      'Home to say it',
    );
    expect(cardText(ts)).toContain('Review & fund in OpenTrain');
    expect(cardText(ts)).not.toContain('bad response');
    const tracked = await h.service.store.approvals.get(approvalId);
    expect(tracked).toMatchObject({ status: 'pending', reportedStatus: 'on_hold' });
    expect(h.logs.some((line) => line.includes('"level":50'))).toBe(false);

    // The same command again while it is on hold: OpenTrain answers with the same approval, no second card.
    await h.command('M-1001', { userId: ids.bob });
    const pointer = await replyContaining(h, ids.bob, 'is already requested');
    expect(pointer).toContain(approvalId);

    h.opentrain.confirm(approvalId);
    await h.service.pollNow();

    await h.slack.waitUntil(
      () => cardText(ts).includes('Milestone funded') || undefined,
      5_000,
      'the outcome',
    );
    expect(cardText(ts)).not.toContain('on_hold');
    expect(await h.service.store.approvals.get(approvalId)).toMatchObject({
      status: 'confirmed',
      reportedStatus: null,
    });
    const history = (await h.service.store.audit.list({ approvalId, limit: 10 })).map(
      (entry) => entry.action,
    );
    expect(history).toContain('status-reported');
  });

  it('still expires as usual while it reports a word, once its expiry is read', async () => {
    const { approvalId, ts } = await requestAndOpenHome();

    // No event this time: only the read after the expiry learns it. The simulator flips it on read.
    h.opentrain.reportStatus(approvalId, 'under_review');
    h.clock.advance(72 * hour + 60_000);
    await h.service.pollNow();

    await h.slack.waitUntil(
      () => cardText(ts).includes('Funding request expired') || undefined,
      5_000,
      'the expiry on the card',
    );
    expect(await h.service.store.approvals.get(approvalId)).toMatchObject({ status: 'expired' });
  });

  it('shows the word a fund answer carries for an approval it follows already', async () => {
    await h.command('M-1002');
    const card = await waitForCard(h, ids.financeApprovals);
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    h.opentrain.reportStatus(approvalId, 'on_hold');

    await h.command('M-1002');
    await replyContaining(h, ids.alice, 'is already requested');

    await h.slack.waitUntil(
      () => cardText(card.ts).includes(neutral) || undefined,
      5_000,
      'the word on the card',
    );
    expect(await h.service.store.approvals.get(approvalId)).toMatchObject({ reportedStatus: 'on_hold' });
  });

  it('answers another system with the word it reports, as reportedStatus', async () => {
    await h.command('M-1001');
    await waitForCard(h, ids.financeApprovals);
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    h.opentrain.reportStatus(approvalId, 'on_hold');

    const body = JSON.stringify({ approvalId, requestedBy: 'erp' });
    const response = await fetch(`${h.service.url}/api/fund-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-countersign-signature': hmacHeader(secret, body) },
      body,
    });

    const json = await response.json();
    expect(response.status).toBe(202);
    expect(json).toMatchObject({
      approvalId,
      status: 'pending',
      reportedStatus: 'on_hold',
      duplicate: true,
    });
  });
});
