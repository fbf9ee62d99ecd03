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

/**
 * The Slack workspace (team id, or enterprise id for an org-wide install) a row belongs to. Every stored row
 * carries one, so serving several workspaces from one deployment needs no change of shape.
 */
export type WorkspaceId = string;

export function isTerminal(status: ApprovalStatus): status is TerminalStatus {
  return status !== 'pending';
}

export function terminalStatusOf(value: unknown): TerminalStatus | undefined {
  const status = approvalStatuses.find((candidate) => candidate === value);
  return status === undefined || status === 'pending' ? undefined : status;
}

/**
 * A status word from OpenTrain, as Countersign tracks it. One of the four it knows is taken as it is; any
 * other word (a status a later OpenTrain may add, like `on_hold`) is tracked as pending, carrying the word,
 * so one new status never makes a whole read a bad response and the approval is still followed until a
 * known status arrives.
 */
export function readStatus(word: string): { status: ApprovalStatus; reportedStatus: string | null } {
  const status = approvalStatuses.find((candidate) => candidate === word);
  return status === undefined
    ? { status: 'pending', reportedStatus: word }
    : { status, reportedStatus: null };
}

/** An approval as OpenTrain describes it. */
export interface Approval {
  readonly id: string;
  readonly type: ApprovalType;
  readonly status: ApprovalStatus;
  /**
   * The word OpenTrain reported when it is none of the four Countersign knows: the approval is then tracked
   * as `pending` and shown as "OpenTrain reports status …". Null for a known status.
   */
  readonly reportedStatus: string | null;
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

/** 'slack:U123' or 'system:<name>': who caused something, for the audit log. */
export function actorOf(requester: Requester): string {
  return requester.kind === 'slack' ? `slack:${requester.userId}` : `system:${requester.name}`;
}

/** An approval Countersign follows, with where its card lives and which version of it the card shows. */
export interface TrackedApproval extends Approval {
  readonly workspaceId: WorkspaceId;
  readonly requester: Requester;
  readonly note: string | null;
  /** Where the card goes (routing already applied). */
  readonly channelId: string;
  /** Mentioned on the card and on the last reminder, from the route that chose the channel. */
  readonly approvers: readonly Approver[];
  readonly context: ApprovalContext | null;
  /** Bumped on every change the card shows; the card is in step when `card.version` equals it. */
  readonly version: number;
  readonly card: CardState;
  /** The smallest reminder offset already handled (sent or passed over); null before the first. */
  readonly reminderFloorMs: number | null;
  readonly trackedAt: Date;
  readonly updatedAt: Date;
}

/** Where the card is in Slack and what it shows. Delivering it is the `card` effect's job. */
export interface CardState {
  readonly version: number;
  readonly channelId: string | null;
  readonly ts: string | null;
  readonly permalink: string | null;
}

/** A change of status learned from OpenTrain, applied atomically with its audit entry and follow-up effects. */
export interface Transition {
  readonly approvalId: string;
  readonly status: TerminalStatus;
  readonly resolvedAt: Date | null;
  readonly result: Readonly<Record<string, unknown>> | null;
  /** How we learned it, for the audit log: 'opentrain:event:<id>', 'opentrain:read' or 'countersign:…'. */
  readonly source: string;
}

/** A transition from a fresh read of the approval, or undefined while it is still pending. */
export function transitionFromApproval(remote: Approval, source: string): Transition | undefined {
  if (remote.status === 'pending') return undefined;
  return {
    approvalId: remote.id,
    status: remote.status,
    resolvedAt: remote.resolvedAt ?? (remote.status === 'expired' ? remote.expiresAt : null),
    result: remote.status === 'confirmed' ? remote.result : null,
    source,
  };
}
