import type { KnownBlock } from '@slack/types';
import type { TrackedApproval } from '../../approvals/types.js';
import type { OpenTrainError } from '../../opentrain/errors.js';
import type { SlackMessage } from '../gateway.js';
import { shortSubject } from './card.js';
import { channelMention, code, dateToken, escapeAndTruncate, escapeText, link, mention } from './format.js';

function reply(text: string, approvalLink?: { url: string; label: string }): SlackMessage {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  // The approval link goes in a button, not the text: its URL can be long, and a section holds 3,000 characters.
  if (approvalLink !== undefined && approvalLink.url.length <= 3_000) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'open_approval',
          text: { type: 'plain_text', text: approvalLink.label },
          url: approvalLink.url,
          style: 'primary',
        },
      ],
    });
  }
  return { text, blocks };
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

export function workingReply(milestoneId: string): SlackMessage {
  return { text: `:hourglass_flowing_sand: Asking OpenTrain to fund ${code(milestoneId)}…` };
}

export function fundedReply(approval: TrackedApproval): SlackMessage {
  const where =
    approval.card.permalink === null
      ? channelMention(approval.channelId)
      : `${channelMention(approval.channelId)} (${link(approval.card.permalink, 'view the card')})`;
  return reply(
    `:white_check_mark: Funding requested for ${escapeText(shortSubject(approval))}. The approval card is in ${where}. ` +
      `A signed-in OpenTrain user must confirm it before ${dateToken(approval.expiresAt)}; I'll remind you before then and tell you the outcome.`,
  );
}

export function alreadyPendingReply(approval: TrackedApproval): SlackMessage {
  const by = approval.requester.kind === 'slack' ? ` by ${mention(approval.requester.userId)}` : '';
  const posted = approval.card.ts !== null;
  const card = !posted
    ? `Its card is not in ${channelMention(approval.channelId)} yet (I keep trying); the approval link is below.`
    : approval.card.permalink === null
      ? `Its card is in ${channelMention(approval.card.channelId ?? approval.channelId)}.`
      : `Here is its card: ${link(approval.card.permalink, 'view the approval card')}.`;
  return reply(
    `:information_source: ${escapeText(shortSubject(approval))} already has a pending ${code(approval.id)} (requested${by} ${dateToken(approval.trackedAt)}), so I did not post a second card. ${card} It expires ${dateToken(approval.expiresAt)}.`,
    // Without a card to point at, the link is the only way to act on it.
    posted ? undefined : { url: approval.approvalUrl, label: 'Review & confirm in OpenTrain' },
  );
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
    { url: approval.approvalUrl, label: 'Review & confirm in OpenTrain' },
  );
}

export function cardDelayedReply(approval: TrackedApproval): SlackMessage {
  return reply(
    `:white_check_mark: Funding requested (approval ${code(approval.id)}) and tracked. Slack did not accept the card yet; I'm retrying and will DM you when it is in ${channelMention(approval.channelId)}. The approval link meanwhile is below.`,
    { url: approval.approvalUrl, label: 'Review & confirm in OpenTrain' },
  );
}

/** One specific, actionable message per documented failure; always says that nothing was requested. */
export function fundingFailedReply(error: OpenTrainError, milestoneId: string): SlackMessage {
  const id = code(milestoneId);
  const opentrainSays = escapeAndTruncate(error.message, 300);
  let text: string;
  switch (error.failure) {
    case 'unauthorized':
      text = `:lock: OpenTrain rejected Countersign's API token (401), so nothing was requested. An admin must mint a new token in OpenTrain (Settings → API keys, scopes ${code('payments:read')} and ${code('payments:write')}) and set ${code('OT_API_TOKEN')}.`;
      break;
    case 'missing-scope': {
      const scopes = error.detailList('requiredScopes');
      const named = scopes.length === 0 ? code('payments:write') : scopes.map(code).join(', ');
      text = `:lock: Countersign's OpenTrain token is missing the scope ${named}, so nothing was requested. An admin must mint a token with ${code('payments:read')} and ${code('payments:write')} in OpenTrain (Settings → API keys) and set ${code('OT_API_TOKEN')}.`;
      break;
    }
    case 'feature-disabled':
      text = `:no_entry: Payment requests through the API are switched off for this OpenTrain account (feature ${code(error.detail('feature') ?? 'public_api_payments_write')}), so nothing was requested. Ask OpenTrain support to enable it, or fund ${id} in the OpenTrain app.`;
      break;
    case 'claim-required': {
      const claimUrl = error.detailLink('claimUrl');
      text = `:lock: This OpenTrain account has not been claimed by a human yet, so it cannot fund milestones and nothing was requested. The account owner must claim it first${
        claimUrl === undefined ? '' : `: ${link(claimUrl, 'claim the account')}`
      }.`;
      break;
    }
    case 'forbidden':
      text = `:no_entry: OpenTrain refused to fund ${id}: ${opentrainSays}. Nothing was requested.`;
      break;
    case 'not-found':
      text = `:mag: OpenTrain has no milestone ${id} on this account (or it belongs to another account). Check the id or paste the milestone's OpenTrain link. Nothing was requested.`;
      break;
    case 'not-fundable': {
      const status = error.detail('status');
      text = `:information_source: Milestone ${id} cannot be funded because its status is ${code(status ?? 'not NOT_FUNDED')}; only NOT_FUNDED milestones can be. Nothing was requested.`;
      break;
    }
    case 'payment-method-required': {
      const billingUrl = error.detailLink('billingUrl');
      text = `:credit_card: OpenTrain needs a payment method on file before it can fund ${id}, so nothing was requested. An account owner can add a card${
        billingUrl === undefined
          ? ' in OpenTrain billing settings'
          : ` here: ${link(billingUrl, 'billing settings')}`
      }, then run ${code(`/fund-milestone ${milestoneId}`)} again.`;
      break;
    }
    case 'milestone-cancelled':
      text = `:no_entry: Milestone ${id} was cancelled, so it cannot be funded. Nothing was requested.`;
      break;
    case 'contract-ended': {
      const contractId = error.detail('contractId');
      text = `:no_entry: The contract${contractId === undefined ? '' : ` ${code(contractId)}`} for milestone ${id} has ended, so the milestone cannot be funded. Nothing was requested.`;
      break;
    }
    case 'conflict':
      text = `:warning: OpenTrain refused to fund ${id}: ${opentrainSays}. Nothing was requested.`;
      break;
    case 'bad-request':
      text = `:warning: OpenTrain rejected the request for ${id}: ${opentrainSays}. Nothing was requested.`;
      break;
    case 'rate-limited':
    case 'unavailable':
    case 'timeout':
    case 'network': {
      const why = {
        'rate-limited': 'it is rate limiting us',
        unavailable: 'it answered with a server error',
        timeout: 'it did not answer in time',
        network: 'it could not be reached',
      }[error.failure];
      const wait =
        error.retryAfterMs === undefined
          ? 'in a minute'
          : `in ${Math.max(1, Math.ceil(error.retryAfterMs / 1_000))} s`;
      // A lost answer may hide a recorded request; asking again is safe because OpenTrain then returns it.
      text = `:hourglass: OpenTrain is not answering right now (${why}), so as far as Countersign can tell nothing was requested. Try ${code(`/fund-milestone ${milestoneId}`)} again ${wait}; asking again is safe: if OpenTrain did record it, you get that same approval and its card.`;
      break;
    }
    case 'bad-response':
      text = `:warning: OpenTrain answered in a way Countersign does not understand, so nothing is being tracked for ${id}. Try again; if it keeps happening, tell whoever runs Countersign.`;
      break;
  }
  if (error.requestId !== undefined) text += ` (OpenTrain request id ${code(error.requestId)})`;
  return reply(text);
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

export function internalErrorReply(milestoneId: string): SlackMessage {
  return reply(
    `:warning: Countersign failed while handling your request for ${code(milestoneId)}. It may or may not have reached OpenTrain; running the command again is safe. If it keeps happening, tell whoever runs Countersign (the logs say what broke).`,
  );
}
