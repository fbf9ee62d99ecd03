import { z } from 'zod';
import type { Requester } from '../../approvals/types.js';
import { OpenTrainError } from '../../opentrain/errors.js';
import type { SlackMessage } from '../../slack/gateway.js';
import { autoFundFailedNotice } from '../../slack/messages/notices.js';
import {
  alreadyPendingReply,
  cardBlockedReply,
  cardDelayedReply,
  fundedReply,
  fundingFailedReply,
  internalErrorReply,
  unroutedReply,
} from '../../slack/messages/replies.js';
import type { Effect } from '../../store/store.js';
import type { EffectResult, JobDeps } from '../deps.js';
import { auditFundFailure, type TrackHooks, type TrackOutcome, trackAndPost } from '../track.js';
import { notifyEffect } from './notify.js';

const SlackRequester = z.object({
  kind: z.literal('slack').default('slack'),
  userId: z.string(),
  teamId: z.string().nullable(),
});
const SystemRequester = z.object({ kind: z.literal('system'), name: z.string() });

export const FundPayload = z.object({
  milestoneId: z.string(),
  note: z.string().nullable(),
  requester: z.union([SystemRequester, SlackRequester]),
  originChannelId: z.string().nullable(),
  responseUrl: z.string().nullable(),
  requestedAt: z.iso.datetime(),
  /** For the autoFund rule: the channel to tell when OpenTrain refuses. */
  noticeChannelId: z.string().nullable().default(null),
});
export type FundPayload = z.input<typeof FundPayload>;

/** How often an autofund rule retries an OpenTrain outage (with backoff, about an hour) before giving up. */
const maxRuleAttempts = 10;

export function actorOf(requester: Requester): string {
  return requester.kind === 'slack' ? `slack:${requester.userId}` : `system:${requester.name}`;
}

/**
 * Asks OpenTrain to fund the milestone, tracks the approval before touching Slack, posts the card and tells
 * the requester how it went. Safe to run again after a crash at any point: the fund call is idempotent while
 * the approval is pending, tracking is an insert-if-absent, and the reply is keyed to this request.
 */
export async function fundMilestone(deps: JobDeps, effect: Effect, hooks: TrackHooks): Promise<EffectResult> {
  const request = FundPayload.parse(effect.payload);
  const requester: Requester = request.requester;
  const actor = actorOf(requester);
  const log = deps.log.child({ milestoneId: request.milestoneId, actor });

  let outcome: TrackOutcome;
  try {
    const remote = await deps.opentrain.fundMilestone(request.milestoneId);
    outcome = await trackAndPost(
      deps,
      remote,
      {
        requester,
        note: request.note,
        actor,
        // Only a second run of this very request (after a crash) may find its own row already tracked; a
        // second command from the same person is a re-request, pointed at the existing card.
        startedAt: effect.attempts > 1 ? effect.createdAt : undefined,
        fallbackChannel:
          request.originChannelId === null
            ? undefined
            : { id: request.originChannelId, via: 'invoking-channel' },
      },
      hooks,
    );
  } catch (error) {
    if (!(error instanceof OpenTrainError)) {
      // Our own failure (the store, a bug): the person still deserves an answer, then the effect fails.
      await reply(deps, effect, request, internalErrorReply(request.milestoneId));
      throw error;
    }
    if (error.transient && requester.kind === 'system' && effect.attempts < maxRuleAttempts) {
      // A rule has nobody waiting on a reply, so it simply tries again later (the call is idempotent).
      return { kind: 'retry', error: error.failure, afterMs: error.retryAfterMs };
    }
    log.warn(
      { failure: error.failure, status: error.status, requestId: error.requestId },
      'funding request refused',
    );
    await auditFundFailure(deps, request.milestoneId, actor, error);
    // A milestone already funded, cancelled or ended moved on by itself (a hire funds its first milestone at
    // once): nothing for the channel to do. Anything else needs a person.
    const movedOn = ['not-fundable', 'milestone-cancelled', 'contract-ended'].includes(error.failure);
    if (request.noticeChannelId !== null && requester.kind === 'system' && !movedOn) {
      const notice = autoFundFailedNotice(
        requester.name,
        request.milestoneId,
        fundingFailedReply(error, request.milestoneId),
      );
      await deps.store.enqueueEffects(
        [notifyEffect(`notice:${effect.key}`, null, { channelId: request.noticeChannelId }, notice)],
        deps.clock.now(),
      );
    }
    await reply(deps, effect, request, fundingFailedReply(error, request.milestoneId));
    return { kind: 'done' };
  }
  await reply(deps, effect, request, replyFor(outcome, request.milestoneId));
  return { kind: 'done' };
}

function replyFor(outcome: TrackOutcome, milestoneId: string): SlackMessage {
  if (outcome.kind === 'unrouted') return unroutedReply(milestoneId);
  const { approval, card } = outcome;
  if (!outcome.ours || approval.status !== 'pending') return alreadyPendingReply(approval);
  if (card?.kind !== 'failed') return fundedReply(approval);
  if (card.failure === 'not-in-channel' || card.failure === 'channel-not-found') {
    return cardBlockedReply(approval, card.failure);
  }
  return cardDelayedReply(approval);
}

/** Replies to a person who asked in Slack; requests from rules have nobody to reply to. */
async function reply(
  deps: JobDeps,
  effect: Effect,
  request: z.output<typeof FundPayload>,
  message: SlackMessage,
): Promise<void> {
  if (request.requester.kind !== 'slack') return;
  const target = {
    userId: request.requester.userId,
    responseUrl: request.responseUrl,
    requestedAt: request.requestedAt,
  };
  await deps.store.enqueueEffects(
    [notifyEffect(`reply:${effect.key}`, null, target, message)],
    deps.clock.now(),
  );
}
