import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { countdownRefreshAt } from '../../../src/domain/countdown.js';
import { renderCard } from '../../../src/slack/messages/card.js';
import { renderHome } from '../../../src/slack/messages/home.js';
import { aTrackedApproval, at, hours } from '../../helpers/builders.js';

function allText(blocks: readonly KnownBlock[] | undefined): string {
  return JSON.stringify(blocks ?? []);
}

describe('renderCard', () => {
  it("shows a pending approval with its facts, a link button and the expiry in each reader's timezone", () => {
    const card = renderCard(aTrackedApproval({ note: 'batch 2 is ready' }), at(hours(1)));

    expect(card.blocks?.[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Funding approval needed', emoji: true },
    });
    const text = allText(card.blocks);
    expect(text).toContain('First labeling batch');
    expect(text).toContain('$1,250.00');
    expect(text).toContain('Spanish Sentiment Labeling');
    expect(text).toContain('Maria G.');
    expect(text).toContain('Requested by <@U0ALICE>');
    expect(text).toContain('>batch 2 is ready');
    expect(text).toContain('<!date^1781517600^');
    expect(text).toContain('(in 3 days)');
    expect(text).toContain('`A-1`');
    expect(card.blocks).toContainEqual(
      expect.objectContaining({
        type: 'actions',
        elements: [
          expect.objectContaining({
            type: 'button',
            action_id: 'open_approval',
            url: 'https://app.opentrain.ai/approvals/A-1',
            value: 'A-1',
          }),
        ],
      }),
    );
    expect(card.text).toBe(
      'Funding approval needed: First labeling batch ($1,250.00), expires Mon 15 Jun 2026 10:00 UTC (in 3 days)',
    );
  });

  it('words a status OpenTrain reports outside the four neutrally, and keeps the button while it is followed', () => {
    const approval = aTrackedApproval({ reportedStatus: 'on_hold' });

    const card = renderCard(approval, at(hours(1)));
    const home = renderHome({ pending: [approval], outcomes: [], now: at(hours(1)) });

    const text = allText(card.blocks);
    expect(text).toContain('OpenTrain reports status `on_hold`; still following it');
    expect(text).not.toContain('status: *pending*');
    expect(text).toContain('"action_id":"open_approval"');
    expect(card.blocks?.[0]).toMatchObject({ text: { text: 'Funding approval needed' } });
    expect(card.text).toContain('(OpenTrain reports status `on_hold`; still following it)');
    expect(allText(home)).toContain('OpenTrain reports status `on_hold`; still following it.');
  });

  it('escapes a reported status word, whatever OpenTrain sends', () => {
    const card = renderCard(aTrackedApproval({ reportedStatus: '<!channel> `x`' }), at(hours(1)));

    expect(allText(card.blocks)).toContain('reports status `&lt;!channel&gt; x`');
  });

  it.each([
    ['confirmed', 'Milestone funded', 'invoice `INV-7`'],
    ['declined', 'Funding declined', 'Nothing was charged'],
    ['expired', 'Funding request expired', '/fund-milestone M-1001'],
  ] as const)('edits to %s without the button', (status, title, detail) => {
    const approval = aTrackedApproval({
      status,
      resolvedAt: at(hours(5)),
      result: status === 'confirmed' ? { invoiceId: 'INV-7' } : null,
    });

    const card = renderCard(approval, at(hours(6)));

    expect(card.blocks?.[0]).toMatchObject({ text: { text: title } });
    expect(card.blocks?.some((block) => block.type === 'actions')).toBe(false);
    expect(allText(card.blocks)).toContain(detail);
    expect(card.text).toContain(title);
  });

  it('escapes the note and names from OpenTrain so nobody can ping the channel or hide a link', () => {
    const approval = aTrackedApproval({
      note: '<!channel> pay <https://evil.test|here> <@U999>',
      context: {
        milestoneName: '<!here> batch',
        milestoneNumber: 1,
        amountUsd: 1,
        contractTitle: '<https://evil.test|contract>',
        freelancerName: '<@U1>',
      },
    });

    const card = renderCard(approval, at(hours(1)));
    const text = allText(card.blocks) + card.text;

    expect(text).not.toMatch(/<!channel>|<!here>|<@U999>|<@U1>|<https:\/\/evil/);
    expect(text).toContain('&lt;!channel&gt;');
  });

  it('still renders a card when the contract lookup failed', () => {
    const card = renderCard(aTrackedApproval({ context: null }), at(hours(1)));

    expect(allText(card.blocks)).toContain('`M-1001`');
    expect(card.text).toContain('milestone M-1001');
  });

  it('words each approval type for what it does', () => {
    expect(renderCard(aTrackedApproval({ type: 'contract_end', milestoneId: null }), at(0)).text).toContain(
      'end a contract',
    );
    expect(renderCard(aTrackedApproval({ type: 'proposal_hire' }), at(0)).text).toContain(
      'Hire approval needed',
    );
    expect(renderCard(aTrackedApproval({ type: 'something_new' }), at(0)).text).toContain(
      'OpenTrain approval needed',
    );
  });

  // Found by fuzzing: the type was looked up on a plain object, so "__proto__" found Object.prototype and the
  // card threw (no button label), every time the queue tried it.
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'words a type named like an object property (%s) generically',
    (type) => {
      const card = renderCard(aTrackedApproval({ type }), at(0));

      expect(card.text).toContain('OpenTrain approval needed');
      expect(allText(card.blocks)).toContain('Review in OpenTrain');
    },
  );
});

describe('countdownRefreshAt', () => {
  it('is the moment the countdown on the card next changes, so the card is edited then', () => {
    const approval = aTrackedApproval();
    // Created at 0 h, expires at 72 h: at 1 h the card says "in 3 days" until 60 hours are left; in the last
    // day it counts hours: at 50 h, "in 22 hours" until 21.5 hours are left.
    expect(countdownRefreshAt(approval, at(hours(1)))).toEqual(at(hours(12)));
    expect(JSON.stringify(renderCard(approval, at(hours(12) - 1)).blocks)).toContain('(in 3 days)');
    expect(JSON.stringify(renderCard(approval, at(hours(12))).blocks)).toContain('(in 2 days)');
    expect(countdownRefreshAt(approval, at(hours(50)))).toEqual(at(hours(50.5)));
    expect(JSON.stringify(renderCard(approval, at(hours(50.5))).blocks)).toContain('(in 21 hours)');
  });

  it('drops the countdown at expiry, and stops once the approval ended or expired', () => {
    const approval = aTrackedApproval();
    expect(countdownRefreshAt(approval, at(hours(71.8)))).toEqual(approval.expiresAt);
    expect(JSON.stringify(renderCard(approval, approval.expiresAt).blocks)).not.toContain('(in ');
    expect(countdownRefreshAt(aTrackedApproval({ status: 'confirmed' }), at(hours(1)))).toBeNull();
    expect(countdownRefreshAt(approval, at(hours(72)))).toBeNull();
  });
});
