import type { TrackedApproval, Transition, WorkspaceId } from '../../src/domain/approval.js';
import { type EffectKey, type QueuedEffect, replyWaitsFor, toPriority } from '../../src/domain/effects.js';
import type { Route } from '../../src/domain/routing.js';
import type {
  ApprovalsPort,
  AuditEntry,
  AuditPort,
  ClaimedEffect,
  CursorPort,
  EffectRecord,
  EffectState,
  HealthPort,
  HomeViewsPort,
  InboundPort,
  LeasesPort,
  NewAuditEntry,
  OutboxPort,
  RetentionPort,
  RoutesPort,
  ServiceStatePort,
  Store,
} from '../../src/ports/store.js';
import {
  parseEffect,
  parseFundOutcome,
  parseJsonValue,
  serializeEffect,
} from '../../src/store/effect-json.js';
import { endEntry, statusReportEntry } from '../../src/store/status-report.js';

/*
 * A Store in memory, for unit tests of use cases: maps and arrays, one method at a time (JavaScript runs each
 * to its end before the next, so each is atomic like a transaction). It keeps the SQLite adapter's semantics
 * (the same contract suite runs against both) and stores effects as JSON through effect-json.ts, so a test
 * sees what survives the trip to a real store and back.
 */

const recentMs = 30 * 24 * 3_600_000;

interface ApprovalEntry {
  approval: TrackedApproval;
  contextRetryAt: number | null;
  cardRefreshAt: number | null;
}

interface EffectEntry {
  readonly id: number;
  workspaceId: WorkspaceId;
  readonly key: EffectKey;
  afterKey: string | null;
  readonly createdAt: number;
  payload: string;
  state: EffectState;
  priority: number;
  generation: number;
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  attemptStartedAt: number | null;
  uncertainSince: number | null;
  progress: string | null;
  result: string | null;
  lastError: string | null;
}

interface HomeTab {
  workspaceId: WorkspaceId;
  readonly userId: string;
  openedAt: number;
  refreshAt: number | null;
}

type StoredAudit = AuditEntry & { workspaceId: WorkspaceId };

/** Keys of rows that are unique per workspace. */
const inWorkspace = (workspaceId: WorkspaceId, ...parts: string[]) => [workspaceId, ...parts].join('\u0000');

/** Checks first, then returns the move: rows of workspace '' re-filed under `workspaceId`. */
function rekey<T extends { readonly workspaceId: WorkspaceId }>(
  rows: Map<string, T>,
  keyOf: (row: T) => string,
  workspaceId: WorkspaceId,
): () => void {
  const moving = [...rows]
    .filter(([, row]) => row.workspaceId === '')
    .map(([key, row]) => [key, { ...row, workspaceId }] as const);
  if (moving.some(([, row]) => rows.has(keyOf(row))))
    throw new Error('a row of that workspace exists already');
  return () => {
    for (const [key] of moving) rows.delete(key);
    for (const [, row] of moving) rows.set(keyOf(row), row);
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** Replies wait for the card's first attempt, as in the SQLite adapter. */
function afterKeyOf(queued: QueuedEffect): string | null {
  const { effect } = queued;
  return effect.kind === 'reply' ? replyWaitsFor(effect.reply) : null;
}

/** When an effect enqueued at `at` is first due. */
function dueAt(queued: QueuedEffect, at: Date): number {
  return Math.max(at.getTime(), queued.notBefore?.getTime() ?? 0);
}

export function createMemoryStore(options: { onEnqueue?: () => void } = {}): Store {
  const approvals = new Map<string, ApprovalEntry>();
  const effects = new Map<string, EffectEntry>();
  const routes = new Map<string, Route>();
  const homeTabs = new Map<string, HomeTab>();
  const deliveries = new Map<string, number>();
  const cursors = new Map<string, { workspaceId: WorkspaceId; name: string; value: string | null }>();
  const auditLog: StoredAudit[] = [];
  /** When each finished effect finished, for retention. */
  const finishedAt = new Map<number, number>();
  const leases = new Map<string, { owner: string; until: number }>();
  const serviceState = new Map<string, string | null>();
  let nextEffectId = 1;
  let nextAuditId = 1;
  let closed = false;

  const copy = (approval: TrackedApproval): TrackedApproval => structuredClone(approval);

  function appendAudit(entries: readonly NewAuditEntry[], at: Date): void {
    for (const entry of entries) {
      const detail =
        entry.detail === undefined ? undefined : (JSON.parse(JSON.stringify(entry.detail)) as object);
      auditLog.push({
        id: nextAuditId++,
        at: new Date(at),
        workspaceId: '',
        approvalId: entry.approvalId,
        milestoneId: entry.milestoneId,
        actor: entry.actor,
        action: entry.action,
        ...(detail === undefined ? {} : { detail: detail as Record<string, unknown> }),
      });
    }
  }

  function enqueue(queued: readonly QueuedEffect[], at: Date): number {
    let changed = 0;
    for (const item of queued) {
      const existing = effects.get(item.key);
      const payload = serializeEffect(item.effect);
      if (existing === undefined) {
        effects.set(item.key, {
          id: nextEffectId++,
          workspaceId: item.workspaceId,
          key: item.key,
          afterKey: afterKeyOf(item),
          createdAt: at.getTime(),
          payload,
          state: 'pending',
          priority: item.priority,
          generation: 0,
          attempts: 0,
          nextAttemptAt: dueAt(item, at),
          leaseOwner: null,
          leaseUntil: null,
          attemptStartedAt: null,
          uncertainSince: null,
          progress: null,
          result: null,
          lastError: null,
        });
        changed++;
      } else if (item.mode === 'rearm') {
        rearm(existing, item, payload, dueAt(item, at));
        changed++;
      }
    }
    if (changed > 0 && options.onEnqueue !== undefined) setImmediate(options.onEnqueue);
    return changed;
  }

  /** Runs once more: a waiting effect keeps its place (or moves up); a finished one starts afresh. */
  function rearm(entry: EffectEntry, item: QueuedEffect, payload: string, at: number): void {
    entry.generation++;
    entry.payload = payload;
    entry.afterKey = afterKeyOf(item);
    if (entry.state === 'pending') {
      entry.priority = Math.min(entry.priority, item.priority);
      entry.nextAttemptAt = Math.min(entry.nextAttemptAt, at);
    } else {
      entry.priority = item.priority;
      entry.attempts = 0;
      entry.nextAttemptAt = at;
      entry.lastError = null;
      entry.result = null;
      entry.state = 'pending';
    }
  }

  function held(entry: EffectEntry | undefined, owner: string): entry is EffectEntry {
    return entry !== undefined && entry.leaseOwner === owner && entry.state === 'pending';
  }

  function byId(id: number): EffectEntry | undefined {
    for (const entry of effects.values()) if (entry.id === id) return entry;
    return undefined;
  }

  function claimable(entry: EffectEntry, now: number): boolean {
    if (entry.state !== 'pending' || entry.nextAttemptAt > now) return false;
    if (entry.leaseUntil !== null && entry.leaseUntil > now) return false;
    const before = entry.afterKey === null ? undefined : effects.get(entry.afterKey);
    const waiting =
      before !== undefined &&
      before.state === 'pending' &&
      (before.attempts === 0 || (before.leaseUntil !== null && before.leaseUntil > now));
    return !waiting;
  }

  function lease(entry: EffectEntry, owner: string, now: number, until: number): ClaimedEffect {
    // The previous attempt was leased and never finished: it may have landed.
    if (entry.leaseOwner !== null) entry.uncertainSince ??= entry.attemptStartedAt;
    entry.leaseOwner = owner;
    entry.leaseUntil = until;
    entry.nextAttemptAt = until;
    entry.attempts++;
    entry.attemptStartedAt = now;
    return {
      id: entry.id,
      key: entry.key,
      workspaceId: entry.workspaceId,
      effect: parseEffect(entry.payload),
      attempts: entry.attempts,
      generation: entry.generation,
      createdAt: new Date(entry.createdAt),
      uncertainSince: entry.uncertainSince === null ? null : new Date(entry.uncertainSince),
      progress: parseJsonValue(entry.progress),
      priority: toPriority(entry.priority),
    };
  }

  function toRecord(entry: EffectEntry): EffectRecord {
    const effect = parseEffect(entry.payload);
    return {
      key: entry.key,
      kind: effect.kind,
      state: entry.state,
      attempts: entry.attempts,
      lastError: entry.lastError,
      result: parseFundOutcome(parseJsonValue(entry.result)) ?? null,
      effect,
      createdAt: new Date(entry.createdAt),
    };
  }

  const outbox: OutboxPort = {
    async enqueue(queued, at) {
      return enqueue(queued, at);
    },
    async claim({ owner, now, leaseMs, limit, key, kinds }) {
      const time = now.getTime();
      const inLane = (entry: EffectEntry) => {
        if (kinds === undefined) return true;
        const kind = parseEffect(entry.payload).kind;
        return 'only' in kinds ? kinds.only.includes(kind) : !kinds.except.includes(kind);
      };
      const candidates =
        key === undefined
          ? [...effects.values()]
              .filter((entry) => claimable(entry, time) && inLane(entry))
              .sort((a, b) => a.priority - b.priority || a.nextAttemptAt - b.nextAttemptAt || a.id - b.id)
              .slice(0, limit)
          : [effects.get(key)].filter(
              (entry): entry is EffectEntry => entry !== undefined && claimable(entry, time),
            );
      return candidates.map((entry) => lease(entry, owner, time, time + leaseMs));
    },
    async finish(claimed, owner, end, at, detail = {}) {
      const entry = byId(claimed.id);
      if (!held(entry, owner)) return;
      if (entry.generation === claimed.generation) {
        entry.state = end;
        finishedAt.set(entry.id, at.getTime());
        entry.result = toJson(detail.result) ?? entry.result;
      } else {
        // Re-armed while it ran: the newer generation runs next, at once.
        entry.attempts = 0;
        entry.nextAttemptAt = at.getTime();
      }
      entry.lastError = detail.note ?? entry.lastError;
      entry.uncertainSince = null;
      entry.leaseOwner = null;
      entry.leaseUntil = null;
    },
    async retry(claimed, owner, failure) {
      const entry = byId(claimed.id);
      if (!held(entry, owner)) return;
      entry.nextAttemptAt = failure.nextAttemptAt.getTime();
      entry.lastError = failure.error;
      entry.leaseOwner = null;
      entry.leaseUntil = null;
      if (failure.uncertain) entry.uncertainSince ??= entry.attemptStartedAt;
    },
    async checkpoint(claimed, owner, progress) {
      const entry = byId(claimed.id);
      if (held(entry, owner)) entry.progress = toJson(progress);
    },
    async renew(owner, ids, until) {
      for (const id of ids) {
        const entry = byId(id);
        if (held(entry, owner)) {
          entry.leaseUntil = until.getTime();
          entry.nextAttemptAt = until.getTime();
        }
      }
    },
    async nextDueAt() {
      let next: number | null = null;
      for (const entry of effects.values()) {
        if (entry.state !== 'pending') continue;
        const due = Math.max(entry.nextAttemptAt, entry.leaseUntil ?? 0);
        if (next === null || due < next) next = due;
      }
      return next === null ? null : new Date(next);
    },
    async find(key) {
      const entry = effects.get(key);
      return entry === undefined ? undefined : toRecord(entry);
    },
    async stats(now) {
      const waiting = [...effects.values()].filter((entry) => entry.state === 'pending');
      const due = waiting.filter((entry) => entry.nextAttemptAt <= now.getTime());
      const oldest = due.length === 0 ? null : Math.min(...due.map((entry) => entry.nextAttemptAt));
      return {
        pending: waiting.length,
        due: due.length,
        oldestDueAt: oldest === null ? null : new Date(oldest),
      };
    },
  };

  const pending = (entry: ApprovalEntry) => entry.approval.status === 'pending';
  const byTime =
    <T>(time: (item: T) => number) =>
    (a: T, b: T) =>
      time(a) - time(b);

  /** Applies `change` to the approval when `when` holds; true when it did. */
  function changeIf(
    id: string,
    when: (entry: ApprovalEntry) => boolean,
    change: (entry: ApprovalEntry) => void,
  ): boolean {
    const entry = approvals.get(id);
    if (entry === undefined || !when(entry)) return false;
    change(entry);
    return true;
  }

  /** The status change, its audit entry and its effects, only while the approval is pending. */
  function end(t: Transition, at: Date, queued: readonly QueuedEffect[]): TrackedApproval | undefined {
    const entry = approvals.get(t.approvalId);
    if (entry === undefined || !pending(entry)) return undefined;
    const { approval } = entry;
    entry.approval = {
      ...approval,
      status: t.status,
      reportedStatus: null,
      resolvedAt: t.resolvedAt,
      result: t.result === null ? null : structuredClone(t.result),
      version: approval.version + 1,
      updatedAt: at,
    };
    entry.contextRetryAt = null;
    entry.cardRefreshAt = null;
    appendAudit([endEntry(t, approval.milestoneId)], at);
    enqueue(queued, at);
    return copy(entry.approval);
  }

  const approvalsPort: ApprovalsPort = {
    async track(input, at, audit, queued) {
      const { approval: a } = input;
      const created = !approvals.has(a.id);
      if (created) {
        const approval: TrackedApproval = {
          id: a.id,
          type: a.type,
          status: a.status,
          reportedStatus: a.status === 'pending' ? a.reportedStatus : null,
          contractId: a.contractId,
          milestoneId: a.milestoneId,
          jobId: a.jobId,
          proposalId: a.proposalId,
          approvalUrl: a.approvalUrl,
          expiresAt: a.expiresAt,
          resolvedAt: a.resolvedAt,
          result: a.result,
          createdAt: a.createdAt,
          workspaceId: input.workspaceId,
          requester: input.requester,
          note: input.note,
          channelId: input.channelId,
          approvers: input.approvers,
          context: input.context,
          version: 1,
          card: { version: 0, channelId: null, ts: null, permalink: null },
          reminderFloorMs: null,
          trackedAt: at,
          updatedAt: at,
        };
        approvals.set(a.id, {
          approval: structuredClone(approval),
          contextRetryAt: input.contextRetryAt?.getTime() ?? null,
          cardRefreshAt: null,
        });
      }
      appendAudit([audit(created)], at);
      enqueue(queued(created), at);
      const entry = approvals.get(a.id) as ApprovalEntry;
      return { approval: copy(entry.approval), created };
    },
    async get(id) {
      const entry = approvals.get(id);
      return entry === undefined ? undefined : copy(entry.approval);
    },
    async getMany(ids) {
      return ids.flatMap((id) => {
        const entry = approvals.get(id);
        return entry === undefined ? [] : [copy(entry.approval)];
      });
    },
    async end(t, at, queued) {
      return end(t, at, queued);
    },
    async endMany(endings, at) {
      return endings.flatMap(({ transition, effects }) => {
        const ended = end(transition, at, effects);
        if (ended === undefined) return [];
        return [
          { id: ended.id, status: ended.status, resolvedAt: ended.resolvedAt, trackedAt: ended.trackedAt },
        ];
      });
    },
    async reportStatus(id, reported, source, at, queued) {
      const entry = approvals.get(id);
      if (entry === undefined || !pending(entry) || entry.approval.reportedStatus === reported) return false;
      const { approval } = entry;
      entry.approval = {
        ...approval,
        reportedStatus: reported,
        version: approval.version + 1,
        updatedAt: at,
      };
      appendAudit([statusReportEntry(id, approval.milestoneId, reported, source)], at);
      enqueue(queued, at);
      return true;
    },
    async listLapsed(now, limit) {
      return [...approvals.values()]
        .filter((entry) => pending(entry) && entry.approval.expiresAt <= now)
        .sort(byTime((entry) => entry.approval.expiresAt.getTime()))
        .slice(0, limit)
        .map((entry) => copy(entry.approval));
    },
    async listDueReminders(now, offsetsMs, limit) {
      const time = now.getTime();
      return [...approvals.values()]
        .filter((entry) => {
          const { expiresAt, trackedAt, reminderFloorMs } = entry.approval;
          const expires = expiresAt.getTime();
          const due = (offset: number) =>
            expires - offset <= time &&
            expires - offset >= trackedAt.getTime() &&
            (reminderFloorMs === null || reminderFloorMs > offset);
          return pending(entry) && expires > time && offsetsMs.some(due);
        })
        .sort(byTime((entry) => entry.approval.expiresAt.getTime()))
        .slice(0, limit)
        .map((entry) => copy(entry.approval));
    },
    async remind(approvalId, offsetMs, queued, at) {
      const recorded = changeIf(
        approvalId,
        (entry) =>
          pending(entry) &&
          (entry.approval.reminderFloorMs === null || entry.approval.reminderFloorMs > offsetMs),
        (entry) => {
          entry.approval = { ...entry.approval, reminderFloorMs: offsetMs, updatedAt: at };
        },
      );
      if (recorded) enqueue(queued, at);
      return recorded;
    },
    async listContextRetries(now, limit) {
      return [...approvals.values()]
        .filter(
          (entry) => pending(entry) && entry.contextRetryAt !== null && entry.contextRetryAt <= now.getTime(),
        )
        .sort(byTime((entry) => entry.contextRetryAt ?? 0))
        .slice(0, limit)
        .map((entry) => copy(entry.approval));
    },
    async recordContext(id, context, queued, at) {
      const found = changeIf(
        id,
        (entry) => entry.approval.context === null,
        (entry) => {
          const { approval } = entry;
          entry.approval = {
            ...approval,
            context: structuredClone(context),
            version: approval.version + 1,
            updatedAt: at,
          };
        },
      );
      const entry = approvals.get(id);
      if (entry !== undefined) entry.contextRetryAt = null;
      if (found) enqueue(queued, at);
      return found;
    },
    async postponeContext(id, retryAt) {
      changeIf(
        id,
        (entry) => pending(entry) && entry.approval.context === null,
        (entry) => {
          entry.contextRetryAt = retryAt?.getTime() ?? null;
        },
      );
    },
    async listStaleCountdowns(now, limit) {
      return [...approvals.values()]
        .filter(
          (entry) =>
            pending(entry) &&
            entry.cardRefreshAt !== null &&
            entry.cardRefreshAt <= now.getTime() &&
            entry.approval.card.version === entry.approval.version,
        )
        .sort(byTime((entry) => entry.approval.expiresAt.getTime()))
        .slice(0, limit)
        .map((entry) => ({ id: entry.approval.id, workspaceId: entry.approval.workspaceId }));
    },
    async refreshCountdown(id, queued, at) {
      const refreshed = changeIf(
        id,
        (entry) => pending(entry) && entry.approval.card.version === entry.approval.version,
        (entry) => {
          entry.approval = { ...entry.approval, version: entry.approval.version + 1, updatedAt: at };
          entry.cardRefreshAt = null;
        },
      );
      if (refreshed) enqueue(queued, at);
      return refreshed;
    },
    async recordCard(id, card, at) {
      const entry = approvals.get(id);
      if (entry === undefined) return null;
      const { approval } = entry;
      if (approval.card.ts === null || approval.card.ts === card.ts) {
        const version = Math.max(approval.card.version, card.version);
        const posted = { ...approval.card, channelId: card.channelId, ts: card.ts, version };
        entry.approval = { ...approval, card: posted, updatedAt: at };
        entry.cardRefreshAt = card.refreshAt?.getTime() ?? null;
        return null;
      }
      if (approval.card.channelId === null) return null;
      return { channelId: approval.card.channelId, ts: approval.card.ts, permalink: approval.card.permalink };
    },
    async recordPermalink(id, ts, permalink) {
      changeIf(
        id,
        (entry) => entry.approval.card.ts === ts,
        (entry) => {
          entry.approval = { ...entry.approval, card: { ...entry.approval.card, permalink } };
        },
      );
    },
    async forgetCard(id, ts) {
      changeIf(
        id,
        (entry) => entry.approval.card.ts === ts,
        (entry) => {
          entry.approval = {
            ...entry.approval,
            card: { version: 0, channelId: null, ts: null, permalink: null },
          };
        },
      );
    },
    async findPendingOf(workspaceId, milestoneId) {
      const [latest] = [...approvals.values()]
        .map((entry) => entry.approval)
        .filter(
          (a) => a.workspaceId === workspaceId && a.milestoneId === milestoneId && a.status === 'pending',
        )
        .sort((a, b) => b.expiresAt.getTime() - a.expiresAt.getTime());
      return latest === undefined ? undefined : copy(latest);
    },
    async shortestLifetimeMs(workspaceId, sample) {
      const ours = [...approvals.values()]
        .map((entry) => entry.approval)
        .filter((approval) => approval.workspaceId === workspaceId);
      const latest = (list: TrackedApproval[], time: (approval: TrackedApproval) => number) =>
        list.sort((a, b) => time(b) - time(a)).slice(0, sample);
      const recent = [
        ...latest(
          ours.filter((approval) => approval.status === 'pending'),
          (approval) => approval.expiresAt.getTime(),
        ),
        ...latest(
          ours.filter((approval) => approval.status !== 'pending'),
          (approval) => approval.resolvedAt?.getTime() ?? 0,
        ),
      ];
      if (recent.length === 0) return undefined;
      return Math.min(...recent.map((a) => a.expiresAt.getTime() - a.createdAt.getTime()));
    },
    async countByStatus() {
      const counts: Partial<Record<string, number>> = {};
      for (const entry of approvals.values()) {
        counts[entry.approval.status] = (counts[entry.approval.status] ?? 0) + 1;
      }
      return counts;
    },
    async listCardChannels(workspaceId, endedSince) {
      const mine = [...approvals.values()].filter(
        (entry) =>
          entry.approval.workspaceId === workspaceId &&
          (pending(entry) || (entry.approval.resolvedAt?.getTime() ?? 0) >= endedSince.getTime()),
      );
      return [...new Set(mine.map((entry) => entry.approval.channelId))];
    },
    async listForViewer(workspaceId, viewer, endedSince, limits) {
      const sees = (entry: ApprovalEntry) =>
        entry.approval.workspaceId === workspaceId &&
        (viewer.channelIds.includes(entry.approval.channelId) ||
          (entry.approval.requester.kind === 'slack' && entry.approval.requester.userId === viewer.userId));
      const visible = [...approvals.values()].filter(sees);
      const waiting = visible.filter(pending).sort(byTime((entry) => entry.approval.expiresAt.getTime()));
      const ended = visible
        .filter(
          (entry) =>
            !pending(entry) && entry.approval.resolvedAt !== null && entry.approval.resolvedAt >= endedSince,
        )
        .sort(byTime((entry) => -(entry.approval.resolvedAt?.getTime() ?? 0)));
      return {
        pending: waiting.slice(0, limits.pending).map((entry) => copy(entry.approval)),
        pendingTotal: waiting.length,
        outcomes: ended.slice(0, limits.outcomes).map((entry) => copy(entry.approval)),
      };
    },
  };

  const routeKey = (workspaceId: WorkspaceId, scope: string, targetId: string) =>
    inWorkspace(workspaceId, scope, targetId);

  const routesPort: RoutesPort = {
    async save(route, at, audit) {
      const saved: Route = { ...structuredClone(route), updatedAt: at };
      routes.set(routeKey(route.workspaceId, route.scope, route.targetId), saved);
      appendAudit([audit], at);
      return structuredClone(saved);
    },
    async remove(workspaceId, target, at, audit) {
      const scopes = target.scope === undefined ? (['contract', 'job'] as const) : [target.scope];
      for (const scope of scopes) {
        const key = routeKey(workspaceId, scope, target.id);
        const route = routes.get(key);
        if (route === undefined) continue;
        routes.delete(key);
        appendAudit([audit], at);
        return structuredClone(route);
      }
      return undefined;
    },
    async list(workspaceId) {
      return [...routes.values()]
        .filter((route) => route.workspaceId === workspaceId)
        .sort((a, b) => compareText(a.scope, b.scope) || compareText(a.targetId, b.targetId))
        .map((route) => structuredClone(route));
    },
    async findFor(workspaceId, targets) {
      const found = new Map<string, Route>();
      for (const target of targets) {
        for (const [scope, id] of [
          ['contract', target.contractId],
          ['job', target.jobId],
        ] as const) {
          const route = id === null ? undefined : routes.get(routeKey(workspaceId, scope, id));
          if (route !== undefined) found.set(`${scope}:${id}`, structuredClone(route));
        }
      }
      return [...found.values()];
    },
  };

  const homes: HomeViewsPort = {
    async opened(workspaceId, userId, at, queued) {
      const key = inWorkspace(workspaceId, userId);
      const tab = homeTabs.get(key);
      if (tab === undefined)
        homeTabs.set(key, { workspaceId, userId, openedAt: at.getTime(), refreshAt: null });
      else tab.openedAt = at.getTime();
      enqueue(queued, at);
    },
    async recentViewers(workspaceId, userIds, at) {
      const since = at.getTime() - recentMs;
      return userIds.filter((userId) => {
        const tab = homeTabs.get(inWorkspace(workspaceId, userId));
        return tab !== undefined && tab.openedAt >= since;
      });
    },
    async published(workspaceId, userId, refreshAt) {
      const tab = homeTabs.get(inWorkspace(workspaceId, userId));
      if (tab !== undefined) tab.refreshAt = refreshAt?.getTime() ?? null;
    },
    async listStale(now, limit) {
      const since = now.getTime() - recentMs;
      return [...homeTabs.values()]
        .filter((tab) => tab.refreshAt !== null && tab.refreshAt <= now.getTime() && tab.openedAt >= since)
        .sort(byTime((tab) => tab.refreshAt ?? 0))
        .slice(0, limit)
        .map((tab) => ({ workspaceId: tab.workspaceId, userId: tab.userId }));
    },
    async clearStale(workspaceId, userId, queued, at) {
      const tab = homeTabs.get(inWorkspace(workspaceId, userId));
      if (tab !== undefined) tab.refreshAt = null;
      enqueue(queued, at);
    },
  };

  const inbound: InboundPort = {
    async recordDelivery(deliveryId, at) {
      if (deliveries.has(deliveryId)) return false;
      deliveries.set(deliveryId, at.getTime());
      return true;
    },
    async pruneDeliveries(before) {
      for (const [id, receivedAt] of deliveries) if (receivedAt < before.getTime()) deliveries.delete(id);
    },
  };

  const cursorsPort: CursorPort = {
    async get(workspaceId, name) {
      return cursors.get(inWorkspace(workspaceId, name))?.value ?? null;
    },
    async advance(workspaceId, name, from, to) {
      const key = inWorkspace(workspaceId, name);
      const current = cursors.has(key) ? (cursors.get(key)?.value ?? null) : null;
      if (current !== from) return false;
      cursors.set(key, { workspaceId, name, value: to });
      return true;
    },
  };

  const audit: AuditPort = {
    async append(entries, at) {
      appendAudit(entries, at);
    },
    async list(filter) {
      return auditLog
        .filter((entry) =>
          filter.approvalId !== undefined
            ? entry.approvalId === filter.approvalId
            : filter.milestoneId === undefined || entry.milestoneId === filter.milestoneId,
        )
        .reverse()
        .slice(0, filter.limit)
        .map(({ workspaceId: _, ...entry }) => structuredClone(entry));
    },
  };

  const leasesPort: LeasesPort = {
    async acquire(name, owner, now, ttlMs) {
      const current = leases.get(name);
      if (current !== undefined && current.owner !== owner && current.until > now.getTime()) return false;
      leases.set(name, { owner, until: now.getTime() + ttlMs });
      return true;
    },
    async release(name, owner) {
      if (leases.get(name)?.owner === owner) leases.delete(name);
    },
    async holder(name, now) {
      const current = leases.get(name);
      if (current === undefined || current.until <= now.getTime()) return null;
      return { owner: current.owner, until: new Date(current.until) };
    },
  };

  const health: HealthPort = {
    async ping() {},
    async probeWrite() {
      serviceState.set('readiness-probe', null);
    },
  };

  const state: ServiceStatePort = {
    async get(key) {
      return serviceState.get(key) ?? null;
    },
    async set(key, value) {
      serviceState.set(key, value);
    },
  };

  /** Rows named '' were written before workspaces existed: they move, refusing (like a primary key) a clash. */
  function adopt(workspaceId: WorkspaceId): void {
    const moves = [
      rekey(routes, (route) => routeKey(route.workspaceId, route.scope, route.targetId), workspaceId),
      rekey(homeTabs, (tab) => inWorkspace(tab.workspaceId, tab.userId), workspaceId),
      rekey(cursors, (cursor) => inWorkspace(cursor.workspaceId, cursor.name), workspaceId),
    ];
    for (const move of moves) move();
    for (const entry of approvals.values()) {
      if (entry.approval.workspaceId === '') entry.approval = { ...entry.approval, workspaceId };
    }
    for (const entry of effects.values()) {
      if (entry.workspaceId !== '') continue;
      entry.workspaceId = workspaceId;
      const effect = parseEffect(entry.payload);
      if (effect.kind === 'fund' && effect.request.workspaceId === '') {
        entry.payload = serializeEffect({ ...effect, request: { ...effect.request, workspaceId } });
      }
    }
    for (const entry of auditLog) if (entry.workspaceId === '') entry.workspaceId = workspaceId;
  }

  const retention: RetentionPort = {
    async prune(cutoffs, limit) {
      const before = (date: Date | null) => (date === null ? Number.NEGATIVE_INFINITY : date.getTime());
      const oldApprovals = [...approvals.values()]
        .filter(
          (entry) =>
            !pending(entry) &&
            (entry.approval.resolvedAt?.getTime() ?? Infinity) < before(cutoffs.approvalsEndedBefore),
        )
        .slice(0, limit);
      for (const entry of oldApprovals) approvals.delete(entry.approval.id);
      const oldEffects = [...effects.values()]
        .filter(
          (entry) =>
            entry.state !== 'pending' &&
            (finishedAt.get(entry.id) ?? Infinity) < before(cutoffs.effectsFinishedBefore),
        )
        .slice(0, limit);
      for (const entry of oldEffects) effects.delete(entry.key);
      const oldAudit = auditLog
        .filter((entry) => entry.at.getTime() < before(cutoffs.auditBefore))
        .slice(0, limit);
      for (const entry of oldAudit) auditLog.splice(auditLog.indexOf(entry), 1);
      return { approvals: oldApprovals.length, effects: oldEffects.length, audit: oldAudit.length };
    },
  };

  return {
    approvals: whileOpen(approvalsPort),
    outbox: whileOpen(outbox),
    routes: whileOpen(routesPort),
    homes: whileOpen(homes),
    inbound: whileOpen(inbound),
    cursors: whileOpen(cursorsPort),
    audit: whileOpen(audit),
    leases: whileOpen(leasesPort),
    health: whileOpen(health),
    state: whileOpen(state),
    retention: whileOpen(retention),
    async adoptUnownedRows(workspaceId) {
      if (closed) throw new Error('the store is closed');
      adopt(workspaceId);
    },
    async close() {
      closed = true;
    },
  };

  /** A closed store refuses every call, as a real one does. */
  function whileOpen<T extends object>(port: T): T {
    const guarded: Record<string, unknown> = {};
    for (const [name, method] of Object.entries(port)) {
      guarded[name] = async (...args: unknown[]) => {
        if (closed) throw new Error('the store is closed');
        return (method as (...a: unknown[]) => Promise<unknown>).apply(port, args);
      };
    }
    return guarded as T;
  }
}
