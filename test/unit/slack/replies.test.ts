import { describe, expect, it } from 'vitest';
import { errorFromResponse, OpenTrainError } from '../../../src/opentrain/errors.js';
import { refusalOf } from '../../../src/opentrain/refusal.js';
import { renderReply } from '../../../src/slack/messages/render-reply.js';
import {
  alreadyPendingReply,
  cardBlockedReply,
  fundingFailedReply as replyFor,
} from '../../../src/slack/messages/replies.js';
import { aTrackedApproval } from '../../helpers/builders.js';

function envelope(status: number, code: string, details?: Record<string, unknown>) {
  return errorFromResponse(
    status,
    { error: `OpenTrain says ${code}`, code, requestId: 'req-42', details },
    undefined,
  );
}

/** The reply to a refusal, as OpenTrain's error reaches it: through the adapter's refusal (capped, links pinned). */
function fundingFailedReply(error: OpenTrainError, milestoneId: string) {
  return replyFor(refusalOf(error, 'https://app.opentrain.ai'), milestoneId);
}

describe('fundingFailedReply', () => {
  it.each([
    ['401', envelope(401, 'UNAUTHORIZED'), ['did not accept', 'OT_API_TOKEN', 'Settings → API keys']],
    [
      '403 missing scope',
      envelope(403, 'FORBIDDEN', { requiredScopes: ['payments:write'] }),
      ['missing the scope `payments:write`'],
    ],
    [
      '403 feature disabled',
      envelope(403, 'FORBIDDEN', { featureKey: 'public_api_payments_write', mode: 'ALLOWLIST' }),
      ['switched off', '`public_api_payments_write`'],
    ],
    [
      '403 claim required',
      envelope(403, 'FORBIDDEN', {
        reason: 'account_claim_required',
        claimUrl: 'https://app.opentrain.ai/claim',
      }),
      ['not been claimed', '<https://app.opentrain.ai/claim|claim the account>'],
    ],
    ['404', envelope(404, 'NOT_FOUND', { resource: 'milestones' }), ['has no milestone `M-1`']],
    [
      '409 not fundable',
      envelope(409, 'CONFLICT', { reason: 'milestone_not_fundable', status: 'ACTIVE_FUNDED' }),
      ['`M-1` is already funded'],
    ],
    [
      '409 payment method',
      envelope(409, 'CONFLICT', {
        reason: 'payment_method_required',
        billingUrl: 'https://app.opentrain.ai/billing',
      }),
      ['payment method', '<https://app.opentrain.ai/billing|billing settings>', '/fund-milestone M-1'],
    ],
    ['409 cancelled', envelope(409, 'CONFLICT', { reason: 'milestone_cancelled' }), ['was cancelled']],
    [
      '409 contract ended',
      envelope(409, 'CONFLICT', { reason: 'contract_ended', contractId: 'C-9' }),
      ['contract `C-9`', 'has ended'],
    ],
    ['429', errorFromResponse(429, undefined, 7_000), ['not answering', 'rate limiting', 'in 7 s']],
    ['500', envelope(500, 'INTERNAL_ERROR'), ['not answering', 'server error']],
    ['timeout', new OpenTrainError('timeout', 'slow'), ['not answering', 'did not answer in time']],
    ['network', new OpenTrainError('network', 'down'), ['not answering', 'could not be reached']],
  ])('explains %s specifically and says nothing was requested', (_label, error, fragments) => {
    const reply = fundingFailedReply(error, 'M-1');

    expect(reply.text).toMatch(/nothing was requested|nothing is being tracked/i);
    for (const fragment of fragments) expect(reply.text).toContain(fragment);
  });

  it("quotes OpenTrain's request id on a quiet reference line, not in the sentence", () => {
    const reply = fundingFailedReply(envelope(404, 'NOT_FOUND'), 'M-1');

    expect(reply.text).not.toContain('req-42');
    expect(reply.blocks?.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'OpenTrain request id `req-42`' }],
    });
  });

  it('links only to OpenTrain itself, never to a host an answer names', () => {
    const error = envelope(409, 'CONFLICT', {
      reason: 'payment_method_required',
      billingUrl: 'https://opentrain.evil.example/billing',
    });

    const reply = fundingFailedReply(error, 'M-1');

    expect(JSON.stringify(reply)).not.toContain('evil');
    expect(reply.text).toContain('in OpenTrain billing settings');
  });

  it('escapes what OpenTrain said before showing it', () => {
    const error = errorFromResponse(
      409,
      { error: '<!channel> nope', code: 'CONFLICT', details: { reason: 'other' } },
      undefined,
    );

    expect(fundingFailedReply(error, 'M-1').text).toContain('&lt;!channel&gt; nope');
  });

  // Found by fuzzing: reasons and statuses were looked up on plain objects, so `details.reason: "__proto__"`
  // made the failure Object.prototype and the reply empty, and a status "constructor" printed a function.
  it.each(['__proto__', 'constructor', 'toString'])(
    'reads a reason named like an object property (%s) as no reason it knows',
    (reason) => {
      const error = envelope(409, 'CONFLICT', { reason });

      expect(error.failure).toBe('conflict');
      expect(fundingFailedReply(error, 'M-1').text).toContain('OpenTrain could not fund `M-1` right now');
    },
  );

  it('shows a milestone status named like an object property as it is', () => {
    const error = envelope(409, 'CONFLICT', { reason: 'milestone_not_fundable', status: 'constructor' });

    expect(fundingFailedReply(error, 'M-1').text).toContain('Milestone `M-1` is `constructor`, so');
  });
});

describe('cardBlockedReply', () => {
  it('tells the requester to invite the bot to a channel it is not in', () => {
    const reply = cardBlockedReply(aTrackedApproval({ channelId: 'C0PRIVATE' }), 'not-in-channel');
    expect(reply.text).toContain('Invite me there');
    expect(reply.text).toContain('<#C0PRIVATE>');
  });

  it('does not suggest inviting the bot into a direct message between people, where no app can post', () => {
    const reply = cardBlockedReply(aTrackedApproval({ channelId: 'D0ALICEBOB' }), 'channel-not-found');
    expect(reply.text).toContain("can't post in a direct message between people");
    expect(reply.text).not.toContain('Invite me');
    expect(reply.text).not.toContain('<#D0ALICEBOB>');
  });
});

describe('alreadyPendingReply', () => {
  it('links to the existing card', () => {
    const approval = aTrackedApproval();
    const reply = alreadyPendingReply({
      ...approval,
      card: { ...approval.card, ts: '1.1', channelId: 'C0FUND', permalink: 'https://slack.example/p11' },
    });
    expect(reply.text).toContain('<https://slack.example/p11|view the approval card>');
    expect(JSON.stringify(reply.blocks)).not.toContain(approval.approvalUrl);
  });

  it('says the card is on its way, and gives the approval link meanwhile', () => {
    const approval = aTrackedApproval();
    const reply = alreadyPendingReply(approval);
    expect(reply.text).toContain('is already requested');
    expect(reply.text).toContain('That request is already on its way: its card will be in <#C0FUND>.');
    expect(reply.text).not.toMatch(/not in|yet|keep trying/);
    expect(JSON.stringify(reply.blocks)).toContain(approval.approvalUrl);
  });

  it('says what stops the card when its first attempt was refused, instead of promising it', () => {
    const approval = aTrackedApproval();
    const settings = { fundChannel: undefined, admins: [], requesterUsers: [], requesterUsergroups: [] };

    const reply = renderReply(
      { reply: { kind: 'already-pending', approvalId: approval.id }, approval, cardError: 'not_in_channel' },
      settings,
    );

    expect(reply.text).toContain('Its card cannot go in <#C0FUND> until I am invited there');
    expect(reply.text).not.toContain('on its way');
  });

  it('says how the approval ended when it ended before the answer went out, never that it is pending', () => {
    const approval = aTrackedApproval({ status: 'declined', resolvedAt: new Date('2026-06-01T10:00:00Z') });
    const settings = { fundChannel: undefined, admins: [], requesterUsers: [], requesterUsergroups: [] };
    const reply = renderReply(
      { reply: { kind: 'already-pending', approvalId: approval.id }, approval },
      settings,
    );
    expect(reply.text).toContain('was declined');
    expect(reply.text).not.toContain('is already requested');
  });
});
