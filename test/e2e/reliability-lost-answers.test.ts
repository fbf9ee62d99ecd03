import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { effectKeys } from '../../src/domain/effects.js';
import { botMessages, dmsTo, type Harness, ids, startHarness, waitForCard } from './harness.js';

const hourMs = 3_600_000;

/** Waits until the queue has finished the effect (done, not merely tried). */
async function settled(h: Harness, key: string) {
  await expect
    .poll(async () => (await h.service.store.outbox.find(key as never))?.state, {
      timeout: 15_000,
      interval: 100,
    })
    .toBe('done');
}

function cardText(h: Harness, ts: string): string {
  const card = h.slack.message(ids.financeApprovals, ts);
  return `${card?.text ?? ''}${JSON.stringify(card?.blocks ?? [])}`;
}

// Issue 9: a crash or timeout while a Slack post was in flight doubled it (cards, outcome DMs, thread replies,
// reminders), and the first card's ts was never saved, so that copy showed "Funding approval needed" with a live
// button forever. Slack applies each post here and loses its answer (the connection is cut after it landed).
describe('a Slack post whose answer is lost', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('the card: one copy, its ts recorded, and it is edited on confirmation', async () => {
    h.slack.injectFault({ method: 'chat.postMessage', drop: 'reset-after-apply' });

    await h.command('M-1001');
    const card = await waitForCard(h, ids.financeApprovals);
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    await settled(h, effectKeys.card(approvalId));

    expect((await h.service.store.approvals.get(approvalId))?.card.ts).toBe(card.ts);
    expect(h.slack.callsTo('chat.postMessage')[0]?.fault).toMatchObject({ drop: 'reset-after-apply' });
    expect(h.slack.callsTo('conversations.history').length).toBeGreaterThan(0);
    h.opentrain.confirm(approvalId);
    await h.service.pollNow();
    await h.slack.waitUntil(() => cardText(h, card.ts).includes('Milestone funded') || undefined, 10_000);
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
    expect(h.slack.metadataDuplicates()).toEqual([]);
  });

  it('the outcome DM and the thread reply: one of each', async () => {
    await h.command('M-1001');
    const card = await waitForCard(h, ids.financeApprovals);
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    await settled(h, effectKeys.card(approvalId));
    h.slack.injectFault({ method: 'chat.postMessage', drop: 'reset-after-apply', times: 2 });

    h.opentrain.confirm(approvalId);
    await h.service.pollNow();
    await settled(h, effectKeys.outcome(approvalId));
    await settled(h, effectKeys.thread(approvalId, 'outcome'));

    const lost = h.slack
      .callsTo('chat.postMessage')
      .filter((call) => call.fault?.drop === 'reset-after-apply');
    expect(lost).toHaveLength(2);
    expect(dmsTo(h, ids.alice).filter((message) => message.text.includes('funded'))).toHaveLength(1);
    expect(h.slack.message(ids.financeApprovals, card.ts)?.replies).toHaveLength(1);
    expect(h.slack.metadataDuplicates()).toEqual([]);
  });

  it('a reminder: one DM', async () => {
    await h.command('M-1001');
    await waitForCard(h, ids.financeApprovals);
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    await settled(h, effectKeys.card(approvalId));
    h.slack.injectFault({ method: 'chat.postMessage', drop: 'reset-after-apply' });

    // 72 h to act; the 24-hour reminder is due after 48 h.
    h.clock.advance(48 * hourMs + 60_000);
    await h.service.pollNow();
    await settled(h, effectKeys.reminder(approvalId, 24 * hourMs));

    expect(
      h.slack.callsTo('chat.postMessage').filter((call) => call.fault?.drop === 'reset-after-apply'),
    ).toHaveLength(1);
    expect(dmsTo(h, ids.alice)).toHaveLength(1);
    expect(h.slack.metadataDuplicates()).toEqual([]);
  });

  it('two copies of a card anyway: the extra one is edited to point at the real one, never left live', async () => {
    // The first post lands and its answer is lost; the look for it fails in a way no retry fixes (as it would
    // without a history scope), so the card is posted again blind, and that answer is lost too.
    h.slack.injectFault({ method: 'chat.postMessage', drop: 'reset-after-apply', times: 2 });
    h.slack.injectFault({ method: 'conversations.history', error: 'missing_scope' });

    await h.command('M-1001');
    const approvalId = await h.slack.waitUntil(() => h.opentrain.snapshot().approvals[0]?.id);
    await settled(h, effectKeys.card(approvalId));

    const copies = botMessages(h, ids.financeApprovals);
    expect(copies).toHaveLength(2);
    const tracked = await h.service.store.approvals.get(approvalId);
    const real = copies.find((copy) => copy.ts === tracked?.card.ts);
    const extra = copies.find((copy) => copy.ts !== tracked?.card.ts);
    expect(real).toBeDefined();
    await h.slack.waitUntil(() => cardText(h, extra?.ts ?? '').includes('posted twice') || undefined, 10_000);
    const pointer = cardText(h, extra?.ts ?? '');
    expect(pointer).not.toContain('Funding approval needed');
    expect(pointer).not.toContain('open_approval');
    expect(tracked?.card.permalink).toBeTruthy();
    expect(pointer).toContain(tracked?.card.permalink ?? 'the real card');

    h.opentrain.confirm(approvalId);
    await h.service.pollNow();
    await h.slack.waitUntil(
      () => cardText(h, real?.ts ?? '').includes('Milestone funded') || undefined,
      10_000,
    );
    expect(cardText(h, extra?.ts ?? '')).not.toContain('open_approval');
  });
});
