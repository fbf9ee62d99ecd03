import type { Fault } from './faults.js';
import type { SimState } from './state.js';
import type {
  AccountSettings,
  ContractRecord,
  EventRecord,
  JobRecord,
  MilestoneRecord,
  Owner,
  ProposalRecord,
} from './types.js';
import { type ApprovalView, approvalView, type WebhookView, webhookView } from './views.js';

/** Everything the simulator holds, as plain copies: what the sandbox page shows and what tests assert on. */
export interface SimulatorSnapshot {
  account: AccountSettings;
  owner: Owner;
  jobs: JobRecord[];
  /** Raw records, including ended contracts. */
  contracts: ContractRecord[];
  /** Raw records, including the cancelled and refunded ones that contract views leave out. */
  milestones: MilestoneRecord[];
  proposals: ProposalRecord[];
  approvals: ApprovalView[];
  events: EventRecord[];
  /** With their secrets, which the API never shows again after create. */
  webhooks: Array<WebhookView & { secret: string; consecutiveFailures: number }>;
  faults: Fault[];
}

/**
 * Side-effect free: it does not apply lazy expiry, so a lapsed approval still shows `pending` here until
 * something reads it through the API (or sweepExpired() runs).
 */
export function buildSnapshot(state: SimState, faults: readonly Fault[]): SimulatorSnapshot {
  return structuredClone({
    account: state.account,
    owner: state.owner,
    jobs: [...state.jobs.values()],
    contracts: [...state.contracts.values()],
    milestones: [...state.milestones.values()],
    proposals: [...state.proposals.values()],
    approvals: [...state.approvals.values()].map((a) => approvalView(state, a)),
    events: state.events,
    webhooks: [...state.webhooks.values()].map((w) => ({
      ...webhookView(w),
      secret: w.secret,
      consecutiveFailures: w.consecutiveFailures,
    })),
    // A rewrite is code, which a snapshot (plain data) cannot hold: it is left out.
    faults: faults.map(({ rewrite: _rewrite, ...fault }) => fault),
  });
}
