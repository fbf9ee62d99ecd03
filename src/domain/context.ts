import type { ApprovalContext } from './approval.js';

/** A milestone as OpenTrain's contract view lists it (refunded and cancelled ones are left out). */
export interface MilestoneView {
  readonly id: string;
  readonly name: string | null;
  /** NOT_FUNDED, ACTIVE_FUNDED, …; OpenTrain documents only some of its values. */
  readonly status: string | null;
  readonly amountUsd: number | null;
  readonly milestoneNumber: number | null;
}

/** The facts Countersign uses from `GET /contracts/{id}`. */
export interface ContractView {
  readonly id: string;
  /** active | ended */
  readonly status: string | null;
  readonly title: string | null;
  readonly jobId: string | null;
  readonly freelancerName: string | null;
  readonly milestones: readonly MilestoneView[];
}

/** Picks the card's facts out of a contract view; the milestone may be missing (cancelled ones are left out). */
export function contextFromContract(contract: ContractView, milestoneId: string | null): ApprovalContext {
  const milestone = contract.milestones.find((candidate) => candidate.id === milestoneId);
  return {
    milestoneName: milestone?.name ?? null,
    milestoneNumber: milestone?.milestoneNumber ?? null,
    amountUsd: milestone?.amountUsd ?? null,
    contractTitle: contract.title,
    freelancerName: contract.freelancerName,
  };
}

/** How a contract lookup for a card went. */
export type ContextLookup =
  | { readonly kind: 'found'; readonly context: ApprovalContext | null }
  /** `retry`: worth another try later (OpenTrain was down, slow or refused for now). */
  | { readonly kind: 'failed'; readonly retry: boolean };

/** The next try of a failed lookup: a minute at first, then half the time since tracking, an hour at most. */
export function contextRetryAt(trackedAt: Date, now: Date): Date {
  const waitMs = Math.min(3_600_000, Math.max(60_000, (now.getTime() - trackedAt.getTime()) / 2));
  return new Date(now.getTime() + waitMs);
}
