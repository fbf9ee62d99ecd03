import { contextFromContract } from '../approvals/context.js';
import { chooseDestination, type Destination } from '../approvals/routing.js';
import type { Approval, ApprovalContext, Requester, TrackedApproval } from '../approvals/types.js';
import { OpenTrainError } from '../opentrain/errors.js';
import type { CardOutcome } from './card-sync.js';
import type { JobDeps } from './deps.js';

export interface TrackRequest {
  readonly requester: Requester;
  readonly note: string | null;
  /** Used when no route and no FUND_CHANNEL name a channel: where the command was typed, or what the caller asked. */
  readonly fallbackChannel?: { readonly id: string; readonly via: 'invoking-channel' | 'requested-channel' };
  /** Who caused this, for the audit log: 'slack:U123', 'upstream:<name>', 'rule:job:J-1'. */
  readonly actor: string;
  /** Set when re-running a request after a crash: a row tracked since then by the same requester is ours. */
  readonly startedAt?: Date;
}

export type TrackOutcome =
  | { readonly kind: 'unrouted' }
  /** `ours` is false when the approval was already tracked for someone else: no new card was posted. */
  | {
      readonly kind: 'tracked';
      readonly approval: TrackedApproval;
      readonly ours: boolean;
      readonly card: CardOutcome | null;
    };

export interface TrackHooks {
  syncCardNow(approvalId: string): Promise<CardOutcome>;
}

/** Routes the approval (contract route, job route, FUND_CHANNEL, then the fallback). */
export async function routeApproval(
  deps: JobDeps,
  approval: Pick<Approval, 'jobId' | 'contractId'>,
  fallbackChannel: TrackRequest['fallbackChannel'],
): Promise<Destination | undefined> {
  const [contractRoute, jobRoute] = await Promise.all([
    approval.contractId === null ? undefined : deps.store.findRoute('contract', approval.contractId),
    approval.jobId === null ? undefined : deps.store.findRoute('job', approval.jobId),
  ]);
  return chooseDestination({
    contractRoute,
    jobRoute,
    fundChannel: deps.settings.fundChannel,
    fallbackChannel,
  });
}

/**
 * Starts following an approval OpenTrain returned: routes it, writes the row before any Slack call, looks up
 * the card's context and posts the card. An approval already tracked is left alone (no second card).
 */
export async function trackAndPost(
  deps: JobDeps,
  remote: Approval,
  request: TrackRequest,
  hooks: TrackHooks,
): Promise<TrackOutcome> {
  const destination = await routeApproval(deps, remote, request.fallbackChannel);
  if (destination === undefined) {
    const existing = await deps.store.getApproval(remote.id);
    if (existing === undefined) return { kind: 'unrouted' };
    return { kind: 'tracked', approval: existing, ours: false, card: null };
  }
  // The card's context is looked up before the row is written, so the card's first version already shows
  // it (one post, no follow-up edit). A crash during the lookup loses nothing: the request is re-run.
  const known = await deps.store.getApproval(remote.id);
  const lookup: ContextLookup =
    known === undefined ? await lookupContext(deps, remote) : { kind: 'found', context: known.context };
  const trackedAt = deps.clock.now();
  const { approval, created } = await deps.store.trackApproval(
    {
      approval: remote,
      requester: request.requester,
      note: request.note,
      channelId: destination.channelId,
      approvers: destination.approvers,
      context: lookup.kind === 'found' ? lookup.context : null,
      contextRetryAt: lookup.kind === 'failed' && lookup.retry ? contextRetryAt(trackedAt, trackedAt) : null,
    },
    trackedAt,
    (isNew) => ({
      approvalId: remote.id,
      milestoneId: remote.milestoneId,
      actor: request.actor,
      action: isNew ? 'requested' : 're-requested',
      detail: { note: request.note, channel: destination.channelId, via: destination.via, type: remote.type },
    }),
  );
  const ours = created || isOwnRerun(approval, request);
  if (!ours) return { kind: 'tracked', approval, ours: false, card: null };
  const card = await hooks.syncCardNow(approval.id);
  return {
    kind: 'tracked',
    approval: (await deps.store.getApproval(approval.id)) ?? approval,
    ours: true,
    card,
  };
}

function isOwnRerun(approval: TrackedApproval, request: TrackRequest): boolean {
  if (request.startedAt === undefined || approval.trackedAt < request.startedAt) return false;
  const a = approval.requester;
  const b = request.requester;
  return a.kind === 'slack' && b.kind === 'slack' ? a.userId === b.userId : a.kind === b.kind;
}

export type ContextLookup =
  | { readonly kind: 'found'; readonly context: ApprovalContext | null }
  /** `retry`: worth another try later (OpenTrain was down, slow or refused for now). */
  | { readonly kind: 'failed'; readonly retry: boolean };

/**
 * Amount and names for the card. Best effort: a failed lookup never holds the card back; it is tried again
 * by the poller (retryContexts) and the card is edited when it succeeds.
 */
export async function lookupContext(
  deps: JobDeps,
  approval: Pick<Approval, 'id' | 'contractId' | 'milestoneId'>,
  attempts = 2,
): Promise<ContextLookup> {
  if (approval.contractId === null) return { kind: 'found', context: null };
  try {
    const contract = await deps.opentrain.getContract(approval.contractId, {
      // Bounded: the approval row (or the poll tick) waits for this lookup.
      timeoutMs: 3_000,
      retry: { attempts },
    });
    return { kind: 'found', context: contextFromContract(contract, approval.milestoneId) };
  } catch (error) {
    deps.log.warn(
      { approvalId: approval.id, err: error },
      'contract lookup failed; the card goes without it',
    );
    // A contract OpenTrain no longer shows us will not come back; anything else may.
    return { kind: 'failed', retry: !(error instanceof OpenTrainError && error.failure === 'not-found') };
  }
}

/** The next try of a failed lookup: a minute at first, then half the time since tracking, an hour at most. */
export function contextRetryAt(trackedAt: Date, now: Date): Date {
  const waitMs = Math.min(3_600_000, Math.max(60_000, (now.getTime() - trackedAt.getTime()) / 2));
  return new Date(now.getTime() + waitMs);
}

/** OpenTrain refused a funding request: who asked, why, and OpenTrain's request id for support. */
export async function auditFundFailure(
  deps: JobDeps,
  milestoneId: string,
  actor: string,
  error: OpenTrainError,
): Promise<void> {
  const detail = { failure: error.failure, status: error.status ?? null, requestId: error.requestId ?? null };
  await deps.store.appendAudit(
    [{ approvalId: null, milestoneId, actor, action: 'fund-failed', detail }],
    deps.clock.now(),
  );
}
