import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { botMessages, type Harness, ids, startHarness, waitForCard } from './harness.js';

function header(h: Harness, ts: string): string | undefined {
  const first = h.slack.message(ids.financeApprovals, ts)?.blocks[0] as
    | { text?: { text?: string } }
    | undefined;
  return first?.text?.text;
}

// Found by the chaos run (test/e2e/chaos.test.ts): a card whose post landed without the bot hearing so was found
// by its next attempt after the approval had ended meanwhile, and recorded as showing the current version. It
// was never edited, and said "Funding approval needed" with a live button after the approval expired.
describe('a card found after an uncertain post', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('is edited to the state the approval reached while its post was unheard', async () => {
    h.slack.injectFault({ method: 'chat.postMessage', drop: 'reset-after-apply' });
    await h.command('M-1001');
    const card = await waitForCard(h, ids.financeApprovals);
    // The next look for it fails once, so the approval ends before the card is found.
    h.slack.injectFault({ method: 'conversations.history', status: 500 });
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    h.opentrain.decline(approvalId);
    await h.service.pollNow();

    await h.slack.waitUntil(
      () => header(h, card.ts) === 'Funding declined' || undefined,
      15_000,
      'the card edited',
    );
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
    expect((await h.service.store.approvals.get(approvalId))?.card.ts).toBe(card.ts);
  });
});
