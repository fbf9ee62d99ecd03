import type { KnownBlock } from '@slack/types';
import type { TrackedApproval } from '../../domain/approval.js';
import type { Notice } from '../../domain/effects.js';
import { describeTimeLeft } from '../../duration.js';
import type { SlackMessage } from '../gateway.js';
import { shortSubject } from './card.js';
import {
  approvalActions,
  approverMention,
  code,
  dateToken,
  escapeAndTruncate,
  escapeText,
  mention,
  section,
} from './format.js';
import { refusalText } from './refusals.js';
import { unconfirmedText } from './replies.js';
import { outcomeSentence, wordingFor } from './wording.js';

/** The reply in the card's thread when the approval ends, so people following the thread hear of it. */
export function renderThreadOutcome(approval: TrackedApproval): SlackMessage {
  return {
    text: `${wordingFor(approval.type).noun} approval ${approval.status}: ${escapeText(shortSubject(approval))}`,
    blocks: [section(outcomeSentence(approval))],
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
  const blocks: KnownBlock[] = [
    section(text),
    ...approvalActions(approval, wording.button, `thread-reminder:${approval.id}`),
  ];
  return { text: `Expires in ${left}: ${escapeText(shortSubject(approval))}`, blocks };
}

/** A message in a channel that is not about one approval: what an autofund rule could not do. */
export function renderNotice(notice: Notice): SlackMessage {
  if (notice.kind === 'text') return { text: notice.text, blocks: [section(notice.text)] };
  if (notice.kind === 'autofund-unconfirmed') {
    const text = `:grey_question: ${escapeAndTruncate(notice.ruleName, 120)} tried to request funding for the new milestone ${code(notice.milestoneId)}. ${unconfirmedText(notice.milestoneId).replace(/^:grey_question: /, '')}`;
    return { text, blocks: [section(text)] };
  }
  const why = refusalText(notice.refusal, notice.milestoneId);
  const text = `:warning: ${escapeAndTruncate(notice.ruleName, 120)} tried to request funding for the new milestone ${code(notice.milestoneId)} and OpenTrain refused:\n${why.sentence}`;
  return { text, blocks: [section(text), ...why.reference] };
}
