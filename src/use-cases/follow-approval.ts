import type { Clock } from '../clock.js';
import type { Approval, Requester, TrackedApproval, WorkspaceId } from '../domain/approval.js';
import { type ContextLookup, contextFromContract, contextRetryAt } from '../domain/context.js';
import { cardEffect, homesEffect, priorities } from '../domain/effects.js';
import type { FallbackChannel } from '../domain/funding.js';
import { chooseDestination, type Destination } from '../domain/routing.js';
import type { Logger } from '../logger.js';
import type { OpenTrainPort } from '../ports/opentrain.js';
import type { ApprovalsPort, RoutesPort } from '../ports/store.js';

export interface FollowDeps {
  readonly approvals: Pick<ApprovalsPort, 'track' | 'get' | 'reportStatus'>;
  readonly routes: Pick<RoutesPort, 'findFor'>;
  readonly opentrain: Pick<OpenTrainPort, 'getContract' | 'explain'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly settings: { readonly fundChannel: string | undefined };
}

export interface FollowRequest {
  readonly workspaceId: WorkspaceId;
  readonly requester: Requester;
  readonly note: string | null;
  /** Who caused this, for the audit log: 'slack:U123', 'upstream:<name>', 'system:autofund rule …'. */
  readonly actor: string;
  readonly fallbackChannel: FallbackChannel | null;
}

export type FollowOutcome =
  /** Nothing says where its card goes, and nobody tracks it yet. */
  | { readonly kind: 'unrouted' }
  /** `created` is false when the approval was tracked already (for someone else, or by an earlier run). */
  | { readonly kind: 'tracked'; readonly approval: TrackedApproval; readonly created: boolean };

/** Routes the approval: contract route, job route, FUND_CHANNEL, then the fallback. */
export async function routeApproval(
  deps: Pick<FollowDeps, 'routes' | 'settings'>,
  workspaceId: WorkspaceId,
  approval: Pick<Approval, 'jobId' | 'contractId'>,
  fallbackChannel: FallbackChannel | null,
): Promise<Destination | undefined> {
  const routes = await deps.routes.findFor(workspaceId, [approval]);
  const find = (scope: 'contract' | 'job', id: string | null) =>
    id === null ? undefined : routes.find((route) => route.scope === scope && route.targetId === id);
  return chooseDestination({
    contractRoute: find('contract', approval.contractId),
    jobRoute: find('job', approval.jobId),
    fundChannel: deps.settings.fundChannel,
    fallbackChannel,
  });
}

/**
 * Starts following an approval OpenTrain returned: routes it, looks up the card's context and writes the row
 * with its card effect, before any Slack call. An approval already tracked is left alone (no second card).
 */
export async function followApproval(
  deps: FollowDeps,
  remote: Approval,
  request: FollowRequest,
): Promise<FollowOutcome> {
  const destination = await routeApproval(deps, request.workspaceId, remote, request.fallbackChannel);
  const known = await deps.approvals.get(remote.id);
  if (destination === undefined) {
    if (known === undefined) return { kind: 'unrouted' };
    return { kind: 'tracked', ...(await reportedAnew(deps, { approval: known, created: false }, remote)) };
  }
  // The context is looked up before the row is written, so the card's first version already shows it (one
  // post, no follow-up edit). A crash during the lookup loses nothing: the request is carried out again.
  const lookup: ContextLookup =
    known === undefined ? await lookupContext(deps, remote) : { kind: 'found', context: known.context };
  const trackedAt = deps.clock.now();
  const tracked = await deps.approvals.track(
    {
      workspaceId: request.workspaceId,
      approval: remote,
      requester: request.requester,
      note: request.note,
      channelId: destination.channelId,
      approvers: destination.approvers,
      context: lookup.kind === 'found' ? lookup.context : null,
      contextRetryAt: lookup.kind === 'failed' && lookup.retry ? contextRetryAt(trackedAt, trackedAt) : null,
    },
    trackedAt,
    (created) => ({
      approvalId: remote.id,
      milestoneId: remote.milestoneId,
      actor: request.actor,
      action: created ? 'requested' : 're-requested',
      detail: {
        note: request.note,
        channel: destination.channelId,
        via: destination.via,
        type: remote.type,
      },
    }),
    (created) => (created ? [cardEffect(request.workspaceId, remote.id, priorities.change)] : []),
  );
  return { kind: 'tracked', ...(await reportedAnew(deps, tracked, remote)) };
}

/**
 * An approval tracked already, which OpenTrain now answers with a status word Countersign does not know (or
 * no longer): its card and Home tabs show what OpenTrain says, and it is still followed as pending.
 */
async function reportedAnew(
  deps: FollowDeps,
  tracked: { approval: TrackedApproval; created: boolean },
  remote: Approval,
): Promise<{ approval: TrackedApproval; created: boolean }> {
  const { approval } = tracked;
  if (tracked.created || approval.status !== 'pending' || remote.status !== 'pending') return tracked;
  if (approval.reportedStatus === remote.reportedStatus) return tracked;
  const effects = [
    cardEffect(approval.workspaceId, approval.id, priorities.change),
    homesEffect(approval.workspaceId, approval.id),
  ];
  const now = deps.clock.now();
  if (
    !(await deps.approvals.reportStatus(approval.id, remote.reportedStatus, 'opentrain:answer', now, effects))
  )
    return tracked;
  return { approval: (await deps.approvals.get(approval.id)) ?? approval, created: false };
}

/**
 * Amount and names for the card. Best effort and bounded: a failed lookup never holds the card back; the
 * poller tries it again later and the card is edited when it succeeds.
 */
export async function lookupContext(
  deps: Pick<FollowDeps, 'opentrain' | 'log'>,
  approval: Pick<Approval, 'id' | 'contractId' | 'milestoneId'>,
  attempts = 2,
): Promise<ContextLookup> {
  if (approval.contractId === null) return { kind: 'found', context: null };
  try {
    const contract = await deps.opentrain.getContract(approval.contractId, { timeoutMs: 3_000, attempts });
    return { kind: 'found', context: contextFromContract(contract, approval.milestoneId) };
  } catch (error) {
    const refusal = deps.opentrain.explain(error);
    deps.log.warn(
      { approvalId: approval.id, err: error },
      'contract lookup failed; the card goes without it',
    );
    // A contract OpenTrain no longer shows us will not come back; anything else may.
    return { kind: 'failed', retry: refusal?.failure !== 'not-found' };
  }
}
