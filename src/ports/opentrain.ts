import type { Approval } from '../domain/approval.js';
import type { ContractView } from '../domain/context.js';
import type { FeedEvent } from '../domain/feed.js';
import type { Refusal } from '../domain/funding.js';

export interface CallOptions {
  readonly timeoutMs?: number;
  /** Total tries, the first included; transient failures only. */
  readonly attempts?: number;
}

export interface FeedPage {
  readonly events: readonly FeedEvent[];
  readonly nextCursor: string | null;
  readonly hasMore: boolean;
}

/** The part of OpenTrain's Public API the use cases need. Answers are parsed and checked at the boundary. */
export interface OpenTrainPort {
  /** POST /milestones/{id}/fund. Idempotent while the approval is pending: OpenTrain returns the same one. */
  fundMilestone(milestoneId: string, options?: CallOptions): Promise<Approval>;
  /** GET /approvals/{id}; an answer about another approval is a bad response. */
  getApproval(approvalId: string, options?: CallOptions): Promise<Approval>;
  listUpdates(cursor: string | null, limit: number, options?: CallOptions): Promise<FeedPage>;
  getContract(contractId: string, options?: CallOptions): Promise<ContractView>;
  /** GET /contracts?jobId=: answers 404 when the job does not exist, which is how a job id is recognised. */
  listContracts(jobId: string | null, options?: CallOptions): Promise<ContractView[]>;
  /**
   * What a failed call means, for a person: undefined when `error` is not an OpenTrain failure at all (our
   * own bug), so use cases never depend on the adapter's error classes.
   */
  explain(error: unknown): Refusal | undefined;
}
