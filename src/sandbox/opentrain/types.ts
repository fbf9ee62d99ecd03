/** Records the simulator keeps in memory. API responses are built from them in views.ts. */

export const approvalTypes = [
  'milestone_fund',
  'milestone_approve',
  'contract_end',
  'proposal_hire',
] as const;
export type ApprovalType = (typeof approvalTypes)[number];

export const approvalStatuses = ['pending', 'confirmed', 'declined', 'expired'] as const;
export type ApprovalStatus = (typeof approvalStatuses)[number];
/**
 * What an approval reports: one of the four documented statuses, or (through the `reportStatus` control) any
 * other word, so a client's handling of a status OpenTrain adds later can be tried.
 */
export type ReportedApprovalStatus = ApprovalStatus | (string & {});

/**
 * The docs only print NOT_FUNDED and ACTIVE_FUNDED verbatim (Gap 11). PAID, CANCELLED and REFUNDED are our
 * upper-case guesses for the states the help centre and the `milestone.status_changed` prose describe.
 */
export const milestoneStatuses = ['NOT_FUNDED', 'ACTIVE_FUNDED', 'PAID', 'CANCELLED', 'REFUNDED'] as const;
export type MilestoneStatus = (typeof milestoneStatuses)[number];

export const contractStatuses = ['active', 'ended'] as const;
export type ContractStatus = (typeof contractStatuses)[number];

export const paymentTypes = ['FIXED_PRICE', 'PAY_PER_HOUR', 'PAY_PER_LABEL'] as const;
export type PaymentType = (typeof paymentTypes)[number];

/** Budget state of a contract: OK below 80 % consumed, LOW from 80 %, DEPLETED from 100 %. */
export const budgetStates = ['OK', 'LOW', 'DEPLETED'] as const;
export type BudgetState = (typeof budgetStates)[number];

export const jobStatuses = ['DRAFT', 'OPEN', 'ONGOING', 'COMPLETED', 'ARCHIVED', 'PENDING_APPROVAL'] as const;
export type JobStatus = (typeof jobStatuses)[number];

/** The 8-event catalog shared by /updates and webhooks, with the read scope each type needs. */
export const eventScopes = {
  'proposal.received': 'proposals:read',
  'proposal.status_changed': 'proposals:read',
  'message.received': 'messages:read',
  'contract.created': 'payments:read',
  'milestone.status_changed': 'payments:read',
  'payment.pending': 'payments:read',
  'approval.confirmed': 'payments:read',
  'contract.budget_state_changed': 'payments:read',
} as const;
export type EventType = keyof typeof eventScopes;
export const eventTypes = Object.keys(eventScopes) as EventType[];

export interface AccountFeatures {
  /** `public_api_payments_write`: fund, approve, end contract. */
  paymentsWrite: boolean;
  /** `public_api_webhooks`: every /webhooks endpoint. */
  webhooks: boolean;
  /** `public_api_hiring`: POST /proposals/{id}/hire. */
  hiring: boolean;
  /**
   * `public_api_job_drafting`: job drafts, and GET /job-drafts/capabilities itself, which answers 403 when it is
   * off (so a client cannot learn the other flags from it).
   */
  jobDrafting: boolean;
}

export interface AccountSettings {
  claimed: boolean;
  scopes: string[];
  features: AccountFeatures;
  /** false makes fund and hire answer 409 payment_method_required. */
  paymentMethod: boolean;
  /**
   * The docs contradict themselves (Gap 9): the concept page says milestone fund/approve and contract end work
   * unclaimed, every endpoint page says 403 account_claim_required. Default true follows the endpoint pages.
   */
  milestoneActionsRequireClaim: boolean;
}

export type AccountPatch = Partial<Omit<AccountSettings, 'features'>> & {
  features?: Partial<AccountFeatures>;
};

export interface Owner {
  userId: string;
  email: string;
  firstName: string;
  lastName: string;
  organizationId: string;
  tokenId: string;
  tokenLabel: string;
}

export interface Freelancer {
  userId: string;
  displayName: string;
  country: string;
  profilePath: string;
}

export interface JobRecord {
  id: string;
  title: string;
  status: JobStatus;
  createdAt: string;
}

export interface ContractRecord {
  id: string;
  status: ContractStatus;
  title: string;
  jobId: string;
  proposalId: string | null;
  paymentType: PaymentType;
  rateUsd: number | null;
  estimatedVolume: number | null;
  startDate: string;
  endDate: string | null;
  createdAt: string;
  updatedAt: string;
  freelancer: Freelancer;
  jobDmConversationId: string | null;
  /** Usage against the funded volume; only hourly and per-label contracts move (recordUsage). */
  budget: ContractBudget;
}

export interface ContractBudget {
  state: BudgetState;
  fundedVolume: number;
  consumedVolume: number;
  lastUsageAt: string | null;
}

export interface MilestoneRecord {
  id: string;
  contractId: string;
  name: string;
  description: string;
  status: MilestoneStatus;
  amountUsd: number | null;
  volume: number | null;
  milestoneNumber: number;
  dueDate: string | null;
  needsReview: boolean;
  invoiceId: string | null;
  createdAt: string;
}

export interface ProposalRecord {
  id: string;
  jobId: string;
  freelancer: Freelancer;
  status: string;
}

export interface HireTerms {
  name: string | null;
  description: string | null;
  amount: number;
  dueDate: string | null;
}

export interface ApprovalRecord {
  id: string;
  type: ApprovalType;
  status: ApprovalStatus;
  contractId: string | null;
  milestoneId: string | null;
  jobId: string | null;
  proposalId: string | null;
  expiresAt: string;
  resolvedAt: string | null;
  result: Record<string, unknown> | null;
  createdAt: string;
  /** Only for proposal_hire: the terms, so a re-request with the same terms is recognised. Never serialised. */
  terms: HireTerms | null;
  /**
   * A status outside the documented four that the approval reports instead of `status` while it is set (the
   * `reportStatus` control); any real resolution (confirm, decline, expiry) clears it. Never serialised.
   */
  reportedStatus: string | null;
}

export interface EventRecord {
  id: string;
  type: EventType;
  apiVersion: 'v1';
  createdAt: string;
  resourceId: string;
  jobId: string | null;
  data: Record<string, unknown>;
}

export interface WebhookRecord {
  id: string;
  url: string;
  eventTypes: EventType[];
  status: 'ACTIVE' | 'DISABLED';
  createdAt: string;
  disabledAt: string | null;
  disabledReason: string | null;
  secret: string;
  consecutiveFailures: number;
}

export interface RequestLogEntry {
  method: string;
  /** The path after /api/public/v1, without the query string. */
  path: string;
  query: string;
  /** null when a fault dropped the connection or left it hanging. */
  status: number | null;
  /** Simulated time (the injected clock), ISO 8601. */
  at: string;
  requestId: string;
  fault: 'status' | 'latency' | 'late' | 'reset' | 'hang' | 'rewrite' | null;
}

export type ChangeKind =
  | 'account'
  | 'approval'
  | 'contract'
  | 'milestone'
  | 'event'
  | 'webhook'
  | 'delivery'
  | 'fault'
  | 'request';

export interface Change {
  kind: ChangeKind;
  id?: string;
}
