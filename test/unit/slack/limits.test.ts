import { describe, expect, it } from 'vitest';
import type { TrackedApproval } from '../../../src/approvals/types.js';
import { OpenTrainError } from '../../../src/opentrain/errors.js';
import { validateBlocks } from '../../../src/sandbox/slack/blocks.js';
import type { SlackMessage } from '../../../src/slack/gateway.js';
import { renderCard } from '../../../src/slack/messages/card.js';
import { renderCardArrived, renderOutcome, renderReminder } from '../../../src/slack/messages/direct.js';
import {
  alreadyPendingReply,
  cardBlockedReply,
  cardDelayedReply,
  fundedReply,
  fundingFailedReply,
  usageReply,
} from '../../../src/slack/messages/replies.js';
import { aTrackedApproval, at, hours } from '../../helpers/builders.js';

/** An approval with every free-text field as long and as hostile as it can get. */
const worst: TrackedApproval = aTrackedApproval({
  id: `A-${'9'.repeat(120)}`,
  milestoneId: `M-${'x'.repeat(126)}`,
  note: '<!channel> & '.repeat(40).slice(0, 500),
  approvalUrl: `https://app.opentrain.ai/approvals/${'a'.repeat(2_900)}`,
  requester: { kind: 'slack', userId: 'U0ALICE', teamId: 'T1' },
  context: {
    milestoneName: '<b>&'.repeat(500),
    milestoneNumber: 99,
    amountUsd: 123_456_789.99,
    contractTitle: 'C'.repeat(5_000),
    freelancerName: 'F'.repeat(5_000),
  },
  card: {
    version: 1,
    channelId: 'C1',
    ts: '1.1',
    permalink: `https://slack.test/archives/C1/p${'1'.repeat(30)}`,
    attempts: 0,
    nextAttemptAt: at(0),
    lastError: null,
  },
  resolvedAt: at(hours(3)),
  result: { invoiceId: 'I'.repeat(300) },
});

const messages: [string, SlackMessage][] = [
  ['pending card', renderCard(worst, at(hours(1)))],
  ['confirmed card', renderCard({ ...worst, status: 'confirmed' }, at(hours(4)))],
  ['expired card', renderCard({ ...worst, status: 'expired' }, at(hours(73)))],
  ['reminder', renderReminder(worst, at(hours(48)))],
  ['outcome', renderOutcome(worst, 'declined')],
  ['card arrived', renderCardArrived(worst, worst.card.permalink)],
  ['funded reply', fundedReply(worst)],
  ['already pending', alreadyPendingReply(worst)],
  ['card blocked', cardBlockedReply(worst, 'not-in-channel')],
  ['card delayed', cardDelayedReply(worst)],
  ['usage', usageReply()],
  [
    'failure',
    fundingFailedReply(new OpenTrainError('conflict', 'x'.repeat(10_000)), worst.milestoneId ?? ''),
  ],
];

describe("every message stays within Slack's limits, even for the longest inputs", () => {
  it.each(messages)('%s', (_label, message) => {
    const verdict = validateBlocks(message.blocks ?? [], 'message');

    expect(verdict).toEqual({ ok: true, blocks: message.blocks ?? [] });
    expect(message.text.length).toBeGreaterThan(0);
    expect(message.text.length).toBeLessThan(40_000);
    expect(JSON.stringify(message)).not.toContain('<!channel>');
  });
});
