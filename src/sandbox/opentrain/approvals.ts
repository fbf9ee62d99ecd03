import { executeApproval } from './approval-effects.js';
import { ApiError, notFound } from './errors.js';
import type { SimState } from './state.js';
import type { ApprovalRecord, ApprovalStatus, ApprovalType, HireTerms } from './types.js';

export interface NewApproval {
  type: ApprovalType;
  contractId: string | null;
  milestoneId: string | null;
  jobId: string | null;
  proposalId: string | null;
  terms?: HireTerms | null;
  /** Overrides createdAt + ttl; for approvals "another system created" with a custom window. */
  expiresAt?: string;
}

export function createApprovalRecord(state: SimState, input: NewApproval): ApprovalRecord {
  const now = state.clock.now();
  const approval: ApprovalRecord = {
    id: state.nextId('A-'),
    type: input.type,
    status: 'pending',
    contractId: input.contractId,
    milestoneId: input.milestoneId,
    jobId: input.jobId,
    proposalId: input.proposalId,
    // The docs' example has expiresAt = createdAt + exactly 72 h while the prose says "~72 hours" (Gap 6); we use
    // the exact ttl so tests can aim at the boundary.
    expiresAt: input.expiresAt ?? new Date(now.getTime() + state.approvalTtlMs).toISOString(),
    resolvedAt: null,
    result: null,
    createdAt: now.toISOString(),
    terms: input.terms ?? null,
    reportedStatus: null,
  };
  state.approvals.set(approval.id, approval);
  state.changed({ kind: 'approval', id: approval.id });
  return approval;
}

function finish(
  state: SimState,
  a: ApprovalRecord,
  status: Exclude<ApprovalStatus, 'pending'>,
  resolvedAt: string,
): void {
  a.status = status;
  a.reportedStatus = null;
  a.resolvedAt = resolvedAt;
  state.changed({ kind: 'approval', id: a.id });
  // `approval.confirmed` fires on every terminal state despite its name; data carries the real status.
  state.emit('approval.confirmed', a.id, a.jobId, { approvalId: a.id, status });
}

/**
 * Lazy expiry (Gap 6). There is no background sweep: a pending approval whose expiresAt has passed flips to
 * `expired` only when something reads it - GET /approvals/{id}, a re-request of the same action (fund, approve,
 * end, hire), a contract read that shows the milestone's pendingApproval, the approval page, or a control. The
 * `approval.confirmed` {status:'expired'} event is emitted at that moment (event createdAt = the read), so a
 * bot that only polls /updates never learns of an expiry nobody read. resolvedAt is set to expiresAt, the
 * instant the approval actually lapsed, not the read time. At exactly expiresAt it counts as lapsed.
 */
export function refreshApproval(state: SimState, a: ApprovalRecord): ApprovalRecord {
  if (hasLapsed(state, a)) finish(state, a, 'expired', a.expiresAt);
  return a;
}

function hasLapsed(state: SimState, a: ApprovalRecord): boolean {
  return a.status === 'pending' && state.clock.now().getTime() >= Date.parse(a.expiresAt);
}

/** Lazily expires every matching approval; sweepExpired() uses it with "all" to offer an opt-in sweep. */
export function refreshApprovals(state: SimState, match: (a: ApprovalRecord) => boolean): number {
  let flipped = 0;
  for (const a of state.approvals.values()) {
    if (!hasLapsed(state, a) || !match(a)) continue;
    finish(state, a, 'expired', a.expiresAt);
    flipped += 1;
  }
  return flipped;
}

/** The live pending approval for an action, after lazily expiring lapsed ones (they must not be reused). */
export function findPendingApproval(
  state: SimState,
  match: (a: ApprovalRecord) => boolean,
): ApprovalRecord | undefined {
  refreshApprovals(state, match);
  let latest: ApprovalRecord | undefined;
  for (const a of state.approvals.values()) {
    if (a.status === 'pending' && match(a)) latest = a;
  }
  return latest;
}

export function getApproval(state: SimState, approvalId: string): ApprovalRecord {
  const approval = state.approvals.get(approvalId);
  if (approval === undefined) throw notFound('approvals', 'approvalId', approvalId);
  return refreshApproval(state, approval);
}

function requirePending(state: SimState, approvalId: string, verb: string): ApprovalRecord {
  const approval = getApproval(state, approvalId);
  if (approval.status !== 'pending') {
    throw new ApiError(
      409,
      `Approval ${approval.id} is already ${approval.status}; only a pending approval can be ${verb}.`,
      {
        reason: 'approval_not_pending',
        status: approval.status,
      },
    );
  }
  return approval;
}

/** The human confirmed in the app: run the action, then resolve. */
export function confirmApproval(state: SimState, approvalId: string): ApprovalRecord {
  const approval = requirePending(state, approvalId, 'confirmed');
  approval.result = executeApproval(state, approval);
  finish(state, approval, 'confirmed', state.nowIso());
  return approval;
}

export function declineApproval(state: SimState, approvalId: string): ApprovalRecord {
  const approval = requirePending(state, approvalId, 'declined');
  approval.result = null;
  finish(state, approval, 'declined', state.nowIso());
  return approval;
}

/**
 * Forces expiry now. expiresAt is pulled back to now when it lies in the future, so an expired approval never
 * shows an expiry still ahead of it.
 */
export function expireApproval(state: SimState, approvalId: string): ApprovalRecord {
  const approval = requirePending(state, approvalId, 'expired');
  const now = state.nowIso();
  if (Date.parse(approval.expiresAt) > Date.parse(now)) approval.expiresAt = now;
  finish(state, approval, 'expired', now);
  return approval;
}

/** Statuses the docs name; `reportStatus` takes any other word (or `pending`, to go back to the real one). */
const documentedStatuses: readonly string[] = ['pending', 'confirmed', 'declined', 'expired'];

/**
 * Makes a still-pending approval report a status outside the documented four (say `on_hold`), as a later
 * OpenTrain might; `pending` stops it. With `event`, an `approval.confirmed` event carries the word too, as the
 * feed would if OpenTrain counted it as an end. The approval stays pending underneath: confirm, decline and
 * expiry still work and clear the word.
 */
export function reportApprovalStatus(
  state: SimState,
  approvalId: string,
  status: string,
  options: { event?: boolean } = {},
): ApprovalRecord {
  const approval = requirePending(state, approvalId, 'given another status');
  if (status !== 'pending' && documentedStatuses.includes(status)) {
    throw new ApiError(
      400,
      `Use confirm, decline or expire for ${status}; reportStatus is for statuses outside the documented four.`,
      { field: 'status' },
    );
  }
  approval.reportedStatus = status === 'pending' ? null : status;
  state.changed({ kind: 'approval', id: approval.id });
  if (options.event === true && approval.reportedStatus !== null) {
    state.emit('approval.confirmed', approval.id, approval.jobId, {
      approvalId: approval.id,
      status: approval.reportedStatus,
    });
  }
  return approval;
}

/** Hire supersession (Gap 7): there is no cancelled status, so the replaced request is marked expired. */
export function supersedeApproval(state: SimState, approval: ApprovalRecord): void {
  if (approval.status === 'pending') finish(state, approval, 'expired', state.nowIso());
}
