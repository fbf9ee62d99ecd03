import type { KnownBlock } from '@slack/types';
import type { TrackedApproval } from '../../domain/approval.js';
import type { Refusal } from '../../domain/funding.js';
import type { SlackMessage } from '../gateway.js';
import { shortSubject } from './card.js';
import {
  approvalActions,
  channelMention,
  code,
  dateToken,
  escapeText,
  link,
  mention,
  section,
} from './format.js';
import { refusalText } from './refusals.js';
import { outcomeSentence, reportedStatusText } from './wording.js';

/** " OpenTrain reports status `on_hold`; still following it." for an approval under a status word we do not know. */
function reported(approval: TrackedApproval): string {
  const text = reportedStatusText(approval);
  return text === undefined ? '' : ` ${text}.`;
}

function reply(text: string, approval?: TrackedApproval, extra: readonly KnownBlock[] = []): SlackMessage {
  // The approval link goes in a button, not the text: its URL can be long, and a section holds 3,000 characters.
  const button = approval === undefined ? [] : approvalActions(approval, 'Review & confirm in OpenTrain');
  return { text, blocks: [section(text), ...button, ...extra] };
}

export function usageReply(): SlackMessage {
  return reply(
    [
      '*Request funding for an OpenTrain milestone*',
      `${code('/fund-milestone <milestone id or link> [note]')}`,
      `e.g. ${code('/fund-milestone M-1001 batch 2 is ready')}`,
      'I ask OpenTrain to fund it, post an approval card with the link a signed-in OpenTrain user must open to confirm, remind you before it expires and tell you the outcome. No money moves until a human confirms in OpenTrain.',
      `${code('/fund-milestone history <milestone or approval id>')}: who requested, posted, reminded and decided, and when.`,
      `${code('/fund-milestone route list')}: which job or contract sends its cards where (admins also ${code('route set')} and ${code('route remove')}; ${code('/fund-milestone route')} explains).`,
    ].join('\n'),
  );
}

export function invalidInputReply(problem: string): SlackMessage {
  return reply(
    `:warning: ${escapeText(problem)} Nothing was sent to OpenTrain.\nUsage: ${code('/fund-milestone <milestone id or link> [note]')}`,
  );
}

/** The progress line, shown only when the outcome takes more than a couple of seconds; the outcome replaces it. */
export function workingReply(milestoneId: string): SlackMessage {
  return {
    text: `:hourglass_flowing_sand: Asking OpenTrain to fund ${code(milestoneId)}… it is taking a few seconds; the answer will follow here.`,
  };
}

export function fundedReply(approval: TrackedApproval): SlackMessage {
  const where =
    approval.card.permalink === null
      ? channelMention(approval.channelId)
      : `${channelMention(approval.channelId)} (${link(approval.card.permalink, 'view the card')})`;
  return reply(
    `:white_check_mark: Funding requested for ${escapeText(shortSubject(approval))}. The approval card is in ${where}. ` +
      `A signed-in OpenTrain user must confirm it before ${dateToken(approval.expiresAt)}; I'll remind you before then and tell you the outcome.${reported(approval)}`,
  );
}

/** The request's approval ended before the answer went out (it was settled while the bot restarted). */
export function endedReply(approval: TrackedApproval): SlackMessage {
  return reply(outcomeSentence(approval, { subject: escapeText(shortSubject(approval)) }));
}

/**
 * A second request for an approval already followed. It waits for the card's first attempt (so it follows the
 * first request's own answer), then says where the card is, or that it is on its way and where it will be.
 */
export function alreadyPendingReply(
  approval: TrackedApproval,
  cardBlocked?: 'not-in-channel' | 'channel-not-found',
): SlackMessage {
  const by = approval.requester.kind === 'slack' ? ` by ${mention(approval.requester.userId)}` : '';
  const subject = escapeText(shortSubject(approval));
  const requested = `${subject} is already requested${by} ${dateToken(approval.trackedAt)} (approval ${code(approval.id)}), so I did not ask OpenTrain again or post a second card.${reported(approval)}`;
  if (approval.card.ts === null) {
    const channel = channelMention(approval.channelId);
    const where =
      cardBlocked === 'not-in-channel'
        ? `Its card cannot go in ${channel} until I am invited there (${code('/invite @Countersign')}).`
        : cardBlocked === 'channel-not-found'
          ? `Its card cannot go in ${channel}: I can't find or use that channel.`
          : `That request is already on its way: its card will be in ${channel}.`;
    return reply(
      `:information_source: ${requested} ${where} The approval link is below; it expires ${dateToken(approval.expiresAt)}.`,
      approval,
    );
  }
  const card =
    approval.card.permalink === null
      ? `Its card is in ${channelMention(approval.card.channelId ?? approval.channelId)}.`
      : `Here is its card: ${link(approval.card.permalink, 'view the approval card')}.`;
  return reply(`:information_source: ${requested} ${card} It expires ${dateToken(approval.expiresAt)}.`);
}

export function cardBlockedReply(
  approval: TrackedApproval,
  reason: 'not-in-channel' | 'channel-not-found',
): SlackMessage {
  const channel = channelMention(approval.channelId);
  // A direct message between people is one no app can post in; inviting the bot is not an option there.
  const fix = approval.channelId.startsWith('D')
    ? `I can't post in a direct message between people. Next time, run ${code('/fund-milestone')} in a channel I can post in, or ask an admin to set FUND_CHANNEL or a route for this job.`
    : reason === 'not-in-channel'
      ? `I'm not a member of ${channel}. Invite me there (${code('/invite @Countersign')}) and the card appears within a poll interval.`
      : `I can't find or use ${channel} (it may be archived, or private without me in it). Invite me, or ask an admin to point FUND_CHANNEL at a channel I'm in.`;
  return reply(
    `:warning: Funding was requested (approval ${code(approval.id)}) and I'm tracking it, but I couldn't post its card. ${fix}\nUntil then, the approval link is below. I'll still remind you and tell you the outcome.`,
    approval,
  );
}

export function cardDelayedReply(approval: TrackedApproval): SlackMessage {
  return reply(
    `:white_check_mark: Funding requested (approval ${code(approval.id)}) and tracked. Slack did not accept the card yet; I'm retrying and will DM you when it is in ${channelMention(approval.channelId)}. The approval link meanwhile is below.`,
    approval,
  );
}

/** One specific, actionable message per refusal; always says that nothing was requested. */
export function fundingFailedReply(refusal: Refusal, milestoneId: string): SlackMessage {
  const { sentence, reference } = refusalText(refusal, milestoneId);
  return reply(sentence, undefined, reference);
}

export function unroutedReply(milestoneId: string): SlackMessage {
  return reply(
    `:warning: OpenTrain recorded the funding request for ${code(milestoneId)}, but no route or FUND_CHANNEL says where its card goes. Ask an admin to add a route (${code('/fund-milestone route set <job or contract id> #channel')}).`,
  );
}

/** For someone REQUESTER_USERS / REQUESTER_USERGROUPS leave out. */
export function requestRefusedReply(allowed: {
  users: readonly string[];
  usergroups: readonly string[];
}): SlackMessage {
  const who = [
    ...allowed.users.slice(0, 10).map(mention),
    ...allowed.usergroups.slice(0, 5).map((id) => `<!subteam^${id}>`),
  ];
  return reply(
    `:no_entry: You are not on the list of people who may request funding through Countersign, so nothing was sent to OpenTrain. Ask ${
      who.length === 0 ? 'someone who is' : who.join(', ')
    } to request it, or ask whoever runs Countersign to add you (REQUESTER_USERS or REQUESTER_USERGROUPS).`,
  );
}

export function permissionCheckFailedReply(): SlackMessage {
  return reply(
    ':warning: I could not check with Slack whether you may request funding (Slack did not answer), so nothing was sent to OpenTrain. Try again in a minute.',
  );
}

/**
 * The lost answer of a request retried too late to ask again safely: any approval it made may have lapsed
 * unseen, and asking anew could make a second one nobody asked for.
 */
export function unconfirmedReply(milestoneId: string): SlackMessage {
  return reply(unconfirmedText(milestoneId));
}

export function unconfirmedText(milestoneId: string): string {
  return `:grey_question: I could not confirm whether OpenTrain recorded the request to fund ${code(milestoneId)}: Countersign was cut off while asking and its answer was lost, and any approval it made may have expired unseen by now. I did not ask again, so no second approval was created. If the milestone still needs funding, run ${code(`/fund-milestone ${milestoneId}`)} again.`;
}

export function internalErrorReply(milestoneId: string): SlackMessage {
  return reply(
    `:warning: Countersign failed while handling your request for ${code(milestoneId)}. It may or may not have reached OpenTrain; running the command again is safe. If it keeps happening, tell whoever runs Countersign (the logs say what broke).`,
  );
}
