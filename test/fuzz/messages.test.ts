import type { KnownBlock } from '@slack/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SlackMessage } from '../../src/slack/gateway.js';
import {
  historyReply,
  notAdminReply,
  routeListReply,
  routeRemovedReply,
  routeSavedReply,
  routeTargetUnknownReply,
  routeUsageReply,
} from '../../src/slack/messages/admin.js';
import { renderCard, renderDuplicateCard } from '../../src/slack/messages/card.js';
import { renderCardArrived, renderOutcome, renderReminder } from '../../src/slack/messages/direct.js';
import { renderHome } from '../../src/slack/messages/home.js';
import { cut, fitToLimits, slackLimits } from '../../src/slack/messages/limits.js';
import { renderNotice, renderThreadOutcome, renderThreadReminder } from '../../src/slack/messages/notices.js';
import { renderReply } from '../../src/slack/messages/render-reply.js';
import {
  alreadyPendingReply,
  cardBlockedReply,
  cardDelayedReply,
  endedReply,
  fundedReply,
  fundingFailedReply,
  invalidInputReply,
  requestRefusedReply,
} from '../../src/slack/messages/replies.js';
import { fuzz, fuzzTimeout, hostileLongText, hostileText, openTrainId } from '../helpers/fuzz.js';
import { type MarkupAllowance, markupProblems, slackMessageProblems } from '../helpers/slack-output.js';
import {
  actorsOf,
  allowedFor,
  allowedForRoutes,
  auditEntry,
  instant,
  origin,
  permalinkPrefix,
  refusal,
  route,
  slackChannelId,
  slackGroupId,
  slackUserId,
  trackedApproval,
} from './arbitraries.js';

/*
 * Every renderer, fed approvals, refusals, routes and history whose every free-text field is hostile: what
 * reaches Slack stays within its limits (the Slack fake's own check) and carries no markup Countersign did not
 * make, so nobody's note or OpenTrain's wording can mention @channel, a person, or disguise a link.
 */

function expectFine(message: SlackMessage, allowed: MarkupAllowance) {
  expect(slackMessageProblems(message, { allowed })).toEqual([]);
}

describe('messages about an approval', { timeout: fuzzTimeout() }, () => {
  it('stay within limits and escape every hostile field, in every state', () => {
    fc.assert(
      fc.property(trackedApproval, instant, (approval, now) => {
        const allowed = allowedFor(approval);
        const messages: SlackMessage[] = [
          renderCard(approval, now),
          renderDuplicateCard(approval, approval.card.permalink),
          renderCardArrived(approval),
          fundedReply(approval),
          alreadyPendingReply(approval),
          cardBlockedReply(approval, 'not-in-channel'),
          cardBlockedReply(approval, 'channel-not-found'),
          cardDelayedReply(approval),
          // Reminders go out while it is pending, outcomes once it ended: as their callers use them.
          ...(approval.status === 'pending'
            ? [renderReminder(approval, now), renderThreadReminder(approval, now)]
            : [renderOutcome(approval), renderThreadOutcome(approval), endedReply(approval)]),
        ];
        for (const message of messages) expectFine(message, allowed);
      }),
      fuzz(300),
    );
  });

  it('make a Home tab within its 100 blocks, whatever the approvals hold', () => {
    fc.assert(
      fc.property(
        fc.array(trackedApproval, { maxLength: 40 }),
        fc.array(trackedApproval, { maxLength: 15 }),
        fc.nat({ max: 10_000 }),
        instant,
        (pending, outcomes, pendingTotal, now) => {
          const blocks = renderHome({ pending, outcomes, pendingTotal, now });
          const allowed = [...pending, ...outcomes].map(allowedFor);
          const problems = slackMessageProblems(
            { text: 'Home', blocks },
            {
              surface: 'home',
              allowed: {
                users: allowed.flatMap((a) => a.users),
                usergroups: allowed.flatMap((a) => a.usergroups),
                channels: allowed.flatMap((a) => a.channels),
                linkPrefixes: [`${origin}/`, permalinkPrefix],
              },
            },
          );
          expect(problems).toEqual([]);
        },
      ),
      fuzz(60),
    );
  });
});

describe('refusals', { timeout: fuzzTimeout() }, () => {
  it('are one clear sentence within limits, whatever OpenTrain put in its error', () => {
    fc.assert(
      fc.property(refusal, openTrainId(), hostileText(), (refused, milestoneId, ruleName) => {
        const allowed = { linkPrefixes: [`${origin}/`] };
        const reply = fundingFailedReply(refused, milestoneId);
        expectFine(reply, allowed);
        expect(reply.text).toMatch(/[Nn]othing (was|is being) (requested|tracked)/);
        expectFine(
          renderNotice({ kind: 'autofund-refused', ruleName, milestoneId, refusal: refused }),
          allowed,
        );
        expectFine(renderNotice({ kind: 'autofund-unconfirmed', ruleName, milestoneId }), allowed);
        expect(refused.billingUrl === null || refused.billingUrl.startsWith(`${origin}/`)).toBe(true);
        expect(refused.claimUrl === null || refused.claimUrl.startsWith(`${origin}/`)).toBe(true);
      }),
      fuzz(500),
    );
  });

  it('render as a queued reply the same way', () => {
    fc.assert(
      fc.property(refusal, openTrainId(), (refused, milestoneId) => {
        const message = renderReply(
          { reply: { kind: 'refused', milestoneId, refusal: refused } },
          { fundChannel: undefined, admins: [], requesterUsers: [], requesterUsergroups: [] },
        );
        expectFine(message, { linkPrefixes: [`${origin}/`] });
      }),
      fuzz(200),
    );
  });
});

describe('admin replies', { timeout: fuzzTimeout() }, () => {
  it('list, save and remove routes within limits, whatever the labels say', () => {
    fc.assert(
      fc.property(
        fc.array(route, { maxLength: 60 }),
        fc.option(slackChannelId, { nil: undefined }),
        (routes, fundChannel) => {
          const allowed = allowedForRoutes(routes);
          const channels = [...allowed.channels, ...(fundChannel === undefined ? [] : [fundChannel])];
          expectFine(routeListReply(routes, fundChannel), { ...allowed, channels });
          for (const one of routes.slice(0, 3)) {
            expectFine(routeSavedReply(one), allowedForRoutes([one]));
            expectFine(routeRemovedReply(one, one.targetId), allowedForRoutes([one]));
          }
        },
      ),
      fuzz(150),
    );
  });

  it('show history within limits, whatever the audit log holds', () => {
    fc.assert(
      fc.property(
        openTrainId(),
        fc.array(auditEntry, { maxLength: 80 }),
        fc.constantFrom('milestone' as const, 'approval' as const),
        (id, entries, subject) => {
          expectFine(historyReply(id, entries, subject), { users: actorsOf(entries) });
        },
      ),
      fuzz(200),
    );
  });

  it('explain a bad command, a route problem or a refusal without echoing markup', () => {
    fc.assert(
      fc.property(
        hostileLongText(),
        openTrainId('J'),
        fc.array(slackUserId, { maxLength: 30 }),
        fc.array(slackGroupId, { maxLength: 30 }),
        (problem, targetId, users, usergroups) => {
          expectFine(invalidInputReply(problem.slice(0, 300)), {});
          expectFine(routeUsageReply(problem.slice(0, 300)), {});
          expectFine(routeTargetUnknownReply(targetId, 'not-found'), {});
          expectFine(notAdminReply(users), { users });
          expectFine(requestRefusedReply({ users, usergroups }), { users, usergroups });
        },
      ),
      fuzz(300),
    );
  });
});

/** Blocks of every kind Countersign sends, with texts of any length: what a renderer might one day produce. */
const anyBlock: fc.Arbitrary<KnownBlock> = fc.oneof(
  fc
    .string({ minLength: 1, maxLength: 400 })
    .map((text): KnownBlock => ({ type: 'header', text: { type: 'plain_text', text } })),
  fc.tuple(fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 5_000 })).map(
    ([text, times]): KnownBlock => ({
      type: 'section',
      text: { type: 'mrkdwn', text: text.repeat(times).slice(0, 8_000) },
    }),
  ),
  fc
    .array(
      fc
        .string({ minLength: 1 })
        .chain((text) =>
          fc.integer({ min: 1, max: 3_000 }).map((times) => text.repeat(times).slice(0, 5_000)),
        ),
      { minLength: 1, maxLength: 15 },
    )
    .map(
      (fields): KnownBlock => ({
        type: 'section',
        fields: fields.map((text) => ({ type: 'mrkdwn' as const, text })),
      }),
    ),
  fc.array(fc.string({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 15 }).map(
    (texts): KnownBlock => ({
      type: 'context',
      elements: texts.map((text) => ({ type: 'mrkdwn' as const, text })),
    }),
  ),
  fc.constant<KnownBlock>({ type: 'divider' }),
);

describe('fitToLimits, the last line of defence before Slack', { timeout: fuzzTimeout() }, () => {
  it('always returns a message Slack accepts', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 50_000 }),
        fc.option(fc.array(anyBlock, { maxLength: 70 }), { nil: undefined }),
        (text, blocks) => {
          const fitted = fitToLimits({ text: text.trim() === '' ? 'x' : text, blocks });

          expect(fitted.text.length).toBeLessThanOrEqual(slackLimits.text);
          expect(
            slackMessageProblems(fitted).filter((p) => !p.startsWith('a raw') && !p.startsWith('markup')),
          ).toEqual([]);
        },
      ),
      fuzz(300),
    );
  });

  it('cuts text without breaking an entity or a surrogate pair', () => {
    fc.assert(
      fc.property(hostileLongText(), fc.integer({ min: 2, max: 3_000 }), (raw, max) => {
        const escaped = raw.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

        const result = cut(escaped, max);

        expect(result.length).toBeLessThanOrEqual(max);
        expect(markupProblems(result.replace(/(^|\n)>/g, '$1'))).toEqual([]);
        if (result !== escaped) {
          // What is kept is the start of the text, and never the first half of a pair whose second was cut.
          const kept = result.slice(0, -1);
          expect(escaped.startsWith(kept)).toBe(true);
          expect(/[\uD800-\uDBFF]$/.test(kept) && /^[\uDC00-\uDFFF]/.test(escaped.slice(kept.length))).toBe(
            false,
          );
        }
      }),
      fuzz(300),
    );
  });
});
