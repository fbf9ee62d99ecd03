import type { KnownBlock } from '@slack/types';
import type { TrackedApproval } from '../../domain/approval.js';
import { describeTimeLeft } from '../../duration.js';
import type { SlackMessage } from '../gateway.js';
import { factsSection, shortSubject } from './card.js';
import {
  approvalActions,
  channelMention,
  code,
  contextLine,
  dateToken,
  escapeText,
  link,
  section,
} from './format.js';
import { outcomeSentence, wordingFor } from './wording.js';

/** A DM before expiry: what, how long is left, and the link to act on it. */
export function renderReminder(approval: TrackedApproval, now: Date): SlackMessage {
  const wording = wordingFor(approval.type);
  const left = describeTimeLeft(approval.expiresAt.getTime() - now.getTime());
  const subject = escapeText(shortSubject(approval));
  const blocks: KnownBlock[] = [
    section(
      `:alarm_clock: *The ${wording.noun} approval for ${subject} expires in ${left}* (${dateToken(approval.expiresAt)}). Nobody has confirmed it in OpenTrain yet.`,
    ),
    factsSection(approval),
    ...approvalActions(approval, wording.button, `reminder:${approval.id}`),
    contextLine(cardReference(approval)),
  ];
  return { text: `Reminder: the ${wording.noun} approval for ${subject} expires in ${left}.`, blocks };
}

/** The DM that closes the loop for the requester. */
export function renderOutcome(approval: TrackedApproval): SlackMessage {
  const subject = escapeText(shortSubject(approval));
  const status = approval.status === 'pending' ? 'pending' : approval.status;
  const title = status === 'pending' ? 'Pending' : wordingFor(approval.type).outcomeTitle[status];
  return {
    text: `${title}: ${subject}`,
    blocks: [section(outcomeSentence(approval, { subject })), contextLine(cardReference(approval))],
  };
}

/** Tells the requester a card that could not be posted at first is now in its channel. */
export function renderCardArrived(approval: TrackedApproval): SlackMessage {
  const permalink = approval.card.permalink;
  const where =
    permalink === null ? channelMention(approval.channelId) : link(permalink, 'the approval card');
  const text = `The card for ${escapeText(shortSubject(approval))} is now posted in ${channelMention(approval.channelId)}: ${where}.`;
  return { text, blocks: [section(`:white_check_mark: ${text}`)] };
}

function cardReference(approval: TrackedApproval): string {
  const card = approval.card.permalink === null ? '' : ` · ${link(approval.card.permalink, 'view the card')}`;
  return `Approval ${code(approval.id)}${card}`;
}
