import type { WorkspaceId } from './approval.js';

/** Someone to mention on a card: a person or a Slack user group. */
export type Approver =
  | { readonly kind: 'user'; readonly id: string }
  | { readonly kind: 'usergroup'; readonly id: string };

export type RouteScope = 'job' | 'contract';

/** Where approvals for one OpenTrain job (or one contract) go, and who is asked to act on them. */
export interface Route {
  readonly workspaceId: WorkspaceId;
  readonly scope: RouteScope;
  readonly targetId: string;
  /** The job's or contract's title when the route was set, for people reading `route list`. */
  readonly label: string | null;
  readonly channelId: string;
  readonly approvers: readonly Approver[];
  /** Request funding by itself when OpenTrain reports a new unfunded milestone on this job or contract. */
  readonly autoFund: boolean;
  readonly createdBy: string;
  readonly updatedAt: Date;
}

export interface Destination {
  readonly channelId: string;
  readonly approvers: readonly Approver[];
  /** What decided the channel, for the audit log. */
  readonly via: 'contract-route' | 'job-route' | 'FUND_CHANNEL' | 'invoking-channel' | 'requested-channel';
}

/**
 * A contract route wins over a job route, which wins over FUND_CHANNEL, which wins over the channel the
 * request came from. Undefined when nothing names a channel (an upstream request with no route).
 */
export function chooseDestination(input: {
  readonly contractRoute: Route | undefined;
  readonly jobRoute: Route | undefined;
  readonly fundChannel: string | undefined;
  readonly fallbackChannel:
    | { readonly id: string; readonly via: 'invoking-channel' | 'requested-channel' }
    | null
    | undefined;
}): Destination | undefined {
  if (input.contractRoute !== undefined) {
    return {
      channelId: input.contractRoute.channelId,
      approvers: input.contractRoute.approvers,
      via: 'contract-route',
    };
  }
  if (input.jobRoute !== undefined) {
    return { channelId: input.jobRoute.channelId, approvers: input.jobRoute.approvers, via: 'job-route' };
  }
  if (input.fundChannel !== undefined) {
    return { channelId: input.fundChannel, approvers: [], via: 'FUND_CHANNEL' };
  }
  if (input.fallbackChannel != null) {
    return { channelId: input.fallbackChannel.id, approvers: [], via: input.fallbackChannel.via };
  }
  return undefined;
}

/** The route an autofund rule or an approval falls under: the contract's, else the job's. */
export function routeFor(
  routes: readonly Route[],
  target: { readonly contractId: string | null; readonly jobId: string | null },
): Route | undefined {
  const byContract = routes.find(
    (route) => route.scope === 'contract' && route.targetId === target.contractId,
  );
  return byContract ?? routes.find((route) => route.scope === 'job' && route.targetId === target.jobId);
}
