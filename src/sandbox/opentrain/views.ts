import type { SimState } from './state.js';
import type {
  ApprovalRecord,
  ApprovalType,
  ContractRecord,
  ContractStatus,
  EventType,
  Freelancer,
  MilestoneRecord,
  MilestoneStatus,
  PaymentType,
  ReportedApprovalStatus,
  WebhookRecord,
} from './types.js';

export interface ApprovalView {
  id: string;
  type: ApprovalType;
  /** One of the documented four, unless the `reportStatus` control set another word. */
  status: ReportedApprovalStatus;
  contractId: string | null;
  milestoneId: string | null;
  jobId: string | null;
  proposalId: string | null;
  approvalUrl: string;
  expiresAt: string;
  resolvedAt: string | null;
  result: Record<string, unknown> | null;
  createdAt: string;
}

export interface MilestoneView {
  id: string;
  name: string;
  description: string;
  status: MilestoneStatus;
  amountUsd: number | null;
  volume: number | null;
  milestoneNumber: number;
  dueDate: string | null;
  pendingApproval: boolean;
  needsReview: boolean;
  invoiceId: string | null;
  createdAt: string;
}

export interface ContractView {
  id: string;
  status: ContractStatus;
  title: string;
  jobId: string;
  proposalId: string | null;
  paymentType: PaymentType;
  rateUsd: number | null;
  estimatedTotalUsd: number;
  estimatedVolume: number | null;
  hasActiveMilestone: boolean;
  startDate: string;
  endDate: string | null;
  createdAt: string;
  updatedAt: string;
  freelancer: Freelancer;
  milestones: MilestoneView[];
  /** Only on GET /contracts/{id}. */
  jobDmConversationId?: string | null;
  /** Only on GET /contracts/{id}. */
  budget?: Record<string, unknown>;
}

export interface WebhookView {
  id: string;
  url: string;
  eventTypes: EventType[];
  status: 'ACTIVE' | 'DISABLED';
  createdAt: string;
  disabledAt: string | null;
  disabledReason: string | null;
}

// Response shapes, field for field as the docs print them. Views never mutate state: lazy expiry happens
// before a view is built (see approvals.ts), so building a view is always side-effect free.

export function approvalView(state: SimState, a: ApprovalRecord): ApprovalView {
  return {
    id: a.id,
    type: a.type,
    status: a.reportedStatus ?? a.status,
    contractId: a.contractId,
    milestoneId: a.milestoneId,
    jobId: a.jobId,
    proposalId: a.proposalId,
    approvalUrl: state.approvalUrl(a.id),
    expiresAt: a.expiresAt,
    resolvedAt: a.resolvedAt,
    result: a.result,
    createdAt: a.createdAt,
  };
}

/** Refunded and cancelled milestones are left out of contract views, as the docs say. */
function visibleMilestones(state: SimState, contractId: string): MilestoneRecord[] {
  const list: MilestoneRecord[] = [];
  for (const m of state.milestones.values()) {
    if (m.contractId === contractId && m.status !== 'CANCELLED' && m.status !== 'REFUNDED') list.push(m);
  }
  return list.sort((a, b) => a.milestoneNumber - b.milestoneNumber);
}

function hasPendingApproval(state: SimState, milestoneId: string): boolean {
  for (const a of state.approvals.values()) {
    if (a.milestoneId === milestoneId && a.status === 'pending') return true;
  }
  return false;
}

export function milestoneView(state: SimState, m: MilestoneRecord): MilestoneView {
  return {
    id: m.id,
    name: m.name,
    description: m.description,
    status: m.status,
    amountUsd: m.amountUsd,
    volume: m.volume,
    milestoneNumber: m.milestoneNumber,
    dueDate: m.dueDate,
    // The docs hint pendingApproval may mean "trainer submitted work"; here it means "a co-sign approval
    // (fund or release) is waiting on a human", which is what the bot needs to see.
    pendingApproval: hasPendingApproval(state, m.id),
    needsReview: m.needsReview,
    invoiceId: m.invoiceId,
    createdAt: m.createdAt,
  };
}

/** The volumes and state the budget shows and `contract.budget_state_changed` carries. */
export function budgetFigures(c: ContractRecord): {
  state: ContractRecord['budget']['state'];
  fundedVolume: number;
  consumedVolume: number;
  remainingVolume: number;
  consumedFraction: number;
} {
  const { state, fundedVolume, consumedVolume } = c.budget;
  return {
    state,
    fundedVolume,
    consumedVolume,
    remainingVolume: Math.max(0, fundedVolume - consumedVolume),
    consumedFraction: fundedVolume > 0 ? Math.round((consumedVolume / fundedVolume) * 10_000) / 10_000 : 0,
  };
}

function budgetView(c: ContractRecord, milestones: MilestoneRecord[]): Record<string, unknown> {
  const active = milestones.find((m) => m.status === 'ACTIVE_FUNDED');
  let fundedAmountUsd = 0;
  for (const m of milestones) {
    if (m.status === 'ACTIVE_FUNDED' || m.status === 'PAID') fundedAmountUsd += m.amountUsd ?? 0;
  }
  const figures = budgetFigures(c);
  // Usage moves only through the recordUsage control: hours for PAY_PER_HOUR, labels for PAY_PER_LABEL.
  const hourly = c.paymentType === 'PAY_PER_HOUR';
  const perLabel = c.paymentType === 'PAY_PER_LABEL';
  return {
    contractId: c.id,
    paymentType: c.paymentType,
    state: figures.state,
    fundedVolume: figures.fundedVolume,
    fundedAmountUsd,
    consumed: {
      seconds: hourly ? figures.consumedVolume * 3_600 : 0,
      hours: hourly ? figures.consumedVolume : 0,
      labels: perLabel ? figures.consumedVolume : 0,
      tasks: 0,
    },
    consumedVolume: figures.consumedVolume,
    remainingVolume: figures.remainingVolume,
    consumedFraction: figures.consumedFraction,
    activeMilestone:
      active === undefined
        ? null
        : {
            id: active.id,
            name: active.name,
            amountUsd: active.amountUsd,
            volume: active.volume,
            status: active.status,
          },
    lastUsageAt: c.budget.lastUsageAt,
  };
}

/** A list entry; `detail` adds jobDmConversationId and budget as GET /contracts/{id} does. */
export function contractView(state: SimState, c: ContractRecord, detail: boolean): ContractView {
  const milestones = visibleMilestones(state, c.id);
  let estimatedTotalUsd = 0;
  for (const m of milestones) estimatedTotalUsd += m.amountUsd ?? 0;
  const view: ContractView = {
    id: c.id,
    status: c.status,
    title: c.title,
    jobId: c.jobId,
    proposalId: c.proposalId,
    paymentType: c.paymentType,
    rateUsd: c.rateUsd,
    estimatedTotalUsd,
    estimatedVolume: c.estimatedVolume,
    hasActiveMilestone: milestones.some((m) => m.status === 'ACTIVE_FUNDED'),
    startDate: c.startDate,
    endDate: c.endDate,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    freelancer: { ...c.freelancer },
    milestones: milestones.map((m) => milestoneView(state, m)),
  };
  if (detail) {
    view.jobDmConversationId = c.jobDmConversationId;
    view.budget = budgetView(c, milestones);
  }
  return view;
}

export function webhookView(w: WebhookRecord): WebhookView {
  return {
    id: w.id,
    url: w.url,
    eventTypes: [...w.eventTypes],
    status: w.status,
    createdAt: w.createdAt,
    disabledAt: w.disabledAt,
    disabledReason: w.disabledReason,
  };
}
