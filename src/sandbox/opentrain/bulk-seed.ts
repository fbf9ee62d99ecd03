import { z } from 'zod';
import { parseInput } from './control-schemas.js';
import type { SimState } from './state.js';
import type { ApprovalRecord, ContractRecord, MilestoneRecord } from './types.js';

// Many pending approvals at once, for benchmarks (`npm run bench` seeds 100,000 with `--full`).

const hourMs = 3_600_000;

/**
 * `seedApprovals` input. Expiries are spread evenly over (now + expiresFromMs, now + expiresToMs], so reminders,
 * countdowns and lapses come due at a steady rate afterwards; the defaults span one approval lifetime (72 h).
 */
export const SeedApprovalsInput = z
  .object({
    count: z.number().int().min(1).max(1_000_000),
    expiresFromMs: z.number().int().min(0).default(0),
    expiresToMs: z
      .number()
      .int()
      .positive()
      .default(72 * hourMs),
    /** Milestones per new contract: a contract read lists its milestones, so keep contracts small. */
    milestonesPerContract: z.number().int().min(1).max(1_000).default(100),
    amountUsd: z.number().nonnegative().default(100),
  })
  .refine((input) => input.expiresToMs > input.expiresFromMs, {
    error: 'expiresToMs must be greater than expiresFromMs',
    path: ['expiresToMs'],
  });
export type SeedApprovalsInput = z.input<typeof SeedApprovalsInput>;

/** What a seeded approval is, in the shape a benchmark needs to track it elsewhere (its store, its card). */
export interface SeededApproval {
  id: string;
  milestoneId: string;
  contractId: string;
  jobId: string;
  approvalUrl: string;
  /** ISO 8601, like every simulator timestamp. */
  expiresAt: string;
  createdAt: string;
  /** The milestone's name and number, and the contract's title and trainer, as a card would show them. */
  milestoneName: string;
  milestoneNumber: number;
  amountUsd: number;
  contractTitle: string;
  freelancerName: string;
}

/**
 * Adds `count` pending `milestone_fund` approvals, each on a new NOT_FUNDED milestone of a new fixed-price
 * contract (`milestonesPerContract` to a contract) under one new job, and returns them. Each approval was
 * created one lifetime before it expires (createdAt = expiresAt - ttl), as if a funding request had made it.
 * Like loadContract it emits no events: it models data that already existed, so a client following /updates
 * hears of these approvals only when they end (confirm, decline, expire, or a read after expiresAt).
 * Confirming one funds its milestone and issues an invoice, as for any other approval.
 */
export function seedApprovals(state: SimState, input: SeedApprovalsInput): SeededApproval[] {
  const parsed = parseInput(SeedApprovalsInput, input);
  const now = state.clock.now().getTime();
  const nowIso = new Date(now).toISOString();
  const jobId = state.nextId('J-');
  state.jobs.set(jobId, { id: jobId, title: 'Bench labeling job', status: 'ONGOING', createdAt: nowIso });
  const span = parsed.expiresToMs - parsed.expiresFromMs;
  const seeded: SeededApproval[] = [];
  let contract: ContractRecord | undefined;
  let number = 0;
  for (let i = 0; i < parsed.count; i++) {
    if (contract === undefined || number >= parsed.milestonesPerContract) {
      contract = newContract(state, jobId, nowIso);
      number = 0;
    }
    number += 1;
    const milestone: MilestoneRecord = {
      id: state.nextId('M-'),
      contractId: contract.id,
      name: `Batch ${number}`,
      description: '',
      status: 'NOT_FUNDED',
      amountUsd: parsed.amountUsd,
      volume: null,
      milestoneNumber: number,
      dueDate: null,
      needsReview: false,
      invoiceId: null,
      createdAt: nowIso,
    };
    state.milestones.set(milestone.id, milestone);
    const expiresAt = now + parsed.expiresFromMs + Math.round((span * (i + 1)) / parsed.count);
    const approval: ApprovalRecord = {
      id: state.nextId('A-'),
      type: 'milestone_fund',
      status: 'pending',
      contractId: contract.id,
      milestoneId: milestone.id,
      jobId,
      proposalId: null,
      expiresAt: new Date(expiresAt).toISOString(),
      resolvedAt: null,
      result: null,
      createdAt: new Date(expiresAt - state.approvalTtlMs).toISOString(),
      terms: null,
      reportedStatus: null,
    };
    state.approvals.set(approval.id, approval);
    seeded.push({
      id: approval.id,
      milestoneId: milestone.id,
      contractId: contract.id,
      jobId,
      approvalUrl: state.approvalUrl(approval.id),
      expiresAt: approval.expiresAt,
      createdAt: approval.createdAt,
      milestoneName: milestone.name,
      milestoneNumber: number,
      amountUsd: parsed.amountUsd,
      contractTitle: contract.title,
      freelancerName: contract.freelancer.displayName,
    });
  }
  // One change notice for the whole batch: a listener redrawing per approval would take minutes at 100,000.
  state.changed({ kind: 'approval' });
  return seeded;
}

function newContract(state: SimState, jobId: string, nowIso: string): ContractRecord {
  const id = state.nextId('C-');
  const contract: ContractRecord = {
    id,
    status: 'active',
    title: `Bench contract ${id}`,
    jobId,
    proposalId: null,
    paymentType: 'FIXED_PRICE',
    rateUsd: null,
    estimatedVolume: null,
    startDate: nowIso,
    endDate: null,
    createdAt: nowIso,
    updatedAt: nowIso,
    freelancer: { userId: 'F-BENCH', displayName: 'Bench Trainer', country: '', profilePath: '' },
    jobDmConversationId: null,
    budget: { state: 'OK', fundedVolume: 0, consumedVolume: 0, lastUsageAt: null },
  };
  state.contracts.set(id, contract);
  return contract;
}
