import type { Contract } from '../opentrain/schema.js';
import type { ApprovalContext } from './types.js';

/** Picks the card's facts out of a contract view; the milestone may be missing (cancelled ones are left out). */
export function contextFromContract(contract: Contract, milestoneId: string | null): ApprovalContext {
  const milestone = contract.milestones?.find((candidate) => candidate.id === milestoneId);
  return {
    milestoneName: milestone?.name ?? null,
    milestoneNumber: milestone?.milestoneNumber ?? null,
    amountUsd: milestone?.amountUsd ?? null,
    contractTitle: contract.title ?? null,
    freelancerName: contract.freelancer?.displayName ?? null,
  };
}
