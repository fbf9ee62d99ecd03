import { endContract } from './approval-effects.js';
import { createApprovalRecord, findPendingApproval, supersedeApproval } from './approvals.js';
import { conflict, notFound } from './errors.js';
import type { SimState } from './state.js';
import type { ApprovalRecord, ContractRecord, HireTerms, MilestoneRecord } from './types.js';

// The co-signed actions after the account gates (scope, feature, claim) have passed: state checks in the
// documented order, then "idempotent while pending", then a new approval.

/** Where a human adds a card; the docs name the field (billingUrl) but not its value (Gap 1). */
export const billingPath = '/settings/billing';

export interface ApprovalRequestOutcome {
  approval: ApprovalRecord;
  created: boolean;
}

function requireMilestone(
  state: SimState,
  milestoneId: string,
): { milestone: MilestoneRecord; contract: ContractRecord } {
  const milestone = state.milestones.get(milestoneId);
  const contract = milestone === undefined ? undefined : state.contracts.get(milestone.contractId);
  if (milestone === undefined || contract === undefined)
    throw notFound('milestones', 'milestoneId', milestoneId);
  if (milestone.status === 'CANCELLED') {
    throw conflict('milestone_cancelled', `Milestone ${milestone.id} has been cancelled.`);
  }
  if (contract.status === 'ended') {
    throw conflict('contract_ended', `Contract ${contract.id} has ended.`, { contractId: contract.id });
  }
  return { milestone, contract };
}

function requirePaymentMethod(state: SimState): void {
  if (!state.account.paymentMethod) {
    throw conflict(
      'payment_method_required',
      'No payment method on file. A human must add a card in the OpenTrain app.',
      { billingUrl: state.appUrl(billingPath) },
    );
  }
}

function reuseOrCreate(
  state: SimState,
  match: (a: ApprovalRecord) => boolean,
  create: () => ApprovalRecord,
): ApprovalRequestOutcome {
  const pending = findPendingApproval(state, match);
  if (pending !== undefined) return { approval: pending, created: false };
  return { approval: create(), created: true };
}

export function requestFunding(state: SimState, milestoneId: string): ApprovalRequestOutcome {
  const { milestone, contract } = requireMilestone(state, milestoneId);
  if (milestone.status !== 'NOT_FUNDED') {
    throw conflict(
      'milestone_not_fundable',
      `Milestone ${milestone.id} is ${milestone.status}, not NOT_FUNDED.`,
      {
        status: milestone.status,
      },
    );
  }
  requirePaymentMethod(state);
  return reuseOrCreate(
    state,
    (a) => a.type === 'milestone_fund' && a.milestoneId === milestone.id,
    () =>
      createApprovalRecord(state, {
        type: 'milestone_fund',
        contractId: contract.id,
        milestoneId: milestone.id,
        jobId: contract.jobId,
        proposalId: null,
      }),
  );
}

/** The approve 409 catalog is known only as far as milestone_not_funded (Gap 1); it also carries status. */
export function requestRelease(state: SimState, milestoneId: string): ApprovalRequestOutcome {
  const { milestone, contract } = requireMilestone(state, milestoneId);
  if (milestone.status !== 'ACTIVE_FUNDED') {
    throw conflict(
      'milestone_not_funded',
      `Milestone ${milestone.id} is ${milestone.status}, not ACTIVE_FUNDED.`,
      {
        status: milestone.status,
      },
    );
  }
  return reuseOrCreate(
    state,
    (a) => a.type === 'milestone_approve' && a.milestoneId === milestone.id,
    () =>
      createApprovalRecord(state, {
        type: 'milestone_approve',
        contractId: contract.id,
        milestoneId: milestone.id,
        jobId: contract.jobId,
        proposalId: null,
      }),
  );
}

export type ContractEndOutcome = ApprovalRequestOutcome | { ended: ContractRecord };

export function requestContractEnd(state: SimState, contractId: string): ContractEndOutcome {
  const contract = state.contracts.get(contractId);
  if (contract === undefined) throw notFound('contracts', 'contractId', contractId);
  if (contract.status === 'ended') {
    throw conflict('contract_ended', `Contract ${contract.id} has already ended.`, {
      contractId: contract.id,
    });
  }
  const pending = findPendingApproval(
    state,
    (a) => a.type === 'contract_end' && a.contractId === contract.id,
  );
  if (pending !== undefined) return { approval: pending, created: false };
  const funded = [...state.milestones.values()].some(
    (m) => m.contractId === contract.id && m.status === 'ACTIVE_FUNDED',
  );
  if (!funded) {
    endContract(state, contract);
    return { ended: contract };
  }
  const approval = createApprovalRecord(state, {
    type: 'contract_end',
    contractId: contract.id,
    milestoneId: null,
    jobId: contract.jobId,
    proposalId: null,
  });
  return { approval, created: true };
}

function sameTerms(a: HireTerms, b: HireTerms): boolean {
  return (
    a.name === b.name && a.description === b.description && a.amount === b.amount && a.dueDate === b.dueDate
  );
}

/** Same terms return the same approval; different terms supersede it, so one live hire request per proposal. */
export function requestHire(state: SimState, proposalId: string, terms: HireTerms): ApprovalRequestOutcome {
  const proposal = state.proposals.get(proposalId);
  if (proposal === undefined) throw notFound('proposals', 'proposalId', proposalId);
  if (proposal.status === 'HIRED') {
    // Undocumented reason name; a hired proposal cannot be hired again.
    throw conflict('proposal_already_hired', `Proposal ${proposal.id} has already been hired.`);
  }
  requirePaymentMethod(state);
  const pending = findPendingApproval(
    state,
    (a) => a.type === 'proposal_hire' && a.proposalId === proposal.id,
  );
  if (pending?.terms != null && sameTerms(pending.terms, terms)) return { approval: pending, created: false };
  if (pending !== undefined) supersedeApproval(state, pending);
  const approval = createApprovalRecord(state, {
    type: 'proposal_hire',
    contractId: null,
    milestoneId: null,
    jobId: proposal.jobId,
    proposalId: proposal.id,
    terms,
  });
  return { approval, created: true };
}
