import { describe, expect, it } from 'vitest';
import type { TrackedApproval } from '../../../src/domain/approval.js';
import type { Route } from '../../../src/domain/routing.js';
import { errorFromResponse, OpenTrainError } from '../../../src/opentrain/errors.js';
import { refusalOf } from '../../../src/opentrain/refusal.js';
import { validateBlocks } from '../../../src/sandbox/slack/blocks.js';
import type { SlackMessage } from '../../../src/slack/gateway.js';
import {
  historyReply,
  routeListReply,
  routeSavedReply,
  routeUsageReply,
} from '../../../src/slack/messages/admin.js';
import { renderCard } from '../../../src/slack/messages/card.js';
import { renderCardArrived, renderOutcome, renderReminder } from '../../../src/slack/messages/direct.js';
import { renderHome } from '../../../src/slack/messages/home.js';
import { fitToLimits } from '../../../src/slack/messages/limits.js';
import {
  renderNotice,
  renderThreadOutcome,
  renderThreadReminder,
} from '../../../src/slack/messages/notices.js';
import {
  alreadyPendingReply,
  cardBlockedReply,
  cardDelayedReply,
  fundedReply,
  fundingFailedReply,
  invalidInputReply,
  requestRefusedReply,
  unconfirmedReply,
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
  },
  resolvedAt: at(hours(3)),
  result: { invoiceId: 'I'.repeat(300) },
});

const manyApprovers = Array.from({ length: 60 }, (_, n) => ({
  kind: 'usergroup' as const,
  id: `S${n}ABCDEFGH`,
}));
const manyRoutes: Route[] = Array.from({ length: 100 }, (_, n) => ({
  workspaceId: 'T1',
  scope: 'job',
  targetId: `J-${'9'.repeat(100)}${n}`,
  label: '<!channel> '.repeat(30),
  channelId: 'C0123456789',
  approvers: manyApprovers,
  autoFund: true,
  createdBy: 'U1',
  updatedAt: at(0),
}));
const manyEntries = Array.from({ length: 50 }, (_, n) => ({
  id: n,
  at: at(n * 60_000),
  approvalId: `A-${'1'.repeat(100)}`,
  milestoneId: 'M-1',
  actor: `system:${'<!channel>'.repeat(20)}`,
  action: 'requested',
}));

/** OpenTrain's answers with every field as long as a response could make it. */
const hostile = refusalOf(
  new OpenTrainError('conflict', `<!channel> ${'x'.repeat(10_000)}`),
  'https://app.opentrain.ai',
);
const everythingLong = refusalOf(
  errorFromResponse(
    403,
    {
      error: 'y'.repeat(20_000),
      code: 'FORBIDDEN',
      requestId: `req-${'9'.repeat(5_000)}`,
      details: {
        requiredScopes: Array.from({ length: 500 }, (_, n) => `scope:${'z'.repeat(300)}${n}`),
        status: 'S'.repeat(4_000),
      },
    },
    undefined,
  ),
  'https://app.opentrain.ai',
);

const messages: [string, SlackMessage][] = [
  ['pending card', renderCard(worst, at(hours(1)))],
  ['confirmed card', renderCard({ ...worst, status: 'confirmed' }, at(hours(4)))],
  ['expired card', renderCard({ ...worst, status: 'expired' }, at(hours(73)))],
  ['reminder', renderReminder(worst, at(hours(48)))],
  ['outcome', renderOutcome({ ...worst, status: 'declined' })],
  ['card arrived', renderCardArrived(worst)],
  ['funded reply', fundedReply(worst)],
  ['already pending', alreadyPendingReply(worst)],
  ['card blocked', cardBlockedReply(worst, 'not-in-channel')],
  ['card delayed', cardDelayedReply(worst)],
  ['usage', usageReply()],
  ['failure', fundingFailedReply(hostile, worst.milestoneId ?? '')],
  ['failure with every field too long', fundingFailedReply(everythingLong, worst.milestoneId ?? '')],
  ['invalid input', invalidInputReply(`"${'<!channel>'.repeat(10)}" does not look like a milestone id.`)],
  ['route help', routeUsageReply('<!here> is not a channel')],
  ['routes', routeListReply(manyRoutes, 'C1')],
  ['route saved', routeSavedReply(manyRoutes[0] as Route)],
  ['history', historyReply('M-1', manyEntries)],
  ['thread outcome', renderThreadOutcome({ ...worst, status: 'confirmed' })],
  ['thread reminder', renderThreadReminder({ ...worst, approvers: manyApprovers }, at(hours(71)))],
  [
    'autofund notice',
    renderNotice({
      kind: 'autofund-refused',
      ruleName: 'rule '.repeat(100),
      milestoneId: 'M-1',
      refusal: hostile,
    }),
  ],
  [
    'autofund unconfirmed',
    renderNotice({ kind: 'autofund-unconfirmed', ruleName: 'rule '.repeat(100), milestoneId: 'M-1' }),
  ],
  ['unconfirmed', unconfirmedReply(`M-${'9'.repeat(60)}`)],
  ['refused', requestRefusedReply({ users: Array(50).fill('U123'), usergroups: Array(50).fill('S123') })],
];

describe('the Home tab stays within its limits', () => {
  it('with many pending approvals and outcomes', () => {
    const pending = Array.from({ length: 200 }, (_, n) => ({
      ...worst,
      id: `A-${n}`,
      status: 'pending' as const,
    }));
    const outcomes = Array.from({ length: 50 }, (_, n) => ({
      ...worst,
      id: `B-${n}`,
      status: 'declined' as const,
    }));

    const blocks = renderHome({ pending, outcomes, now: at(hours(1)) });

    expect(validateBlocks(blocks, 'home')).toEqual({ ok: true, blocks });
  });
});

describe("every message stays within Slack's limits, even for the longest inputs", () => {
  it.each(messages)('%s', (_label, message) => {
    const verdict = validateBlocks(message.blocks ?? [], 'message');

    expect(verdict).toEqual({ ok: true, blocks: message.blocks ?? [] });
    expect(message.text.length).toBeGreaterThan(0);
    expect(message.text.length).toBeLessThan(40_000);
    expect(JSON.stringify(message)).not.toContain('<!channel>');
  });
});

// Found by fuzzing (test/fuzz/messages.test.ts): fitToLimits measured blocks by their JSON length against 1.5
// times the total, so five full sections (14,500 characters of text) passed it, and Slack refused them.
describe('fitToLimits', () => {
  it("sends as text a message whose blocks together hold more text than Slack's total", () => {
    const section = { type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'x'.repeat(2_900) } };

    const fitted = fitToLimits({ text: 'fallback', blocks: Array(5).fill(section) });

    expect(fitted).toEqual({ text: 'fallback' });
  });

  it('keeps blocks that fit', () => {
    const section = { type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'x'.repeat(2_900) } };

    const fitted = fitToLimits({ text: 'fallback', blocks: Array(4).fill(section) });

    expect(fitted.blocks).toHaveLength(4);
    expect(validateBlocks(fitted.blocks, 'message')).toMatchObject({ ok: true });
  });
});

// Found by fuzzing: an invoice id from OpenTrain was put on the card whole; a long one overflowed the section.
it('caps the invoice id OpenTrain names on a funded card', () => {
  const card = renderCard(
    { ...worst, status: 'confirmed', result: { invoiceId: 'I'.repeat(5_000) } },
    at(hours(4)),
  );

  expect(validateBlocks(card.blocks, 'message')).toMatchObject({ ok: true });
});
