import type { KnownBlock } from '@slack/types';
import type { TrackedApproval } from '../../domain/approval.js';
import { shortSubject, timeLeft } from './card.js';
import {
  approvalButton,
  channelMention,
  code,
  dateToken,
  escapeAndTruncate,
  link,
  mention,
} from './format.js';
import { reportedStatusText, statusEmoji, wordingFor } from './wording.js';

const maxPending = 25;
const maxOutcomes = 10;

/** The pending approvals a Home tab lists, in its order: soonest expiry first, at most 25. */
export function shownPending(pending: readonly TrackedApproval[]): TrackedApproval[] {
  return [...pending].sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime()).slice(0, maxPending);
}

/**
 * The App Home tab: approvals waiting on someone that concern the viewer (they asked, or the card is in a
 * channel they are in), soonest expiry first, then recent outcomes. At most about 45 of Slack's 100 blocks.
 */
export function renderHome(input: {
  readonly pending: readonly TrackedApproval[];
  /** How many are pending in all, when `pending` holds only the first of them. */
  readonly pendingTotal?: number;
  readonly outcomes: readonly TrackedApproval[];
  readonly now: Date;
}): KnownBlock[] {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'OpenTrain approvals' } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Approvals you asked for or that are in channels you are in. Updated ${dateToken(input.now, '{date_short_pretty} at {time}')}.`,
        },
      ],
    },
  ];
  const shown = shownPending(input.pending);
  if (shown.length === 0) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:sparkles: Nothing is waiting. Run ${code('/fund-milestone <milestone>')} to request funding; its approval shows up here until it is confirmed, declined or expires.`,
      },
    });
  }
  for (const approval of shown) blocks.push(pendingSection(approval, input.now));
  const total = Math.max(input.pendingTotal ?? 0, input.pending.length);
  if (total > shown.length) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `…and ${total - shown.length} more pending.` }],
    });
  }
  const outcomes = [...input.outcomes]
    .sort((a, b) => (b.resolvedAt?.getTime() ?? 0) - (a.resolvedAt?.getTime() ?? 0))
    .slice(0, maxOutcomes);
  if (outcomes.length > 0) {
    blocks.push(
      { type: 'divider' },
      { type: 'header', text: { type: 'plain_text', text: 'Recent outcomes' } },
    );
    for (const approval of outcomes) blocks.push(outcomeContext(approval));
  }
  return blocks;
}

function pendingSection(approval: TrackedApproval, now: Date): KnownBlock {
  const wording = wordingFor(approval.type);
  const card =
    approval.card.permalink === null
      ? channelMention(approval.channelId)
      : link(approval.card.permalink, 'card');
  const who =
    approval.requester.kind === 'slack'
      ? mention(approval.requester.userId)
      : escapeAndTruncate(approval.requester.name, 60);
  const reported = reportedStatusText(approval);
  const status = reported === undefined ? '' : `\n${reported}.`;
  const text = `${statusEmoji.pending} *${escapeAndTruncate(shortSubject(approval), 200)}*\n${wording.noun} · expires ${dateToken(approval.expiresAt)}${timeLeft(approval, now)} · requested by ${who} · ${card}${status}`;
  const section: KnownBlock = { type: 'section', text: { type: 'mrkdwn', text } };
  const button = approvalButton(approval, 'Review', {});
  return button === undefined ? section : { ...section, accessory: button };
}

function outcomeContext(approval: TrackedApproval): KnownBlock {
  const when =
    approval.resolvedAt === null ? '' : ` ${dateToken(approval.resolvedAt, '{date_short_pretty}')}`;
  const emoji = approval.status === 'pending' ? statusEmoji.pending : statusEmoji[approval.status];
  return {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `${emoji} ${escapeAndTruncate(shortSubject(approval), 200)}: *${approval.status}*${when} · ${code(approval.id)}`,
      },
    ],
  };
}
