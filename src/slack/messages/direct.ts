import type { KnownBlock } from '@slack/types';
import type { TerminalStatus, TrackedApproval } from '../../approvals/types.js';
import { describeTimeLeft } from '../../duration.js';
import type { SlackMessage } from '../gateway.js';
import { factsSection, shortSubject } from './card.js';
import { channelMention, code, dateToken, escapeText, link } from './format.js';
import { statusEmoji, wordingFor } from './wording.js';

/** A DM before expiry: what, how long is left, and the link to act on it. */
export function renderReminder(approval: TrackedApproval, now: Date): SlackMessage {
  const wording = wordingFor(approval.type);
  const left = describeTimeLeft(approval.expiresAt.getTime() - now.getTime());
  const subject = escapeText(shortSubject(approval));
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:alarm_clock: *The ${wording.noun} approval for ${subject} expires in ${left}* (${dateToken(approval.expiresAt)}). Nobody has confirmed it in OpenTrain yet.`,
      },
    },
    factsSection(approval),
    { type: 'context', elements: [{ type: 'mrkdwn', text: cardReference(approval) }] },
  ];
  if (approval.approvalUrl.length <= 3_000) {
    blocks.splice(2, 0, {
      type: 'actions',
      block_id: `reminder:${approval.id}`.slice(0, 255),
      elements: [
        {
          type: 'button',
          action_id: 'open_approval',
          text: { type: 'plain_text', text: wording.button.slice(0, 75) },
          url: approval.approvalUrl,
          value: approval.id,
          style: 'primary',
        },
      ],
    });
  }
  return { text: `Reminder: the ${wording.noun} approval for ${subject} expires in ${left}.`, blocks };
}

/** The DM that closes the loop for the requester. */
export function renderOutcome(approval: TrackedApproval, status: TerminalStatus): SlackMessage {
  const wording = wordingFor(approval.type);
  const subject = escapeText(shortSubject(approval));
  const when = approval.resolvedAt === null ? '' : ` ${dateToken(approval.resolvedAt)}`;
  let line: string;
  switch (status) {
    case 'confirmed': {
      const invoice = approval.result?.invoiceId;
      line = `${statusEmoji.confirmed} *${wording.outcomeTitle.confirmed}: ${subject}.* Confirmed in OpenTrain${when}${
        typeof invoice === 'string' ? `, invoice ${code(invoice)}` : ''
      }.`;
      break;
    }
    case 'declined':
      line = `${statusEmoji.declined} *The ${wording.noun} request for ${subject} was declined* in OpenTrain${when}. Nothing was charged.`;
      break;
    case 'expired':
      line = `${statusEmoji.expired} *The ${wording.noun} request for ${subject} expired*${when} without a decision. Nothing was charged.${
        approval.type === 'milestone_fund' && approval.milestoneId !== null
          ? ` Run ${code(`/fund-milestone ${approval.milestoneId}`)} to ask again.`
          : ''
      }`;
      break;
  }
  return {
    text: `${wording.outcomeTitle[status]}: ${subject}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: line } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: cardReference(approval) }] },
    ],
  };
}

/** Tells the requester a card that could not be posted at first is now in its channel. */
export function renderCardArrived(approval: TrackedApproval, permalink: string | null): SlackMessage {
  const where =
    permalink === null ? channelMention(approval.channelId) : link(permalink, 'the approval card');
  const text = `The card for ${escapeText(shortSubject(approval))} is now posted in ${channelMention(approval.channelId)}: ${where}.`;
  return {
    text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:white_check_mark: ${text}` } }],
  };
}

function cardReference(approval: TrackedApproval): string {
  const card = approval.card.permalink === null ? '' : ` · ${link(approval.card.permalink, 'view the card')}`;
  return `Approval ${code(approval.id)}${card}`;
}
