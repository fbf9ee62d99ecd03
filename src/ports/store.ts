import type {
  Approval,
  ApprovalContext,
  Requester,
  TrackedApproval,
  Transition,
  WorkspaceId,
} from '../domain/approval.js';
import type { Effect, EffectKey, EffectKind, Priority, QueuedEffect } from '../domain/effects.js';
import type { FundOutcome } from '../domain/funding.js';
import type { Approver, Route, RouteScope } from '../domain/routing.js';

/*
 * The persistence ports. Each method is one atomic domain operation (one transaction), so an adapter can
 * implement it on SQLite or PostgreSQL alike; use cases receive only the ports they use.
 */

export interface NewTrackedApproval {
  readonly workspaceId: WorkspaceId;
  readonly approval: Approval;
  readonly requester: Requester;
  readonly note: string | null;
  readonly channelId: string;
  readonly approvers: readonly Approver[];
  /** What the card shows about money and people; null when the contract lookup failed. */
  readonly context: ApprovalContext | null;
  /** When to try a failed contract lookup again; null for never. */
  readonly contextRetryAt: Date | null;
}

/** Where a card was posted and what it shows. */
export interface PostedCard {
  readonly channelId: string;
  readonly ts: string;
  readonly version: number;
  /** When what the card shows goes stale by the clock alone (its countdown); null when it never does. */
  readonly refreshAt: Date | null;
}

/** A status change learned from OpenTrain, with the effects that go with it. */
export interface Ending {
  readonly transition: Transition;
  readonly effects: readonly QueuedEffect[];
}

/** What a caller of `endMany` learns of an approval that ended: enough for its metrics. */
export type EndedApproval = Pick<TrackedApproval, 'id' | 'status' | 'resolvedAt' | 'trackedAt'>;

export interface ApprovalsPort {
  /**
   * Starts tracking, with its audit entry and first effects, or returns the row already there (then `created`
   * is false, and only `effects(false)` are enqueued).
   */
  track(
    input: NewTrackedApproval,
    at: Date,
    audit: (created: boolean) => NewAuditEntry,
    effects: (created: boolean) => readonly QueuedEffect[],
  ): Promise<{ approval: TrackedApproval; created: boolean }>;
  get(id: string): Promise<TrackedApproval | undefined>;
  getMany(ids: readonly string[]): Promise<TrackedApproval[]>;
  /**
   * Applies a status change learned from OpenTrain, with its audit entry and effects, only while the approval
   * is still pending. Returns the updated row, or undefined when there was nothing to change.
   */
  end(
    transition: Transition,
    at: Date,
    effects: readonly QueuedEffect[],
  ): Promise<TrackedApproval | undefined>;
  /**
   * Applies several status changes as `end` does, in one transaction: each only while its approval is still
   * pending (the first of two for one approval wins), with its audit entry and effects; nothing at all when
   * the transaction fails. Returns the approvals that ended, in the order given.
   */
  endMany(endings: readonly Ending[], at: Date): Promise<EndedApproval[]>;
  /**
   * Records the status word OpenTrain reports for a still-pending approval when it is none of the four
   * Countersign knows (null: plain pending again), with an audit entry naming `source`, a new version for its
   * card, and `effects`. False when the approval ended or already carries that word.
   */
  reportStatus(
    approvalId: string,
    reportedStatus: string | null,
    source: string,
    at: Date,
    effects: readonly QueuedEffect[],
  ): Promise<boolean>;
  /** Pending approvals whose expiresAt has passed, soonest first. */
  listLapsed(now: Date, limit: number): Promise<TrackedApproval[]>;
  /**
   * Pending approvals with a reminder due now, soonest expiry first: one of `offsetsMs` before expiry has
   * passed, had not passed already when tracking started, and is smaller than every offset handled so far.
   * The filter runs in the store, so a tick reads only the approvals it will remind about.
   */
  listDueReminders(now: Date, offsetsMs: readonly number[], limit: number): Promise<TrackedApproval[]>;
  /**
   * Records that the reminder at `offsetMs` is handled and enqueues its effects, unless an equal or smaller
   * offset was handled already or the approval ended. True when it was recorded.
   */
  remind(approvalId: string, offsetMs: number, effects: readonly QueuedEffect[], at: Date): Promise<boolean>;
  /** Pending approvals whose failed contract lookup is due for another try, the longest waiting first. */
  listContextRetries(now: Date, limit: number): Promise<TrackedApproval[]>;
  /** A retried lookup found the context: shown from the next version on (effects go with it), if still missing. */
  recordContext(
    id: string,
    context: ApprovalContext,
    effects: readonly QueuedEffect[],
    at: Date,
  ): Promise<boolean>;
  /** A retried lookup failed again: when to try next (null: never). */
  postponeContext(id: string, retryAt: Date | null): Promise<void>;
  /** Pending approvals whose card's countdown went stale, nearest expiry first (the budget goes there). */
  listStaleCountdowns(now: Date, limit: number): Promise<Pick<TrackedApproval, 'id' | 'workspaceId'>[]>;
  /** Bumps the version of a card whose countdown went stale, with its card effect, unless it ended. */
  refreshCountdown(id: string, effects: readonly QueuedEffect[], at: Date): Promise<boolean>;
  /**
   * Saves where the card is and which version it shows. Returns the card already recorded when the row points
   * at a different one (the caller's is an extra copy), or null.
   */
  recordCard(
    id: string,
    card: PostedCard,
    at: Date,
  ): Promise<{ channelId: string; ts: string; permalink: string | null } | null>;
  /** Saves the card's permalink, looked up after the post. */
  recordPermalink(id: string, ts: string, permalink: string): Promise<void>;
  /** The card is gone from Slack (deleted by a person): the next card effect posts a fresh one. */
  forgetCard(id: string, ts: string): Promise<void>;
  /**
   * The shortest lifetime (expiresAt − createdAt) OpenTrain gave this workspace's latest approvals (up to
   * `sample` pending ones, latest expiry first, and `sample` ended ones, latest first), from indexes; undefined
   * when none is tracked.
   */
  shortestLifetimeMs(workspaceId: WorkspaceId, sample: number): Promise<number | undefined>;
  /** The milestone's tracked approval that is still pending (the latest to expire, if several), or undefined. */
  findPendingOf(workspaceId: WorkspaceId, milestoneId: string): Promise<TrackedApproval | undefined>;
  /** How many approvals are tracked, by status (for dashboards and `countersign status`). */
  countByStatus(): Promise<Partial<Record<TrackedApproval['status'], number>>>;
  /**
   * The channels this workspace's cards are in, of approvals pending or ended since `endedSince`: App Home asks
   * which of them the viewer is in.
   */
  listCardChannels(workspaceId: WorkspaceId, endedSince: Date): Promise<string[]>;
  /**
   * What one person's App Home shows, from indexes: the pending approvals they asked for or whose card is in
   * one of `viewer.channelIds`, soonest expiry first (at most `limits.pending`, and how many there are in all),
   * and those ended since `endedSince`, latest first (at most `limits.outcomes`).
   */
  listForViewer(
    workspaceId: WorkspaceId,
    viewer: { readonly userId: string; readonly channelIds: readonly string[] },
    endedSince: Date,
    limits: { readonly pending: number; readonly outcomes: number },
  ): Promise<{ pending: TrackedApproval[]; pendingTotal: number; outcomes: TrackedApproval[] }>;
}

export type EffectState = 'pending' | 'done' | 'dropped' | 'failed';

/** An effect taken off the queue under a lease. */
export interface ClaimedEffect<K extends EffectKind = EffectKind> {
  readonly id: number;
  readonly key: EffectKey;
  readonly workspaceId: WorkspaceId;
  readonly effect: Extract<Effect, { kind: K }>;
  /** Attempts so far, this one included. */
  readonly attempts: number;
  /** Bumped each time the effect is re-armed; finishing an older generation leaves it pending. */
  readonly generation: number;
  readonly createdAt: Date;
  /**
   * Set when an earlier attempt may have landed without us hearing so (it timed out, or the process died
   * mid-way): the earliest moment such an attempt started. Senders look before sending again.
   */
  readonly uncertainSince: Date | null;
  /** What the effect recorded of its own progress (checkpoint), or null. */
  readonly progress: unknown;
  /** How urgent it is (`priorities`): a countdown refresh yields Slack's budget to what people wait on. */
  readonly priority: Priority;
}

/** An effect as stored, for status pages, replies that depend on another effect, and tests. */
export interface EffectRecord {
  readonly key: EffectKey;
  readonly kind: EffectKind;
  readonly state: EffectState;
  readonly attempts: number;
  readonly lastError: string | null;
  /** What a finished funding request came to; null for other effects and unfinished ones. */
  readonly result: FundOutcome | null;
  readonly effect: Effect;
  readonly createdAt: Date;
}

export interface Lease {
  readonly owner: string;
  readonly now: Date;
  readonly leaseMs: number;
  readonly limit: number;
  /** Only this effect, if it is due and free (run it now). */
  readonly key?: EffectKey;
  /** Only effects of these kinds, or of every kind but these (the runner keeps a lane for fund calls). */
  readonly kinds?: { readonly only: readonly EffectKind[] } | { readonly except: readonly EffectKind[] };
}

export interface OutboxPort {
  /** Returns how many were new or re-armed. */
  enqueue(effects: readonly QueuedEffect[], at: Date): Promise<number>;
  /** One atomic statement: the due, unleased effects, most urgent first, leased to `owner`. */
  claim(lease: Lease): Promise<ClaimedEffect[]>;
  /** Ends the attempt. A newer generation (re-armed meanwhile) stays pending and due at once. */
  finish(
    claim: Pick<ClaimedEffect, 'id' | 'generation'>,
    owner: string,
    end: Exclude<EffectState, 'pending'>,
    at: Date,
    detail?: { note?: string; result?: FundOutcome },
  ): Promise<void>;
  /** Tries again at `nextAttemptAt`; `uncertain` when the failed attempt may have landed all the same. */
  retry(
    claim: Pick<ClaimedEffect, 'id'>,
    owner: string,
    failure: { error: string; nextAttemptAt: Date; uncertain: boolean },
  ): Promise<void>;
  /** Records the effect's own progress, for a later attempt after a crash. */
  checkpoint(claim: Pick<ClaimedEffect, 'id'>, owner: string, progress: unknown): Promise<void>;
  /** Extends the leases `owner` holds on these effects, for work that is still running. */
  renew(owner: string, ids: readonly number[], until: Date): Promise<void>;
  /** The earliest time an effect becomes claimable, or null when nothing is waiting. */
  nextDueAt(): Promise<Date | null>;
  find(key: EffectKey): Promise<EffectRecord | undefined>;
  /** How much is waiting: every pending effect, those due now, and since when the oldest due one waits. */
  stats(now: Date): Promise<QueueStats>;
}

export interface QueueStats {
  readonly pending: number;
  readonly due: number;
  readonly oldestDueAt: Date | null;
}

export type NewRoute = Omit<Route, 'updatedAt'>;

export interface RoutesPort {
  /** Creates or replaces the route for this job or contract, with its audit entry. */
  save(route: NewRoute, at: Date, audit: NewAuditEntry): Promise<Route>;
  /** Removes the route for this id (of either scope unless one is given); returns it, or undefined. */
  remove(
    workspaceId: WorkspaceId,
    target: { scope: RouteScope | undefined; id: string },
    at: Date,
    audit: NewAuditEntry,
  ): Promise<Route | undefined>;
  list(workspaceId: WorkspaceId): Promise<Route[]>;
  /** The routes of these contracts and jobs (either may be missing). */
  findFor(
    workspaceId: WorkspaceId,
    targets: readonly { contractId: string | null; jobId: string | null }[],
  ): Promise<Route[]>;
}

export interface HomeViewsPort {
  /** The person opened the tab: remember them and enqueue a fresh view. */
  opened(workspaceId: WorkspaceId, userId: string, at: Date, effects: readonly QueuedEffect[]): Promise<void>;
  /** Of these people, those who opened the tab in the last 30 days: only they get a new view. */
  recentViewers(workspaceId: WorkspaceId, userIds: readonly string[], at: Date): Promise<string[]>;
  /** `refreshAt`: when a countdown on the published view goes stale (null when it has none). */
  published(workspaceId: WorkspaceId, userId: string, refreshAt: Date | null): Promise<void>;
  /** Views whose countdown went stale, of recent viewers. */
  listStale(now: Date, limit: number): Promise<{ workspaceId: WorkspaceId; userId: string }[]>;
  /** The view is being refreshed for its countdown: it is not stale until published again. */
  clearStale(
    workspaceId: WorkspaceId,
    userId: string,
    effects: readonly QueuedEffect[],
    at: Date,
  ): Promise<void>;
}

/** What arrived from outside and must be handled at most once: webhook deliveries, request signatures. */
export interface InboundPort {
  /** True the first time this id is seen. */
  recordDelivery(deliveryId: string, at: Date): Promise<boolean>;
  /** Forgets deliveries older than `before`. */
  pruneDeliveries(before: Date): Promise<void>;
}

export interface CursorPort {
  get(workspaceId: WorkspaceId, name: string): Promise<string | null>;
  /** Moves the cursor from `from` to `to`; false (and nothing changes) when it is no longer at `from`. */
  advance(
    workspaceId: WorkspaceId,
    name: string,
    from: string | null,
    to: string,
    at: Date,
  ): Promise<boolean>;
}

export interface NewAuditEntry {
  readonly approvalId: string | null;
  readonly milestoneId: string | null;
  /** 'slack:U123', 'opentrain', 'countersign', 'upstream:<name>' or 'system:<name>'. */
  readonly actor: string;
  readonly action: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface AuditEntry extends NewAuditEntry {
  readonly id: number;
  readonly at: Date;
}

export interface AuditPort {
  append(entries: readonly NewAuditEntry[], at: Date): Promise<void>;
  list(filter: { approvalId?: string; milestoneId?: string; limit: number }): Promise<AuditEntry[]>;
}

/** Named leases (the poller's), so only one replica does a job at a time. */
export interface LeasesPort {
  /** Takes or extends the lease; false when someone else holds it. */
  acquire(name: string, owner: string, now: Date, ttlMs: number): Promise<boolean>;
  release(name: string, owner: string): Promise<void>;
  /** Who holds the lease now (an unexpired one), or null. */
  holder(name: string, now: Date): Promise<{ owner: string; until: Date } | null>;
}

export interface HealthPort {
  /** Cheap round trip: the store answers. */
  ping(): Promise<void>;
  /** A tiny write: the store accepts writes. */
  probeWrite(at: Date): Promise<void>;
}

/** How long ended things are kept; null keeps them forever. */
export interface Retention {
  /** Ended approvals (and their cards' rows) resolved before this. */
  readonly approvalsEndedBefore: Date | null;
  /** Finished effects (done, dropped, failed) finished before this: their keys can then be used again. */
  readonly effectsFinishedBefore: Date | null;
  readonly auditBefore: Date | null;
}

export interface RetentionPort {
  /** Deletes at most `limit` rows of each kind past its cutoff; returns how many went. */
  prune(retention: Retention, limit: number): Promise<{ approvals: number; effects: number; audit: number }>;
}

/** Small facts the service keeps about itself (who it is in Slack, for a start while Slack is down). */
export interface ServiceStatePort {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, at: Date): Promise<void>;
}

/** Everything a store adapter provides; only the composition root sees it whole. */
export interface Store {
  readonly approvals: ApprovalsPort;
  readonly outbox: OutboxPort;
  readonly routes: RoutesPort;
  readonly homes: HomeViewsPort;
  readonly inbound: InboundPort;
  readonly cursors: CursorPort;
  readonly audit: AuditPort;
  readonly leases: LeasesPort;
  readonly health: HealthPort;
  readonly state: ServiceStatePort;
  readonly retention: RetentionPort;
  /** Rows written before rows named their workspace belong to this one. */
  adoptUnownedRows(workspaceId: WorkspaceId): Promise<void>;
  close(): Promise<void>;
}
