import type { ReplyContent } from '../../ports/slack.js';
import type { SlackMessage } from '../gateway.js';
import {
  notAdminReply,
  routeListReply,
  routeRemovedReply,
  routeSavedReply,
  routeTargetUnknownReply,
} from './admin.js';
import { code, section } from './format.js';
import {
  alreadyPendingReply,
  cardBlockedReply,
  cardDelayedReply,
  endedReply,
  fundedReply,
  fundingFailedReply,
  internalErrorReply,
  permissionCheckFailedReply,
  requestRefusedReply,
  unconfirmedReply,
  unroutedReply,
  workingReply,
} from './replies.js';

export interface ReplySettings {
  readonly fundChannel: string | undefined;
  readonly admins: readonly string[];
  readonly requesterUsers: readonly string[];
  readonly requesterUsergroups: readonly string[];
}

/** Slack error codes of a card's last attempt that a person can fix by inviting the bot or choosing a channel. */
function cardBlockedBy(error: string | null | undefined): 'not-in-channel' | 'channel-not-found' | undefined {
  if (error === 'not_in_channel') return 'not-in-channel';
  if (error === 'channel_not_found' || error === 'is_archived') return 'channel-not-found';
  return undefined;
}

/** Renders a private reply from what it says and the state it is about, as it is now. */
export function renderReply(content: ReplyContent, settings: ReplySettings): SlackMessage {
  const { reply, approval } = content;
  switch (reply.kind) {
    case 'working':
      return workingReply(reply.milestoneId);
    case 'requester-refused':
      return requestRefusedReply({
        users: settings.requesterUsers,
        usergroups: settings.requesterUsergroups,
      });
    case 'permission-check-failed':
      return permissionCheckFailedReply();
    case 'funding-requested': {
      if (approval === undefined) return internalErrorReply(reply.approvalId);
      if (approval.status !== 'pending') return endedReply(approval);
      if (approval.card.ts !== null) return fundedReply(approval);
      const blocked =
        cardBlockedBy(content.cardError) ??
        (reply.cardProblem === 'delayed' ? undefined : (reply.cardProblem ?? undefined));
      return blocked === undefined ? cardDelayedReply(approval) : cardBlockedReply(approval, blocked);
    }
    case 'already-pending':
      if (approval === undefined) return internalErrorReply(reply.approvalId);
      // The approval this request was handed ended before the answer went out: say how.
      return approval.status === 'pending'
        ? alreadyPendingReply(approval, cardBlockedBy(content.cardError))
        : endedReply(approval);
    case 'unrouted':
      return unroutedReply(reply.milestoneId);
    case 'refused':
      return fundingFailedReply(reply.refusal, reply.milestoneId);
    case 'internal-error':
      return internalErrorReply(reply.milestoneId);
    case 'unconfirmed':
      return unconfirmedReply(reply.milestoneId);
    case 'routes':
      return routeListReply(content.routes ?? [], settings.fundChannel);
    case 'route-saved': {
      const route = content.routes?.find((r) => r.scope === reply.scope && r.targetId === reply.targetId);
      return route === undefined
        ? {
            text: `Route for ${code(reply.targetId)} saved.`,
            blocks: [section(`Route for ${code(reply.targetId)} saved.`)],
          }
        : routeSavedReply(route);
    }
    case 'route-removed':
      return routeRemovedReply(reply.removed, reply.targetId);
    case 'route-unknown':
      return routeTargetUnknownReply(reply.targetId, reply.why);
    case 'not-admin':
      return notAdminReply(settings.admins);
    case 'text':
      return { text: reply.text, blocks: [section(reply.text)] };
  }
}
