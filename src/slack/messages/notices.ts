import type { KnownBlock } from '@slack/types';
import type { TrackedApproval } from '../../approvals/types.js';
import { describeTimeLeft } from '../../duration.js';
import type { SlackMessage } from '../gateway.js';
import { outcomeLine, shortSubject } from './card.js';
import { approverMention, code, dateToken, escapeAndTruncate, escapeText, mention } from './format.js';
import { wordingFor } from './wording.js';

/** The reply in the card's thread when the approval ends, so people following the thread hear of it. */
export function renderThreadOutcome(approval: TrackedApproval): SlackMessage {
  const line = outcomeLine(approval);
  return {
    text: `${wordingFor(approval.type).noun} approval ${approval.status}: ${escapeText(shortSubject(approval))}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: line } }],
  };
}

/**
 * The last reminder, in the thread: nobody has acted and time is short, so the route's approvers (or the
 * requester when the route names none) are mentioned.
 */
export function renderThreadReminder(approval: TrackedApproval, now: Date): SlackMessage {
  const wording = wordingFor(approval.type);
  const left = describeTimeLeft(approval.expiresAt.getTime() - now.getTime());
  const mentions =
    approval.approvers.length > 0
      ? approval.approvers.slice(0, 20).map(approverMention).join(' ')
      : approval.requester.kind === 'slack'
        ? mention(approval.requester.userId)
        : '';
  const text = `:alarm_clock: This ${wording.noun} approval expires in ${left} (${dateToken(approval.expiresAt)}) and nobody has confirmed it in OpenTrain yet.${
    mentions === '' ? '' : ` ${mentions}, please review it.`
  }`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  if (approval.approvalUrl.length <= 3_000) {
    blocks.push({
      type: 'actions',
      block_id: `thread-reminder:${approval.id}`.slice(0, 255),
      elements: [
        {
          type: 'button',
          action_id: 'open_approval',
          text: { type: 'plain_text', text: wording.button.slice(0, 75) },
          url: approval.approvalUrl,
          value: approval.id.slice(0, 2_000),
          style: 'primary',
        },
      ],
    });
  }
  return { text: `Expires in ${left}: ${escapeText(shortSubject(approval))}`, blocks };
}

/** Posted in a route's channel when its autoFund rule could not request funding. */
export function autoFundFailedNotice(ruleName: string, milestoneId: string, why: SlackMessage): SlackMessage {
  const text = `:warning: ${escapeAndTruncate(ruleName, 120)} tried to request funding for the new milestone ${code(milestoneId)} and OpenTrain refused:\n${why.text}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3_000) } }] };
}
