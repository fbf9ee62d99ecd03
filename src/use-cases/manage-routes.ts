import type { Clock } from '../clock.js';
import type { WorkspaceId } from '../domain/approval.js';
import { type Reply, replyEffect } from '../domain/effects.js';
import type { ReplyTarget } from '../domain/funding.js';
import type { Approver, RouteScope } from '../domain/routing.js';
import type { OpenTrainPort } from '../ports/opentrain.js';
import type { AuditPort, OutboxPort, RoutesPort } from '../ports/store.js';

export interface RouteDeps {
  readonly routes: Pick<RoutesPort, 'save' | 'remove'>;
  readonly audit: Pick<AuditPort, 'append'>;
  readonly outbox: Pick<OutboxPort, 'enqueue'>;
  readonly opentrain: Pick<OpenTrainPort, 'getContract' | 'listContracts' | 'explain'>;
  readonly clock: Clock;
  readonly isAdmin: (userId: string) => boolean;
}

/** A job or contract id; `scope` is known when written as job:<id> or contract:<id>, else OpenTrain is asked. */
export interface RouteTarget {
  readonly scope: RouteScope | undefined;
  readonly id: string;
}

export type RouteChange =
  | { readonly kind: 'list' }
  | { readonly kind: 'remove'; readonly target: RouteTarget }
  | {
      readonly kind: 'set';
      readonly target: RouteTarget;
      readonly channelId: string;
      readonly approvers: readonly Approver[];
      readonly autoFund: boolean;
    };

export interface RouteRequest {
  readonly workspaceId: WorkspaceId;
  readonly userId: string;
  readonly replyTo: ReplyTarget;
  /** Unique per command, for the reply's key. */
  readonly requestKey: string;
}

/** `route list|set|remove`: admins decide where approvals go; anyone may list. Answers by a queued reply. */
export async function manageRoutes(
  deps: RouteDeps,
  change: RouteChange,
  request: RouteRequest,
): Promise<void> {
  const reply = await decide(deps, change, request);
  await deps.outbox.enqueue(
    [replyEffect(request.requestKey, request.workspaceId, request.replyTo, reply)],
    deps.clock.now(),
  );
}

async function decide(deps: RouteDeps, change: RouteChange, request: RouteRequest): Promise<Reply> {
  if (change.kind === 'list') return { kind: 'routes' };
  const actor = `slack:${request.userId}`;
  const now = deps.clock.now();
  if (!deps.isAdmin(request.userId)) {
    await deps.audit.append(
      [{ approvalId: null, milestoneId: null, actor, action: 'route-change-refused' }],
      now,
    );
    return { kind: 'not-admin' };
  }
  if (change.kind === 'remove') {
    const audit = {
      approvalId: null,
      milestoneId: null,
      actor,
      action: 'route-removed',
      detail: { target: change.target.id },
    };
    const removed = await deps.routes.remove(request.workspaceId, change.target, now, audit);
    return {
      kind: 'route-removed',
      targetId: change.target.id,
      removed:
        removed === undefined
          ? null
          : { scope: removed.scope, targetId: removed.targetId, channelId: removed.channelId },
    };
  }
  const resolved = await resolveTarget(deps, change.target);
  if (resolved.kind === 'unknown')
    return { kind: 'route-unknown', targetId: change.target.id, why: resolved.why };
  const detail = {
    scope: resolved.scope,
    target: change.target.id,
    channel: change.channelId,
    approvers: change.approvers,
    autoFund: change.autoFund,
  };
  await deps.routes.save(
    {
      workspaceId: request.workspaceId,
      scope: resolved.scope,
      targetId: change.target.id,
      label: resolved.label,
      channelId: change.channelId,
      approvers: change.approvers,
      autoFund: change.autoFund,
      createdBy: request.userId,
    },
    now,
    { approvalId: null, milestoneId: null, actor, action: 'route-set', detail },
  );
  return { kind: 'route-saved', scope: resolved.scope, targetId: change.target.id };
}

type Resolved =
  | { kind: 'ok'; scope: RouteScope; label: string | null }
  | { kind: 'unknown'; why: 'not-found' | 'unreachable' };

/** Asks OpenTrain whether the id is a contract or a job (there is no way to tell from the id alone). */
async function resolveTarget(deps: RouteDeps, target: RouteTarget): Promise<Resolved> {
  const options = { timeoutMs: 4_000, attempts: 2 };
  const notFound = (error: unknown) => deps.opentrain.explain(error)?.failure === 'not-found';
  try {
    if (target.scope !== 'job') {
      try {
        const contract = await deps.opentrain.getContract(target.id, options);
        return { kind: 'ok', scope: 'contract', label: contract.title };
      } catch (error) {
        if (!notFound(error) || target.scope === 'contract') throw error;
      }
    }
    const contracts = await deps.opentrain.listContracts(target.id, options);
    return {
      kind: 'ok',
      scope: 'job',
      label: contracts.length === 0 ? null : `${contracts.length} contract(s)`,
    };
  } catch (error) {
    // The admin said what it is; OpenTrain being unreachable should not stand in the way.
    if (target.scope !== undefined && !notFound(error))
      return { kind: 'ok', scope: target.scope, label: null };
    if (deps.opentrain.explain(error) === undefined) throw error;
    return { kind: 'unknown', why: notFound(error) ? 'not-found' : 'unreachable' };
  }
}
