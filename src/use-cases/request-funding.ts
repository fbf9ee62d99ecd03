import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { EffectContext } from '../delivery/runner.js';
import type { Approval } from '../domain/approval.js';
import { afterLostAnswer, documentedApprovalLifetimeMs } from '../domain/ask-again.js';
import {
  type EffectKey,
  fundEffect,
  noticeEffect,
  progressReplyEffect,
  type Reply,
  replyOutcomeEffect,
} from '../domain/effects.js';
import {
  type FundingRequest,
  type FundOutcome,
  isTransientFailure,
  movedOn,
  type Refusal,
} from '../domain/funding.js';
import type { OpenTrainPort } from '../ports/opentrain.js';
import type { ApprovalsPort, AuditPort, ClaimedEffect, CursorPort, OutboxPort } from '../ports/store.js';
import type { EffectResult } from './effect-result.js';
import { type FollowDeps, followApproval } from './follow-approval.js';
import { findOwnApproval } from './recover-funding.js';

/*
 * One request path for every funding request, whoever asks (a slash command, an upstream system, an autofund
 * rule): it is recorded on the queue first (requestFunding), then carried out by the queue (carryOutFunding):
 * ask OpenTrain, track the approval with its card, and tell whoever asked.
 */

export interface FundingDeps extends FollowDeps {
  readonly approvals: Pick<
    ApprovalsPort,
    'track' | 'get' | 'reportStatus' | 'shortestLifetimeMs' | 'findPendingOf'
  >;
  readonly outbox: Pick<OutboxPort, 'enqueue' | 'find'>;
  readonly audit: Pick<AuditPort, 'append'>;
  readonly cursors: Pick<CursorPort, 'get'>;
  readonly opentrain: OpenTrainPort;
  readonly clock: Clock;
}

/** How long a person waits for the outcome before the reply shows "Asking OpenTrain…" first. */
export const defaultProgressReplyAfterMs = 2_000;

/**
 * Records the request durably and returns at once; the queue calls OpenTrain. True when it is new. A person
 * who asked gets one reply: the outcome, or, when it is not ready within `progressReplyAfterMs` of the
 * request, a progress line first that the outcome then replaces (both under the request's reply key).
 */
export async function requestFunding(
  deps: {
    readonly outbox: Pick<OutboxPort, 'enqueue'>;
    readonly clock: Clock;
    readonly settings?: { readonly progressReplyAfterMs?: number };
  },
  key: EffectKey,
  request: FundingRequest,
): Promise<boolean> {
  const effects = [fundEffect(key, request)];
  const to = request.replyTo;
  if (to !== null) {
    const afterMs = deps.settings?.progressReplyAfterMs ?? defaultProgressReplyAfterMs;
    const notBefore = new Date(to.requestedAt.getTime() + afterMs);
    effects.push(progressReplyEffect(key, request.workspaceId, to, request.milestoneId, notBefore));
  }
  return (await deps.outbox.enqueue(effects, deps.clock.now())) > 0;
}

/**
 * What a funding request recorded of its own progress, so a later attempt (after a crash) learns what
 * happened to it before asking again: OpenTrain may have recorded an approval whose answer never arrived.
 */
const FundProgress = z
  .union([
    z.object({ phase: z.literal('asking'), since: z.iso.datetime(), cursor: z.string().nullable() }),
    z.object({ phase: z.literal('asked'), approvalId: z.string() }),
  ])
  .nullable()
  .catch(null);

/** How many of the latest approvals tell how long OpenTrain keeps one pending. */
const lifetimeSample = 50;

/** How often an autofund rule retries an OpenTrain outage (with backoff, about an hour) before giving up. */
const maxRuleAttempts = 10;

/** The fund effect. Safe to run again at any point: it never creates a new approval after its first one ended. */
export async function carryOutFunding(
  deps: FundingDeps,
  claimed: ClaimedEffect<'fund'>,
  context: EffectContext,
): Promise<EffectResult> {
  const { request } = claimed.effect;
  const progress = FundProgress.parse(claimed.progress);
  let remote: Approval | 'unconfirmed';
  try {
    remote = await obtainApproval(deps, request, progress, context);
  } catch (error) {
    const refusal = deps.opentrain.explain(error);
    if (refusal === undefined) {
      // Our own failure (the store, a bug): the person still deserves an answer, then the effect fails.
      await tell(deps, claimed, { kind: 'internal-error', milestoneId: request.milestoneId });
      throw error;
    }
    if (
      isTransientFailure(refusal.failure) &&
      request.via === 'autofund' &&
      claimed.attempts < maxRuleAttempts
    ) {
      // Nobody waits on a reply, so it simply tries again later (the call is idempotent while pending).
      const retryAfterMs = refusal.retryAfterMs ?? undefined;
      return {
        kind: 'retry',
        reason: 'upstream',
        error: refusal.failure,
        uncertain: false,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    }
    await refused(deps, claimed, refusal);
    return { kind: 'done', result: { kind: 'refused', refusal } satisfies FundOutcome };
  }
  if (remote === 'unconfirmed') {
    await unconfirmed(deps, claimed, progress?.phase === 'asking' ? progress.since : null);
    return { kind: 'done', result: { kind: 'unconfirmed' } satisfies FundOutcome };
  }
  const followed = await followApproval(deps, remote, request);
  if (followed.kind === 'unrouted') {
    await deps.audit.append(
      [
        {
          approvalId: remote.id,
          milestoneId: remote.milestoneId,
          actor: request.actor,
          action: 'unrouted',
          detail: { jobId: remote.jobId, contractId: remote.contractId },
        },
      ],
      deps.clock.now(),
    );
    await tell(deps, claimed, { kind: 'unrouted', milestoneId: request.milestoneId });
    const outcome: FundOutcome = { kind: 'unrouted', approvalId: remote.id, approvalUrl: remote.approvalUrl };
    return { kind: 'done', result: outcome };
  }
  // Ours: this request tracked it, now or in an attempt before a crash. A second request from anyone for the
  // same pending approval is pointed at the card already there.
  const ours = followed.created || (progress?.phase === 'asked' && progress.approvalId === remote.id);
  const approvalId = followed.approval.id;
  await tell(
    deps,
    claimed,
    ours
      ? { kind: 'funding-requested', approvalId, cardProblem: null }
      : { kind: 'already-pending', approvalId },
  );
  return {
    kind: 'done',
    result: { kind: 'tracked', approvalId, ours, cardProblem: null } satisfies FundOutcome,
  };
}

/**
 * The approval this request stands for: the one it recorded before a crash, one it may have created without
 * hearing back (looked up, never asked for anew once ended), or a fresh answer from OpenTrain. 'unconfirmed'
 * when the lost call may have created one that has lapsed unseen since: asking again could make a second.
 */
async function obtainApproval(
  deps: FundingDeps,
  request: FundingRequest,
  progress: z.output<typeof FundProgress>,
  context: EffectContext,
): Promise<Approval | 'unconfirmed'> {
  if (progress?.phase === 'asked') {
    return (
      (await deps.approvals.get(progress.approvalId)) ??
      (await deps.opentrain.getApproval(progress.approvalId))
    );
  }
  if (progress?.phase === 'asking') {
    const own = await findOwnApproval(deps, request.milestoneId, new Date(progress.since), progress.cursor);
    if (own !== undefined) {
      await context.checkpoint({ phase: 'asked', approvalId: own.id });
      return own;
    }
    const lifetimeMs =
      (await deps.approvals.shortestLifetimeMs(request.workspaceId, lifetimeSample)) ??
      documentedApprovalLifetimeMs;
    const tracked = await deps.approvals.findPendingOf(request.workspaceId, request.milestoneId);
    const next = afterLostAnswer({
      askingSince: new Date(progress.since),
      now: deps.clock.now(),
      lifetimeMs,
      trackedPendingUntil: tracked?.expiresAt,
    });
    if (next === 'unconfirmed') return 'unconfirmed';
    if (next === 'take-tracked' && tracked !== undefined) return tracked;
  } else {
    const cursor = await deps.cursors.get(request.workspaceId, 'opentrain-updates');
    await context.checkpoint({ phase: 'asking', since: deps.clock.now().toISOString(), cursor });
  }
  const remote = await deps.opentrain.fundMilestone(request.milestoneId);
  await context.checkpoint({ phase: 'asked', approvalId: remote.id });
  return remote;
}

/** OpenTrain refused: audited with why; the rule's channel is told when a person must act; the requester too. */
async function refused(deps: FundingDeps, claimed: ClaimedEffect<'fund'>, refusal: Refusal): Promise<void> {
  const { request } = claimed.effect;
  const detail = {
    failure: refusal.failure,
    status: refusal.status,
    requestId: refusal.requestId,
    milestoneStatus: refusal.milestoneStatus,
  };
  await deps.audit.append(
    [
      {
        approvalId: null,
        milestoneId: request.milestoneId,
        actor: request.actor,
        action: 'fund-failed',
        detail,
      },
    ],
    deps.clock.now(),
  );
  deps.log.warn(
    { milestoneId: request.milestoneId, failure: refusal.failure, status: refusal.status },
    'funding request refused',
  );
  // A milestone already funded, cancelled or ended moved on by itself (a hire funds its first milestone at
  // once): nothing for the channel to do. Anything else needs a person.
  if (request.noticeChannelId !== null && request.requester.kind === 'system' && !movedOn(refusal.failure)) {
    const notice = {
      kind: 'autofund-refused',
      ruleName: request.requester.name,
      milestoneId: request.milestoneId,
      refusal,
    } as const;
    await deps.outbox.enqueue(
      [noticeEffect(claimed.key, request.workspaceId, request.noticeChannelId, notice)],
      deps.clock.now(),
    );
  }
  await tell(deps, claimed, { kind: 'refused', milestoneId: request.milestoneId, refusal });
}

/**
 * Nothing was asked again: audited, logged, and told to whoever asked (the rule's channel for an autofund rule),
 * so a person checks the milestone and asks anew if it still needs funding.
 */
async function unconfirmed(
  deps: FundingDeps,
  claimed: ClaimedEffect<'fund'>,
  askingSince: string | null,
): Promise<void> {
  const { request } = claimed.effect;
  const at = deps.clock.now();
  await deps.audit.append(
    [
      {
        approvalId: null,
        milestoneId: request.milestoneId,
        actor: request.actor,
        action: 'fund-unconfirmed',
        detail: { askingSince },
      },
    ],
    at,
  );
  deps.log.warn(
    { milestoneId: request.milestoneId, askingSince },
    'funding request cut off while asking, retried too late to ask again; the requester is told to check',
  );
  if (request.noticeChannelId !== null && request.requester.kind === 'system') {
    const notice = {
      kind: 'autofund-unconfirmed',
      ruleName: request.requester.name,
      milestoneId: request.milestoneId,
    } as const;
    await deps.outbox.enqueue(
      [noticeEffect(claimed.key, request.workspaceId, request.noticeChannelId, notice)],
      at,
    );
  }
  await tell(deps, claimed, { kind: 'unconfirmed', milestoneId: request.milestoneId });
}

/**
 * Replies to a person who asked in Slack; rules and upstream systems have nobody to reply to. The outcome
 * takes the place of the request's progress line (sent or not); an outcome queued already (by an attempt
 * before a crash) stands, so a re-run never sends it twice.
 */
async function tell(deps: FundingDeps, claimed: ClaimedEffect<'fund'>, reply: Reply): Promise<void> {
  const { request } = claimed.effect;
  if (request.replyTo === null) return;
  const outcome = replyOutcomeEffect(claimed.key, request.workspaceId, request.replyTo, reply);
  const queued = await deps.outbox.find(outcome.key);
  if (queued?.effect.kind === 'reply' && queued.effect.reply.kind !== 'working') return;
  await deps.outbox.enqueue([outcome], deps.clock.now());
}
