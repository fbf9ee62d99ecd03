import type { Approver, Route, RouteScope } from '../approvals/routing.js';
import type {
  Approval,
  ApprovalContext,
  Requester,
  TrackedApproval,
  Transition,
} from '../approvals/types.js';

/**
 * The persistence port. Methods speak the domain and each one is atomic, so an adapter can implement it with
 * one transaction (better-sqlite3 today, PostgreSQL for replicas later). Work is claimed with leases, so two
 * workers never run the same side effect at once.
 */
export interface Store
  extends ApprovalRepository,
    EffectQueue,
    RouteRepository,
    HomeViewQueue,
    InboundLog,
    CursorRepository,
    AuditLog {
  /** Cheap round trip for readiness probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface NewTrackedApproval {
  readonly approval: Approval;
  readonly requester: Requester;
  readonly note: string | null;
  readonly channelId: string;
  readonly approvers: readonly Approver[];
  /** What the card shows about money and people; null when the contract lookup failed. */
  readonly context: ApprovalContext | null;
  /** When to try a failed contract lookup again (listContextRetries); null for none. */
  readonly contextRetryAt: Date | null;
}

export interface Lease {
  readonly owner: string;
  readonly now: Date;
  readonly leaseMs: number;
  readonly limit: number;
}

export interface ApprovalRepository {
  /** Starts tracking, or returns the row already there (then `created` is false and nothing changes). */
  trackApproval(
    input: NewTrackedApproval,
    at: Date,
    audit: (created: boolean) => NewAuditEntry,
  ): Promise<{ approval: TrackedApproval; created: boolean }>;
  getApproval(id: string): Promise<TrackedApproval | undefined>;
  getApprovals(ids: readonly string[]): Promise<TrackedApproval[]>;
  /**
   * Applies a status change learned from OpenTrain, with its audit entry and follow-up effects, only while
   * the approval is still pending. Returns the updated row, or undefined when there was nothing to change.
   */
  recordTransition(
    transition: Transition,
    at: Date,
    effects: readonly NewEffect[],
  ): Promise<TrackedApproval | undefined>;
  /** Pending approvals, and those that ended since `endedSince`, newest first: what App Home shows. */
  listForHome(endedSince: Date, limit: number): Promise<TrackedApproval[]>;
  /** Pending approvals whose expiresAt has passed: OpenTrain flips them to expired when they are read. */
  listLapsedPending(now: Date, limit: number): Promise<TrackedApproval[]>;
  /** Pending, unexpired approvals that expire within `horizonMs`: the only ones a reminder can be due for. */
  listReminderCandidates(now: Date, horizonMs: number): Promise<TrackedApproval[]>;
  /**
   * Records that the reminder at `offsetMs` is handled and enqueues its messages, unless an equal or smaller
   * offset was handled already or the approval ended.
   */
  scheduleReminder(
    approvalId: string,
    offsetMs: number,
    effects: readonly NewEffect[],
    at: Date,
  ): Promise<boolean>;
  /** Pending approvals whose failed contract lookup is due for another try, the longest waiting first. */
  listContextRetries(now: Date, limit: number): Promise<TrackedApproval[]>;
  /**
   * The outcome of a retried contract lookup: the context (shown on the card, which is re-rendered), or when
   * to try again (null: never).
   */
  recordContext(
    id: string,
    result: { context: ApprovalContext; retryAt?: never } | { context: null; retryAt: Date | null },
    at: Date,
  ): Promise<void>;
  /** Leases approvals whose card is behind (never posted, or showing an older version) and due for a try. */
  claimCards(lease: Lease, approvalId?: string): Promise<TrackedApproval[]>;
  /**
   * Saves where the card is and which version it shows, even if the lease was lost meanwhile. Returns false
   * when the row already points at a different card (another worker posted first): the caller's is extra.
   */
  recordCardSynced(id: string, owner: string, card: SyncedCard, at: Date): Promise<boolean>;
  recordCardFailure(id: string, owner: string, failure: CardFailure): Promise<void>;
  /** Saves the card's permalink, looked up after the post; touches nothing else (no lease, no version). */
  recordCardPermalink(id: string, ts: string, permalink: string): Promise<void>;
  /**
   * Marks the cards of pending approvals whose "(in N hours)" went stale (`SyncedCard.refreshAt` passed) for
   * an edit, unless the card is already behind. Returns how many.
   */
  refreshCountdowns(now: Date): Promise<number>;
}

export interface SyncedCard {
  readonly channelId: string;
  readonly ts: string;
  readonly version: number;
  /** When what the card shows goes stale by the clock alone (its countdown); null when it never does. */
  readonly refreshAt: Date | null;
}

export interface CardFailure {
  readonly error: string;
  readonly nextAttemptAt: Date;
  /** The card is gone from Slack (deleted by a person): post a fresh one next time. */
  readonly forgetCard?: boolean;
}

export const effectKinds = ['fund', 'notify', 'reminder', 'outcome', 'thread'] as const;
export type EffectKind = (typeof effectKinds)[number];

export interface NewEffect {
  /** Unique forever: enqueueing the same key twice is a no-op, which is what makes effects never double. */
  readonly key: string;
  readonly kind: EffectKind;
  readonly approvalId: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface Effect extends NewEffect {
  readonly id: number;
  readonly attempts: number;
  readonly createdAt: Date;
}

export type EffectEnd = 'done' | 'dropped' | 'failed';

export interface EffectQueue {
  /** Returns how many were new. */
  enqueueEffects(effects: readonly NewEffect[], at: Date): Promise<number>;
  claimEffects(lease: Lease): Promise<Effect[]>;
  finishEffect(id: number, owner: string, end: EffectEnd, at: Date, note?: string): Promise<void>;
  retryEffect(id: number, owner: string, error: string, nextAttemptAt: Date): Promise<void>;
  /** Extends the leases `owner` holds on these effects and cards, for work that is still running. */
  renewLeases(
    owner: string,
    work: { effectIds: readonly number[]; approvalIds: readonly string[]; homeUserIds: readonly string[] },
    until: Date,
  ): Promise<void>;
  /** The earliest time a card or an effect becomes claimable, or null when nothing is waiting. */
  nextWakeAt(): Promise<Date | null>;
  getEffect(key: string): Promise<(Effect & { state: string; lastError: string | null }) | undefined>;
}

export type NewRoute = Omit<Route, 'updatedAt'>;

export interface RouteRepository {
  /** Creates or replaces the route for this job or contract, with its audit entry. */
  saveRoute(route: NewRoute, at: Date, audit: NewAuditEntry): Promise<Route>;
  /** Removes the route for this id (of either scope unless one is given); returns it, or undefined when none. */
  removeRoute(
    target: { scope: RouteScope | undefined; id: string },
    at: Date,
    audit: NewAuditEntry,
  ): Promise<Route | undefined>;
  listRoutes(): Promise<Route[]>;
  findRoute(scope: RouteScope, targetId: string): Promise<Route | undefined>;
}

/** App Home tabs to (re)publish: level-triggered like cards, one row per person who opened the tab. */
export interface HomeView {
  readonly userId: string;
  readonly version: number;
  readonly attempts: number;
}

export interface HomeViewQueue {
  /** The person opened the tab: remember them and publish a fresh view. */
  homeOpened(userId: string, at: Date): Promise<void>;
  /** Something these people see changed; only those who ever opened the tab get a new view. */
  markHomesStale(userIds: readonly string[], at: Date): Promise<void>;
  claimHomes(lease: Lease): Promise<HomeView[]>;
  /** `refreshAt`: when a countdown on the published view goes stale (null when it has none). */
  recordHomePublished(userId: string, owner: string, version: number, refreshAt: Date | null): Promise<void>;
  /** Marks views whose countdown went stale for republishing (recent viewers only); returns how many. */
  refreshHomeCountdowns(now: Date): Promise<number>;
  recordHomeFailure(userId: string, owner: string, error: string, nextAttemptAt: Date): Promise<void>;
}

export type UpstreamKeyClaim =
  /** Yours until `lockMs` passes; finish it with this holder token. */
  | { readonly state: 'new'; readonly holder: string }
  | { readonly state: 'done'; readonly approvalId: string }
  /** Another request with the same key is being processed right now. */
  | { readonly state: 'busy' };

/** What arrived from outside Slack and must be handled at most once. */
export interface InboundLog {
  /** Reserves an upstream idempotency key for `lockMs`, or reports how an earlier request with it ended. */
  claimUpstreamKey(key: string, now: Date, lockMs: number): Promise<UpstreamKeyClaim>;
  /**
   * Records the approval a key led to, or (null) releases the key so the caller may try again. Only the
   * holder's own lock is touched: a request that outlived its lock cannot release someone else's.
   */
  finishUpstreamKey(key: string, holder: string, approvalId: string | null, at: Date): Promise<void>;
  /** True the first time this id is seen: webhook delivery ids, and upstream signatures (replays). */
  recordDelivery(deliveryId: string, at: Date): Promise<boolean>;
  /** Forgets deliveries older than `before`; OpenTrain stops retrying after about three hours. */
  pruneDeliveries(before: Date): Promise<void>;
}

export interface CursorRepository {
  getCursor(name: string): Promise<string | null>;
  setCursor(name: string, value: string | null, at: Date): Promise<void>;
}

export interface NewAuditEntry {
  readonly approvalId: string | null;
  readonly milestoneId: string | null;
  /** 'slack:U123', 'opentrain', 'countersign', or 'system:<name>'. */
  readonly actor: string;
  readonly action: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface AuditEntry extends NewAuditEntry {
  readonly id: number;
  readonly at: Date;
}

export interface AuditLog {
  appendAudit(entries: readonly NewAuditEntry[], at: Date): Promise<void>;
  listAudit(filter: { approvalId?: string; milestoneId?: string; limit: number }): Promise<AuditEntry[]>;
}
