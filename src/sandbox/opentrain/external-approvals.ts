import { createApprovalRecord } from './approvals.js';
import { ExternalApprovalInput, parseInput } from './control-schemas.js';
import { notFound } from './errors.js';
import type { SimState } from './state.js';
import type { ApprovalRecord, MilestoneRecord } from './types.js';

// Approvals created outside the bot. Only the referenced records must exist: no gates, no state checks and no
// "same approval while pending" reuse, because another system may well create a second one.

function milestoneOrThrow(state: SimState, milestoneId: string): MilestoneRecord {
  const milestone = state.milestones.get(milestoneId);
  if (milestone === undefined) throw notFound('milestones', 'milestoneId', milestoneId);
  return milestone;
}

export function createExternalApproval(state: SimState, input: ExternalApprovalInput): ApprovalRecord {
  const parsed = parseInput(ExternalApprovalInput, input);
  const window = parsed.expiresAt === undefined ? {} : { expiresAt: parsed.expiresAt };
  switch (parsed.type) {
    case 'milestone_fund':
    case 'milestone_approve': {
      const milestone = milestoneOrThrow(state, parsed.milestoneId);
      const contract = state.contracts.get(milestone.contractId);
      return createApprovalRecord(state, {
        type: parsed.type,
        contractId: milestone.contractId,
        milestoneId: milestone.id,
        jobId: contract?.jobId ?? null,
        proposalId: null,
        ...window,
      });
    }
    case 'contract_end': {
      const contract = state.contracts.get(parsed.contractId);
      if (contract === undefined) throw notFound('contracts', 'contractId', parsed.contractId);
      return createApprovalRecord(state, {
        type: 'contract_end',
        contractId: contract.id,
        milestoneId: null,
        jobId: contract.jobId,
        proposalId: null,
        ...window,
      });
    }
    case 'proposal_hire': {
      const proposal = state.proposals.get(parsed.proposalId);
      if (proposal === undefined) throw notFound('proposals', 'proposalId', parsed.proposalId);
      const terms = parsed.milestone ?? { name: 'First milestone', amount: 100 };
      return createApprovalRecord(state, {
        type: 'proposal_hire',
        contractId: null,
        milestoneId: null,
        jobId: proposal.jobId,
        proposalId: proposal.id,
        terms: {
          name: terms.name ?? null,
          description: terms.description ?? null,
          amount: terms.amount,
          dueDate: terms.dueDate ?? null,
        },
        ...window,
      });
    }
  }
}
