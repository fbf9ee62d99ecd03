import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, ids, opentrainCalls, replyContaining, startHarness, waitForCard } from './harness.js';

const hour = 3_600_000;

describe('the countdown on a pending card', () => {
  let h: Harness;
  beforeEach(async () => {
    // Reminders off, so nothing but the clock can make the card change.
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *', REMINDER_OFFSETS: 'none' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('is edited when what it says changes (days, then hours in the last day), and only then, without asking OpenTrain anything more', async () => {
    await h.command('M-1001');
    await replyContaining(h, ids.alice, 'Funding requested');
    const card = await waitForCard(h, ids.financeApprovals, (text) => text.includes('(in 3 days)'));
    const edits = () => h.slack.callsTo('chat.update').length;
    const cardText = () => {
      const now = h.slack.message(ids.financeApprovals, card.ts);
      return `${JSON.stringify(now?.blocks)}${now?.text}`;
    };

    // "(in 3 days)" holds until 60 h are left, so twelve hours on the card is left alone.
    h.clock.advance(11.9 * hour);
    await h.service.pollNow();
    expect(edits()).toBe(0);

    const readsBefore = opentrainCalls(h, 'GET', '/approvals/').length;
    h.clock.advance(0.2 * hour);
    await h.service.pollNow();
    await h.slack.waitUntil(() => cardText().includes('(in 2 days)') || undefined);
    expect(cardText()).not.toContain('3 days');
    expect(edits()).toBe(1);
    expect(opentrainCalls(h, 'GET', '/approvals/').length).toBe(readsBefore);

    // Another tick changes nothing; in the last day the card counts hours.
    await h.service.pollNow();
    expect(edits()).toBe(1);
    h.clock.advance(24 * hour);
    await h.service.pollNow();
    await h.slack.waitUntil(() => cardText().includes('(in about a day)') || undefined);
    expect(edits()).toBe(2);
    h.clock.advance(13 * hour);
    await h.service.pollNow();
    await h.slack.waitUntil(() => cardText().includes('(in 23 hours)') || undefined);
    expect(edits()).toBe(3);
  });
});
