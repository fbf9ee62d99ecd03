import type { Approver } from './routing.js';

export const approvalStatuses = ['pending', 'confirmed', 'declined', 'expired'] as const;
export type ApprovalStatus = (typeof approvalStatuses)[number];
export type TerminalStatus = Exclude<ApprovalStatus, 'pending'>;

export const knownApprovalTypes = [
  'milestone_fund',
  'milestone_approve',
  'proposal_hire',
  'contract_end',
] as const;
/** OpenTrain may add types; unknown ones are tracked and worded generically. */
export type ApprovalType = (typeof knownApprovalTypes)[number] | (string & {});

export function isTerminal(status: ApprovalStatus): status is TerminalStatus {
  return status !== 'pending';
}

/** An approval as OpenTrain describes it. */
export interface Approval {
  readonly id: string;
  readonly type: ApprovalType;
  readonly status: ApprovalStatus;
  readonly contractId: string | null;
  readonly milestoneId: string | null;
  readonly jobId: string | null;
  readonly proposalId: string | null;
  readonly approvalUrl: string;
  readonly expiresAt: Date;
  readonly resolvedAt: Date | null;
  readonly result: Readonly<Record<string, unknown>> | null;
  readonly createdAt: Date;
}

/** What the card says about the money and the people, when OpenTrain's contract view gives it. */
export interface ApprovalContext {
  readonly milestoneName: string | null;
  readonly milestoneNumber: number | null;
  readonly amountUsd: number | null;
  readonly contractTitle: string | null;
  readonly freelancerName: string | null;
}

/** Who asked Countersign to track the approval. */
export type Requester =
  | { readonly kind: 'slack'; readonly userId: string; readonly teamId: string | null }
  | { readonly kind: 'system'; readonly name: string };

/** An approval Countersign follows, with where its card lives and how far its side effects have got. */
export interface TrackedApproval extends Approval {
  readonly requester: Requester;
  readonly note: string | null;
  /** Where the card goes (routing already applied). */
  readonly channelId: string;
  /** Mentioned on the card and on the last reminder, from the route that chose the channel. */
  readonly approvers: readonly Approver[];
  readonly context: ApprovalContext | null;
  /** Bumped on every change the card shows; the card is in sync when cardVersion equals it. */
  readonly version: number;
  readonly card: CardState;
  /** The smallest reminder offset already handled (sent or passed over); null before the first. */
  readonly reminderFloorMs: number | null;
  readonly trackedAt: Date;
  readonly updatedAt: Date;
}

export interface CardState {
  readonly version: number;
  readonly channelId: string | null;
  readonly ts: string | null;
  readonly permalink: string | null;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError: string | null;
}

/** A change of status learned from OpenTrain, applied atomically with its audit entry and follow-up effects. */
export interface Transition {
  readonly approvalId: string;
  readonly status: TerminalStatus;
  readonly resolvedAt: Date | null;
  readonly result: Readonly<Record<string, unknown>> | null;
  /** How we learned it, for the audit log: 'opentrain:event:<id>' or 'opentrain:read'. */
  readonly source: string;
}
