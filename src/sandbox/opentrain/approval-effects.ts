import { ApiError } from './errors.js';
import type { SimState } from './state.js';
import type { ApprovalRecord, ContractRecord, MilestoneRecord, MilestoneStatus } from './types.js';

// What a confirmed approval does to the account, and the `result` it reports (the docs' table in section 4).

function milestoneOf(state: SimState, a: ApprovalRecord): MilestoneRecord {
  const milestone = a.milestoneId === null ? undefined : state.milestones.get(a.milestoneId);
  if (milestone === undefined) throw new ApiError(500, `Approval ${a.id} points at no milestone.`);
  return milestone;
}

/** Moves a milestone and emits `milestone.status_changed`; a no-op when the status is unchanged. */
export function setMilestoneStatus(
  state: SimState,
  milestone: MilestoneRecord,
  status: MilestoneStatus,
): void {
  if (milestone.status === status) return;
  milestone.status = status;
  if (status === 'ACTIVE_FUNDED' && milestone.invoiceId === null) milestone.invoiceId = state.nextId('INV-');
  const contract = state.contracts.get(milestone.contractId);
  if (contract !== undefined) contract.updatedAt = state.nowIso();
  state.changed({ kind: 'milestone', id: milestone.id });
  state.emit('milestone.status_changed', milestone.id, contract?.jobId ?? null, {
    milestoneId: milestone.id,
    contractId: milestone.contractId,
    status,
  });
}

export function endContract(state: SimState, contract: ContractRecord): void {
  const now = state.nowIso();
  contract.status = 'ended';
  contract.endDate = now;
  contract.updatedAt = now;
  // The Public catalog has no contract-ended event, so ending is visible only through GET /contracts.
  state.changed({ kind: 'contract', id: contract.id });
}

function hire(state: SimState, a: ApprovalRecord): Record<string, unknown> {
  const proposal = a.proposalId === null ? undefined : state.proposals.get(a.proposalId);
  if (proposal === undefined || a.terms === null)
    throw new ApiError(500, `Approval ${a.id} has no proposal.`);
  const now = state.nowIso();
  const contract: ContractRecord = {
    id: state.nextId('C-'),
    status: 'active',
    title: `${state.jobs.get(proposal.jobId)?.title ?? 'Contract'} Contract`,
    jobId: proposal.jobId,
    proposalId: proposal.id,
    paymentType: 'FIXED_PRICE',
    rateUsd: a.terms.amount,
    estimatedVolume: null,
    startDate: now,
    endDate: null,
    createdAt: now,
    updatedAt: now,
    freelancer: { ...proposal.freelancer },
    jobDmConversationId: state.nextId('CONV-'),
    budget: { state: 'OK', fundedVolume: 0, consumedVolume: 0, lastUsageAt: null },
  };
  state.contracts.set(contract.id, contract);
  // The first milestone is created and funded in the same step, per the hire guide.
  const milestone: MilestoneRecord = {
    id: state.nextId('M-'),
    contractId: contract.id,
    name: a.terms.name ?? a.terms.description ?? 'Milestone 1',
    description: a.terms.description ?? '',
    status: 'NOT_FUNDED',
    amountUsd: a.terms.amount,
    volume: null,
    milestoneNumber: 1,
    dueDate: a.terms.dueDate,
    needsReview: false,
    invoiceId: null,
    createdAt: now,
  };
  state.milestones.set(milestone.id, milestone);
  proposal.status = 'HIRED';
  a.contractId = contract.id;
  a.milestoneId = milestone.id;
  state.changed({ kind: 'contract', id: contract.id });
  state.emit('contract.created', contract.id, contract.jobId, {
    contractId: contract.id,
    jobId: contract.jobId,
    proposalId: proposal.id,
  });
  // "Created" and "funded" are two changes, so two milestone.status_changed events.
  state.emit('milestone.status_changed', milestone.id, contract.jobId, {
    milestoneId: milestone.id,
    contractId: contract.id,
    status: 'NOT_FUNDED',
  });
  setMilestoneStatus(state, milestone, 'ACTIVE_FUNDED');
  state.emit('proposal.status_changed', proposal.id, proposal.jobId, {
    proposalId: proposal.id,
    status: 'HIRED',
  });
  return {
    hired: true,
    contractId: contract.id,
    jobId: contract.jobId,
    freelancerUserId: proposal.freelancer.userId,
  };
}

/** Runs a confirmed approval's action and returns its `result`. */
export function executeApproval(state: SimState, a: ApprovalRecord): Record<string, unknown> {
  switch (a.type) {
    case 'milestone_fund': {
      const milestone = milestoneOf(state, a);
      setMilestoneStatus(state, milestone, 'ACTIVE_FUNDED');
      return { invoiceId: milestone.invoiceId, paymentIntentId: state.nextId('PI-') };
    }
    case 'milestone_approve': {
      const milestone = milestoneOf(state, a);
      if (milestone.invoiceId === null) milestone.invoiceId = state.nextId('INV-');
      setMilestoneStatus(state, milestone, 'PAID');
      return { invoiceId: milestone.invoiceId, payoutTransactionId: state.nextId('PO-') };
    }
    case 'contract_end': {
      const contract = a.contractId === null ? undefined : state.contracts.get(a.contractId);
      if (contract === undefined) throw new ApiError(500, `Approval ${a.id} points at no contract.`);
      // What happens to still-funded milestones (refund?) is undocumented; they are left as they are.
      endContract(state, contract);
      return { contractEnded: true };
    }
    case 'proposal_hire':
      return hire(state, a);
  }
}
