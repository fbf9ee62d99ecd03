import type { TerminalStatus } from './approval.js';

/**
 * One event of OpenTrain's `/updates` ledger, as the domain reads it. The OpenTrain adapter parses the wire
 * records into this union, so the rules below never probe loosely typed payloads.
 */
export type FeedEvent = ApprovalEndedEvent | MilestoneStatusEvent | BudgetStateEvent | OtherEvent;

interface EventBase {
  /** Numeric string, increasing: the feed's own order. */
  readonly id: string;
  readonly at: Date;
}

/** `approval.confirmed`: despite its name, any terminal state (confirmed, declined or expired). */
export interface ApprovalEndedEvent extends EventBase {
  readonly kind: 'approval-ended';
  readonly approvalId: string;
  /** Undefined when the event carries a status Countersign cannot trust on its own: read the approval. */
  readonly status: TerminalStatus | undefined;
  /**
   * The status word the event carries when it is none of the four Countersign knows (`on_hold`): the
   * approval is read, and this word stands only when the read cannot be had.
   */
  readonly reportedStatus: string | null;
}

/** `milestone.status_changed`: created, funded, paid or cancelled. */
export interface MilestoneStatusEvent extends EventBase {
  readonly kind: 'milestone-status';
  readonly milestoneId: string;
  readonly contractId: string | null;
  readonly jobId: string | null;
  /** NOT_FUNDED, ACTIVE_FUNDED, …; null when the event does not say. */
  readonly status: string | null;
}

export type BudgetState = 'OK' | 'LOW' | 'DEPLETED';

/** `contract.budget_state_changed`: a contract's budget moved between OK, LOW and DEPLETED. */
export interface BudgetStateEvent extends EventBase {
  readonly kind: 'budget-state';
  readonly contractId: string;
  readonly previousState: BudgetState | null;
  readonly state: BudgetState;
  readonly paymentType: string | null;
  readonly fundedVolume: number | null;
  readonly consumedVolume: number | null;
  readonly remainingVolume: number | null;
  readonly consumedFraction: number | null;
}

/** Anything Countersign does not act on (proposals, messages, …), kept so the cursor can pass it. */
export interface OtherEvent extends EventBase {
  readonly kind: 'other';
  readonly type: string;
}

/** A milestone OpenTrain reports as newly unfunded: what an autofund rule acts on. */
export interface UnfundedMilestone {
  readonly eventId: string;
  readonly at: Date;
  readonly milestoneId: string;
  readonly contractId: string | null;
  readonly jobId: string | null;
}

/**
 * The milestones a page leaves NOT_FUNDED, minus those a later event in the same page already moved on (a
 * hire creates a milestone and funds it at once).
 */
export function unfundedMilestones(events: readonly FeedEvent[]): UnfundedMilestone[] {
  const latest = new Map<string, MilestoneStatusEvent>();
  for (const event of events) {
    if (event.kind === 'milestone-status') latest.set(event.milestoneId, event);
  }
  const found: UnfundedMilestone[] = [];
  for (const event of latest.values()) {
    if (event.status !== 'NOT_FUNDED') continue;
    found.push({
      eventId: event.id,
      at: event.at,
      milestoneId: event.milestoneId,
      contractId: event.contractId,
      jobId: event.jobId,
    });
  }
  return found;
}
