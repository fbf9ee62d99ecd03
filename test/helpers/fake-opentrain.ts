import type { Clock } from '../../src/clock.js';
import type { Approval, TerminalStatus } from '../../src/domain/approval.js';
import type { ContractView } from '../../src/domain/context.js';
import type { FeedEvent } from '../../src/domain/feed.js';
import type { Refusal, UpstreamFailure } from '../../src/domain/funding.js';
import { OpenTrainError } from '../../src/opentrain/errors.js';
import { refusalOf } from '../../src/opentrain/refusal.js';
import type { FeedPage, OpenTrainPort } from '../../src/ports/opentrain.js';

/*
 * OpenTrain in memory: milestones that can be funded, the approvals funding creates, contracts, and the
 * `/updates` feed with cursor paging. Failures are queued per method and thrown as the real adapter throws
 * them (OpenTrainError), so `explain` is the real refusalOf.
 */

export const openTrainOrigin = 'https://app.opentrain.ai';

export type OpenTrainMethod =
  | 'fundMilestone'
  | 'getApproval'
  | 'listUpdates'
  | 'getContract'
  | 'listContracts';

export interface FakeMilestone {
  readonly id: string;
  readonly contractId: string;
  readonly jobId: string;
  /** NOT_FUNDED until an approval of it is confirmed. */
  status: string;
}

interface QueuedFailure {
  readonly error: Error;
  /** The call takes effect in OpenTrain before it fails (its answer is lost). */
  readonly landed: boolean;
  /** The call never answers at all (the process is cut off mid-call). */
  readonly hang: boolean;
}

type FeedEventInput = FeedEvent extends infer E
  ? E extends FeedEvent
    ? Omit<E, 'id' | 'at'>
    : never
  : never;

const statusOf: Partial<Record<UpstreamFailure, number>> = {
  unauthorized: 401,
  'missing-scope': 403,
  'feature-disabled': 403,
  'claim-required': 403,
  forbidden: 403,
  'not-found': 404,
  'not-fundable': 409,
  'payment-method-required': 409,
  'milestone-cancelled': 409,
  'contract-ended': 409,
  conflict: 409,
  'bad-request': 400,
  'rate-limited': 429,
  unavailable: 503,
};

/** An OpenTrain failure as the client would raise it for that answer. */
export function openTrainError(
  failure: UpstreamFailure,
  extra: { retryAfterMs?: number; details?: Record<string, unknown>; message?: string } = {},
): OpenTrainError {
  const status = statusOf[failure];
  return new OpenTrainError(failure, extra.message ?? `OpenTrain: ${failure}`, {
    ...(status === undefined ? {} : { status }),
    requestId: `req-${failure}`,
    details: extra.details ?? {},
    ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }),
  });
}

/** The refusal `explain` gives for that failure, for tests that compare what was stored or said. */
export function refusalFor(
  failure: UpstreamFailure,
  extra: Parameters<typeof openTrainError>[1] = {},
): Refusal {
  return refusalOf(openTrainError(failure, extra), openTrainOrigin);
}

export class FakeOpenTrain implements OpenTrainPort {
  /** Every call, in order, with its first argument. */
  readonly calls: { method: OpenTrainMethod; arg: string | null }[] = [];
  /** The most events one page holds, whatever the caller asks for (OpenTrain's own cap is 200). */
  pageSize = 200;
  /** How long a new approval stays pending (OpenTrain: about 72 h). */
  lifetimeMs = 72 * 3_600_000;
  private readonly approvals = new Map<string, Approval>();
  private readonly milestones = new Map<string, FakeMilestone>();
  private readonly contracts = new Map<string, ContractView>();
  private readonly jobs = new Set<string>();
  private readonly feed: FeedEvent[] = [];
  private readonly failures = new Map<OpenTrainMethod, (QueuedFailure | 'pass')[]>();
  private nextApproval = 1;
  private nextEvent = 1;
  private hangArrived: (() => void) | undefined;

  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  // --- arranging -------------------------------------------------------------------------------------------

  /** A milestone that can be funded, on a contract (shown by getContract) of a job. */
  addMilestone(
    id: string,
    where: { contractId?: string; jobId?: string; status?: string; amountUsd?: number; name?: string } = {},
  ): FakeMilestone {
    const milestone = {
      id,
      contractId: where.contractId ?? 'C-1',
      jobId: where.jobId ?? 'J-1',
      status: where.status ?? 'NOT_FUNDED',
    };
    this.milestones.set(id, milestone);
    this.jobs.add(milestone.jobId);
    const contract = this.contracts.get(milestone.contractId) ?? {
      id: milestone.contractId,
      status: 'active',
      title: `Contract ${milestone.contractId}`,
      jobId: milestone.jobId,
      freelancerName: 'Maria G.',
      milestones: [],
    };
    this.contracts.set(milestone.contractId, {
      ...contract,
      milestones: [
        ...contract.milestones,
        {
          id,
          name: where.name ?? `Milestone ${id}`,
          status: milestone.status,
          amountUsd: where.amountUsd ?? 1250,
          milestoneNumber: contract.milestones.length + 1,
        },
      ],
    });
    return milestone;
  }

  /** A job OpenTrain knows (listContracts answers for it), with no contract yet. */
  addJob(jobId: string): void {
    this.jobs.add(jobId);
  }

  /** An approval OpenTrain already holds (created by someone else, or earlier). */
  addApproval(approval: Approval): void {
    this.approvals.set(approval.id, approval);
  }

  /** A person decided (or the approval expired): OpenTrain records it and reports it on the feed. */
  decide(
    approvalId: string,
    status: TerminalStatus,
    options: { result?: Record<string, unknown>; eventStatus?: TerminalStatus | undefined } = {},
  ): Approval {
    const approval = this.approvals.get(approvalId);
    if (approval === undefined) throw new Error(`OpenTrain has no approval ${approvalId}`);
    const now = this.clock.now();
    const decided: Approval = {
      ...approval,
      status,
      reportedStatus: null,
      resolvedAt: now,
      result: status === 'confirmed' ? (options.result ?? { invoiceId: `INV-${approvalId}` }) : null,
    };
    this.approvals.set(approvalId, decided);
    const milestone = approval.milestoneId === null ? undefined : this.milestones.get(approval.milestoneId);
    if (milestone !== undefined && status === 'confirmed') milestone.status = 'ACTIVE_FUNDED';
    this.addEvent({
      kind: 'approval-ended',
      approvalId,
      status: 'eventStatus' in options ? options.eventStatus : status,
      reportedStatus: null,
    });
    return decided;
  }

  /** Appends an event to the feed, numbered after the last one and dated now. */
  addEvent(event: FeedEventInput): FeedEvent {
    const full = { ...event, id: String(this.nextEvent++), at: this.clock.now() } as FeedEvent;
    this.feed.push(full);
    return full;
  }

  /**
   * The next call of `method` fails with this failure (or error). `landed`: it takes effect first, as a call
   * whose answer was lost does. `times`: this many calls in a row fail. `after`: this many calls succeed first.
   */
  failNext(
    method: OpenTrainMethod,
    failure: UpstreamFailure | Error,
    options: { landed?: boolean; times?: number; retryAfterMs?: number; after?: number } = {},
  ): void {
    const error =
      typeof failure === 'string'
        ? openTrainError(
            failure,
            options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs },
          )
        : failure;
    const queue = this.failures.get(method) ?? [];
    for (let n = 0; n < (options.after ?? 0); n++) queue.push('pass');
    for (let n = 0; n < (options.times ?? 1); n++)
      queue.push({ error, landed: options.landed ?? false, hang: false });
    this.failures.set(method, queue);
  }

  /**
   * The next call of `method` takes effect (when `landed`) and then never answers, as when the process dies
   * mid-call. Resolves once that call has arrived.
   */
  hangNext(method: OpenTrainMethod, options: { landed: boolean }): Promise<void> {
    const queue = this.failures.get(method) ?? [];
    queue.push({ error: new Error('never answers'), landed: options.landed, hang: true });
    this.failures.set(method, queue);
    return new Promise((resolve) => {
      this.hangArrived = resolve;
    });
  }

  // --- reading back ------------------------------------------------------------------------------------------

  approval(id: string): Approval | undefined {
    return this.approvals.get(id);
  }

  /** Every approval OpenTrain holds for this milestone, oldest first. */
  approvalsOf(milestoneId: string): Approval[] {
    return [...this.approvals.values()].filter((approval) => approval.milestoneId === milestoneId);
  }

  callsOf(method: OpenTrainMethod): (string | null)[] {
    return this.calls.filter((call) => call.method === method).map((call) => call.arg);
  }

  // --- the port ----------------------------------------------------------------------------------------------

  async fundMilestone(milestoneId: string): Promise<Approval> {
    return this.call('fundMilestone', milestoneId, () => this.fund(milestoneId));
  }

  async getApproval(approvalId: string): Promise<Approval> {
    return this.call('getApproval', approvalId, () => {
      const approval = this.approvals.get(approvalId);
      if (approval === undefined) throw openTrainError('not-found');
      return this.read(approval);
    });
  }

  async listUpdates(cursor: string | null, limit: number): Promise<FeedPage> {
    return this.call('listUpdates', cursor, () => {
      const after = cursor === null ? 0 : Number(cursor);
      const rest = this.feed.filter((event) => Number(event.id) > after);
      const events = rest.slice(0, Math.min(limit, this.pageSize));
      return {
        events,
        nextCursor: events.at(-1)?.id ?? cursor,
        hasMore: rest.length > events.length,
      };
    });
  }

  async getContract(contractId: string): Promise<ContractView> {
    return this.call('getContract', contractId, () => {
      const contract = this.contracts.get(contractId);
      if (contract === undefined) throw openTrainError('not-found');
      return contract;
    });
  }

  async listContracts(jobId: string | null): Promise<ContractView[]> {
    return this.call('listContracts', jobId, () => {
      if (jobId === null || !this.jobs.has(jobId)) throw openTrainError('not-found');
      return [...this.contracts.values()].filter((contract) => contract.jobId === jobId);
    });
  }

  explain(error: unknown): Refusal | undefined {
    return error instanceof OpenTrainError ? refusalOf(error, openTrainOrigin) : undefined;
  }

  // --- inside ------------------------------------------------------------------------------------------------

  /**
   * Lazy expiry, as OpenTrain does it: a pending approval past its expiresAt becomes expired when something
   * reads it (and only then does the feed report it ended).
   */
  private read(approval: Approval): Approval {
    if (approval.status !== 'pending' || approval.expiresAt > this.clock.now()) return approval;
    const expired: Approval = { ...approval, status: 'expired', resolvedAt: approval.expiresAt };
    this.approvals.set(approval.id, expired);
    this.addEvent({
      kind: 'approval-ended',
      approvalId: approval.id,
      status: 'expired',
      reportedStatus: null,
    });
    return expired;
  }

  private async call<T>(method: OpenTrainMethod, arg: string | null, work: () => T): Promise<T> {
    this.calls.push({ method, arg });
    const failure = this.failures.get(method)?.shift();
    if (failure === undefined || failure === 'pass') return structuredClone(work());
    if (failure.landed) work();
    if (failure.hang) {
      this.hangArrived?.();
      return new Promise<T>(() => {});
    }
    throw failure.error;
  }

  /** POST /milestones/{id}/fund: the pending approval of the milestone, or a new one. */
  private fund(milestoneId: string): Approval {
    const milestone = this.milestones.get(milestoneId);
    if (milestone === undefined) throw openTrainError('not-found');
    const pending = this.approvalsOf(milestoneId)
      .map((approval) => this.read(approval))
      .find((approval) => approval.status === 'pending');
    if (pending !== undefined) return pending;
    if (milestone.status !== 'NOT_FUNDED') {
      throw openTrainError('not-fundable', {
        details: { reason: 'milestone_not_fundable', status: milestone.status },
      });
    }
    const now = this.clock.now();
    const id = `A-${this.nextApproval++}`;
    const approval: Approval = {
      id,
      type: 'milestone_fund',
      status: 'pending',
      reportedStatus: null,
      contractId: milestone.contractId,
      milestoneId,
      jobId: milestone.jobId,
      proposalId: null,
      approvalUrl: `${openTrainOrigin}/approvals/${id}`,
      expiresAt: new Date(now.getTime() + this.lifetimeMs),
      resolvedAt: null,
      result: null,
      createdAt: now,
    };
    this.approvals.set(id, approval);
    return approval;
  }
}
