import { z } from 'zod';
import { contextFromContract } from '../../approvals/context.js';
import type { TrackedApproval } from '../../approvals/types.js';
import { OpenTrainError } from '../../opentrain/errors.js';
import type { SlackMessage } from '../../slack/gateway.js';
import {
  alreadyPendingReply,
  cardBlockedReply,
  cardDelayedReply,
  fundedReply,
  fundingFailedReply,
} from '../../slack/messages/replies.js';
import type { Effect, NewEffect } from '../../store/store.js';
import type { CardOutcome } from '../card-sync.js';
import type { EffectResult, JobDeps } from '../deps.js';
import type { NotifyPayload } from './notify.js';

const FundPayload = z.object({
  milestoneId: z.string(),
  note: z.string().nullable(),
  requester: z.object({ userId: z.string(), teamId: z.string().nullable() }),
  originChannelId: z.string(),
  responseUrl: z.string().nullable(),
  requestedAt: z.iso.datetime(),
});
type FundPayload = z.infer<typeof FundPayload>;

export interface FundHooks {
  /** Posts the card right away rather than on the next worker pass, so the reply can link to it. */
  syncCardNow(approvalId: string): Promise<CardOutcome>;
}

/**
 * Asks OpenTrain to fund the milestone, tracks the approval before touching Slack, posts the card and tells
 * the requester how it went. Safe to run again after a crash at any point: the fund call is idempotent while
 * the approval is pending, tracking is an insert-if-absent, and the reply is keyed to this request.
 */
export async function fundMilestone(deps: JobDeps, effect: Effect, hooks: FundHooks): Promise<EffectResult> {
  const request = FundPayload.parse(effect.payload);
  const actor = `slack:${request.requester.userId}`;
  const log = deps.log.child({ milestoneId: request.milestoneId, requester: request.requester.userId });

  let remote: Awaited<ReturnType<typeof deps.opentrain.fundMilestone>>;
  try {
    remote = await deps.opentrain.fundMilestone(request.milestoneId);
  } catch (error) {
    if (!(error instanceof OpenTrainError)) throw error;
    log.warn(
      { failure: error.failure, status: error.status, requestId: error.requestId },
      'funding request refused',
    );
    await deps.store.appendAudit(
      [
        {
          approvalId: null,
          milestoneId: request.milestoneId,
          actor,
          action: 'fund-failed',
          detail: {
            failure: error.failure,
            status: error.status ?? null,
            requestId: error.requestId ?? null,
          },
        },
      ],
      deps.clock.now(),
    );
    await reply(deps, effect, request, fundingFailedReply(error, request.milestoneId));
    return { kind: 'done' };
  }

  const { approval, created } = await deps.store.trackApproval(
    {
      approval: remote,
      requester: { kind: 'slack', userId: request.requester.userId, teamId: request.requester.teamId },
      note: request.note,
      channelId: deps.settings.fundChannel ?? request.originChannelId,
    },
    deps.clock.now(),
    (isNew) => ({
      approvalId: remote.id,
      milestoneId: remote.milestoneId,
      actor,
      action: isNew ? 'requested' : 're-requested',
      detail: { note: request.note, channel: request.originChannelId },
    }),
  );

  // A rerun after a crash finds the row it wrote itself; carry on as if it had just been created.
  const ours =
    created ||
    (approval.requester.kind === 'slack' &&
      approval.requester.userId === request.requester.userId &&
      approval.trackedAt >= effect.createdAt);
  if (!ours || approval.status !== 'pending') {
    await reply(deps, effect, request, alreadyPendingReply(approval));
    return { kind: 'done' };
  }

  if (approval.context === null) await loadContext(deps, approval);
  const outcome = await hooks.syncCardNow(approval.id);
  const latest = (await deps.store.getApproval(approval.id)) ?? approval;
  await reply(deps, effect, request, replyFor(latest, outcome));
  return { kind: 'done' };
}

function replyFor(approval: TrackedApproval, outcome: CardOutcome): SlackMessage {
  if (outcome.kind !== 'failed') return fundedReply(approval);
  if (outcome.failure === 'not-in-channel' || outcome.failure === 'channel-not-found') {
    return cardBlockedReply(approval, outcome.failure);
  }
  return cardDelayedReply(approval);
}

/** Amount and names for the card. Best effort: a failed lookup never holds the card back. */
async function loadContext(deps: JobDeps, approval: TrackedApproval): Promise<void> {
  if (approval.contractId === null) return;
  try {
    const contract = await deps.opentrain.getContract(approval.contractId, {
      timeoutMs: 4_000,
      retry: { attempts: 2 },
    });
    await deps.store.setContext(
      approval.id,
      contextFromContract(contract, approval.milestoneId),
      deps.clock.now(),
    );
  } catch (error) {
    deps.log.warn(
      { approvalId: approval.id, err: error },
      'contract lookup failed; posting the card without it',
    );
  }
}

async function reply(
  deps: JobDeps,
  effect: Effect,
  request: FundPayload,
  message: SlackMessage,
): Promise<void> {
  const payload: NotifyPayload = {
    userId: request.requester.userId,
    responseUrl: request.responseUrl,
    requestedAt: request.requestedAt,
    message: { text: message.text, blocks: message.blocks === undefined ? undefined : [...message.blocks] },
  };
  const notice: NewEffect = { key: `reply:${effect.key}`, kind: 'notify', approvalId: null, payload };
  await deps.store.enqueueEffects([notice], deps.clock.now());
}
