import type { Database } from 'better-sqlite3';
import type { TrackedApproval, Transition } from '../../domain/approval.js';
import type { QueuedEffect } from '../../domain/effects.js';
import type {
  ApprovalsPort,
  EndedApproval,
  Ending,
  NewAuditEntry,
  NewTrackedApproval,
} from '../../ports/store.js';
import { endEntry, statusReportEntry } from '../status-report.js';
import { type ApprovalRow, toApproval } from './rows.js';

/** Joins the caller's transaction: an audit entry and effects written with the change they belong to. */
export interface Companions {
  appendAudit(entries: readonly NewAuditEntry[], at: Date): void;
  enqueue(effects: readonly QueuedEffect[], at: Date): number;
}

export function createApprovalsSql(db: Database, companions: Companions): ApprovalsPort {
  const statements = {
    get: db.prepare<[string], ApprovalRow>('SELECT * FROM approvals WHERE id = ?'),
    byStatus: db.prepare<[], { status: string; count: number }>(
      'SELECT status, COUNT(*) AS count FROM approvals GROUP BY status',
    ),
    insert: db.prepare(`
      INSERT INTO approvals (id, workspace_id, type, status, contract_id, milestone_id, job_id, proposal_id,
        approval_url, expires_at, resolved_at, result, created_at, requester, requester_user_id, note,
        channel_id, approvers, context, context_retry_at, tracked_at, updated_at, reported_status)
      VALUES (@id, @workspaceId, @type, @status, @contractId, @milestoneId, @jobId, @proposalId, @approvalUrl,
        @expiresAt, @resolvedAt, @result, @createdAt, @requester, @requesterUserId, @note, @channelId,
        @approvers, @context, @contextRetryAt, @at, @at, @reportedStatus)
      ON CONFLICT (id) DO NOTHING`),
    end: db.prepare(`
      UPDATE approvals SET status = @status, resolved_at = @resolvedAt, result = @result, version = version + 1,
        context_retry_at = NULL, card_refresh_at = NULL, reported_status = NULL, updated_at = @at
      WHERE id = @id AND status = 'pending'`),
    // The same change as `end`, answering only what endMany returns (no row to read back and parse).
    endReturning: db.prepare<
      { id: string; status: string; resolvedAt: number | null; result: string | null; at: number },
      { milestone_id: string | null; tracked_at: number }
    >(`
      UPDATE approvals SET status = @status, resolved_at = @resolvedAt, result = @result, version = version + 1,
        context_retry_at = NULL, card_refresh_at = NULL, reported_status = NULL, updated_at = @at
      WHERE id = @id AND status = 'pending'
      RETURNING milestone_id, tracked_at`),
    reportStatus: db.prepare(`
      UPDATE approvals SET reported_status = @reported, version = version + 1, updated_at = @at
      WHERE id = @id AND status = 'pending' AND reported_status IS NOT @reported`),
    ...viewerStatements(db),
    pendingOf: db.prepare<[string, string], ApprovalRow>(`
      SELECT * FROM approvals INDEXED BY approvals_by_milestone
      WHERE milestone_id = ? AND workspace_id = ? AND status = 'pending' ORDER BY expires_at DESC LIMIT 1`),
    shortestLifetime: db.prepare<[string, number, string, number], { ms: number | null }>(`
      SELECT MIN(lifetime) AS ms FROM (
        SELECT * FROM (SELECT expires_at - created_at AS lifetime FROM approvals INDEXED BY approvals_pending_expiry
          WHERE workspace_id = ? AND status = 'pending' ORDER BY expires_at DESC LIMIT ?)
        UNION ALL
        SELECT * FROM (SELECT expires_at - created_at AS lifetime FROM approvals INDEXED BY approvals_ended_at
          WHERE workspace_id = ? AND status <> 'pending' ORDER BY resolved_at DESC LIMIT ?))`),
    lapsed: db.prepare<[number, number], ApprovalRow>(`
      SELECT * FROM approvals INDEXED BY approvals_pending_expiry WHERE status = 'pending' AND expires_at <= ?
      ORDER BY expires_at LIMIT ?`),
    // The offsets are a JSON array; every test runs on the covering index (expires_at, tracked_at, floor).
    dueReminders: db.prepare<{ now: number; horizon: number; offsets: string; limit: number }, ApprovalRow>(`
      SELECT * FROM approvals a INDEXED BY approvals_pending_expiry
      WHERE a.status = 'pending' AND a.expires_at > @now AND a.expires_at <= @horizon
        AND EXISTS (SELECT 1 FROM json_each(@offsets) o
          WHERE a.expires_at - o.value <= @now AND a.expires_at - o.value >= a.tracked_at
            AND (a.reminder_floor_ms IS NULL OR a.reminder_floor_ms > o.value))
      ORDER BY a.expires_at LIMIT @limit`),
    reminderFloor: db.prepare(`
      UPDATE approvals SET reminder_floor_ms = @offset, updated_at = @at
      WHERE id = @id AND status = 'pending' AND (reminder_floor_ms IS NULL OR reminder_floor_ms > @offset)`),
    contextDue: db.prepare<[number, number], ApprovalRow>(`
      SELECT * FROM approvals INDEXED BY approvals_context_due WHERE status = 'pending' AND context_retry_at <= ?
      ORDER BY context_retry_at LIMIT ?`),
    contextFound: db.prepare(`
      UPDATE approvals SET context = @context, context_retry_at = NULL, version = version + 1, updated_at = @at
      WHERE id = @id AND context IS NULL`),
    // A row that has its context already only loses its retry.
    contextDone: db.prepare('UPDATE approvals SET context_retry_at = NULL WHERE id = ?'),
    contextRetry: db.prepare(`
      UPDATE approvals SET context_retry_at = @next WHERE id = @id AND context IS NULL AND status = 'pending'`),
    staleCountdowns: db.prepare<[number, number], { id: string; workspace_id: string }>(`
      SELECT id, workspace_id FROM approvals INDEXED BY approvals_countdown_due
      WHERE status = 'pending' AND card_refresh_at <= ? AND card_version = version
      ORDER BY expires_at LIMIT ?`),
    refreshCountdown: db.prepare(`
      UPDATE approvals SET version = version + 1, card_refresh_at = NULL, updated_at = @at
      WHERE id = @id AND status = 'pending' AND card_version = version`),
    card: db.prepare<
      [string],
      { card_channel_id: string | null; card_ts: string | null; card_permalink: string | null }
    >('SELECT card_channel_id, card_ts, card_permalink FROM approvals WHERE id = ?'),
    cardPosted: db.prepare(`
      UPDATE approvals SET card_channel_id = @channelId, card_ts = @ts, card_version = MAX(card_version, @version),
        card_refresh_at = @refreshAt, updated_at = @at
      WHERE id = @id AND (card_ts IS NULL OR card_ts = @ts)`),
    permalink: db.prepare(
      'UPDATE approvals SET card_permalink = @permalink WHERE id = @id AND card_ts = @ts',
    ),
    forget: db.prepare(`
      UPDATE approvals SET card_ts = NULL, card_channel_id = NULL, card_permalink = NULL, card_version = 0
      WHERE id = @id AND card_ts = @ts`),
  };

  function get(id: string): TrackedApproval | undefined {
    const row = statements.get.get(id);
    return row === undefined ? undefined : toApproval(row);
  }

  const track = db.transaction(
    (
      input: NewTrackedApproval,
      at: Date,
      audit: (created: boolean) => NewAuditEntry,
      effects: (created: boolean) => readonly QueuedEffect[],
    ) => {
      const created = statements.insert.run(insertParams(input, at)).changes === 1;
      companions.appendAudit([audit(created)], at);
      companions.enqueue(effects(created), at);
      const row = get(input.approval.id);
      if (row === undefined)
        throw new Error(`approval ${input.approval.id} vanished while it was being tracked`);
      return { approval: row, created };
    },
  );

  const endParams = (t: Transition, at: Date) => ({
    id: t.approvalId,
    status: t.status,
    resolvedAt: t.resolvedAt?.getTime() ?? null,
    result: t.result === null ? null : JSON.stringify(t.result),
    at: at.getTime(),
  });

  const end = db.transaction((t: Transition, at: Date, effects: readonly QueuedEffect[]) => {
    if (statements.end.run(endParams(t, at)).changes === 0) return undefined;
    const row = get(t.approvalId);
    companions.appendAudit([endEntry(t, row?.milestoneId ?? null)], at);
    companions.enqueue(effects, at);
    return row;
  });

  /** One commit for them all: a commit is most of what ending one approval costs. */
  const endMany = db.transaction((endings: readonly Ending[], at: Date) => {
    const ended: EndedApproval[] = [];
    const entries: NewAuditEntry[] = [];
    const effects: QueuedEffect[] = [];
    for (const { transition: t, effects: queued } of endings) {
      const row = statements.endReturning.get(endParams(t, at));
      if (row === undefined) continue;
      ended.push({
        id: t.approvalId,
        status: t.status,
        resolvedAt: t.resolvedAt,
        trackedAt: new Date(row.tracked_at),
      });
      entries.push(endEntry(t, row.milestone_id));
      effects.push(...queued);
    }
    companions.appendAudit(entries, at);
    companions.enqueue(effects, at);
    return ended;
  });

  /** Runs `change` and, when it changed a row, enqueues the effects that go with it, atomically. */
  const changeWith = db.transaction((change: () => number, effects: readonly QueuedEffect[], at: Date) => {
    if (change() === 0) return false;
    companions.enqueue(effects, at);
    return true;
  });

  const reportStatus = db.transaction(
    (id: string, reported: string | null, source: string, at: Date, effects: readonly QueuedEffect[]) => {
      if (statements.reportStatus.run({ id, reported, at: at.getTime() }).changes === 0) return false;
      companions.appendAudit([statusReportEntry(id, get(id)?.milestoneId ?? null, reported, source)], at);
      companions.enqueue(effects, at);
      return true;
    },
  );

  return {
    async track(input, at, audit, effects) {
      return track.immediate(input, at, audit, effects);
    },
    async get(id) {
      return get(id);
    },
    async getMany(ids) {
      return ids.map(get).filter((row): row is TrackedApproval => row !== undefined);
    },
    async end(transition, at, effects) {
      return end.immediate(transition, at, effects);
    },
    async endMany(endings, at) {
      return endings.length === 0 ? [] : endMany.immediate(endings, at);
    },
    async reportStatus(id, reported, source, at, effects) {
      return reportStatus.immediate(id, reported, source, at, effects);
    },
    async listLapsed(now, limit) {
      return statements.lapsed.all(now.getTime(), limit).map(toApproval);
    },
    async listDueReminders(now, offsetsMs, limit) {
      if (offsetsMs.length === 0) return [];
      const from = now.getTime();
      const horizon = from + Math.max(...offsetsMs);
      const offsets = JSON.stringify(offsetsMs);
      return statements.dueReminders.all({ now: from, horizon, offsets, limit }).map(toApproval);
    },
    async remind(approvalId, offsetMs, effects, at) {
      const change = () =>
        statements.reminderFloor.run({ id: approvalId, offset: offsetMs, at: at.getTime() }).changes;
      return changeWith.immediate(change, effects, at);
    },
    async listContextRetries(now, limit) {
      return statements.contextDue.all(now.getTime(), limit).map(toApproval);
    },
    async recordContext(id, context, effects, at) {
      const change = () => {
        const found = statements.contextFound.run({ id, context: JSON.stringify(context), at: at.getTime() });
        if (found.changes === 0) statements.contextDone.run(id);
        return found.changes;
      };
      return changeWith.immediate(change, effects, at);
    },
    async postponeContext(id, retryAt) {
      statements.contextRetry.run({ id, next: retryAt?.getTime() ?? null });
    },
    async listStaleCountdowns(now, limit) {
      return statements.staleCountdowns
        .all(now.getTime(), limit)
        .map((row) => ({ id: row.id, workspaceId: row.workspace_id }));
    },
    async refreshCountdown(id, effects, at) {
      const change = () => statements.refreshCountdown.run({ id, at: at.getTime() }).changes;
      return changeWith.immediate(change, effects, at);
    },
    async recordCard(id, card, at) {
      const refreshAt = card.refreshAt?.getTime() ?? null;
      const params = { id, ...card, refreshAt, at: at.getTime() };
      if (statements.cardPosted.run(params).changes === 1) return null;
      const existing = statements.card.get(id);
      if (existing?.card_ts == null || existing.card_channel_id === null) return null;
      return {
        channelId: existing.card_channel_id,
        ts: existing.card_ts,
        permalink: existing.card_permalink,
      };
    },
    async recordPermalink(id, ts, permalink) {
      statements.permalink.run({ id, ts, permalink });
    },
    async forgetCard(id, ts) {
      statements.forget.run({ id, ts });
    },
    async findPendingOf(workspaceId, milestoneId) {
      const row = statements.pendingOf.get(milestoneId, workspaceId);
      return row === undefined ? undefined : toApproval(row);
    },
    async shortestLifetimeMs(workspaceId, sample) {
      return statements.shortestLifetime.get(workspaceId, sample, workspaceId, sample)?.ms ?? undefined;
    },
    async countByStatus() {
      const rows = statements.byStatus.all();
      return Object.fromEntries(rows.map((row) => [row.status, row.count]));
    },
    async listCardChannels(workspaceId, endedSince) {
      return statements.cardChannels
        .all(workspaceId, workspaceId, endedSince.getTime())
        .map((row) => row.channel_id);
    },
    async listForViewer(workspaceId, viewer, endedSince, limits) {
      return listForViewer(statements, workspaceId, viewer, endedSince.getTime(), limits);
    },
  };
}

function insertParams(input: NewTrackedApproval, at: Date) {
  const { approval } = input;
  return {
    id: approval.id,
    workspaceId: input.workspaceId,
    type: approval.type,
    status: approval.status,
    contractId: approval.contractId,
    milestoneId: approval.milestoneId,
    jobId: approval.jobId,
    proposalId: approval.proposalId,
    approvalUrl: approval.approvalUrl,
    expiresAt: approval.expiresAt.getTime(),
    resolvedAt: approval.resolvedAt?.getTime() ?? null,
    result: approval.result === null ? null : JSON.stringify(approval.result),
    createdAt: approval.createdAt.getTime(),
    requester: JSON.stringify(input.requester),
    requesterUserId: input.requester.kind === 'slack' ? input.requester.userId : null,
    note: input.note,
    channelId: input.channelId,
    approvers: JSON.stringify(input.approvers),
    context: input.context === null ? null : JSON.stringify(input.context),
    contextRetryAt: input.contextRetryAt?.getTime() ?? null,
    reportedStatus: approval.status === 'pending' ? approval.reportedStatus : null,
    at: at.getTime(),
  };
}

/** App Home's queries: per channel and per requester, each on its own partial index, soonest first. */
function viewerStatements(db: Database) {
  return {
    cardChannels: db.prepare<[string, string, number], { channel_id: string }>(`
      SELECT channel_id FROM approvals INDEXED BY approvals_pending_channel
        WHERE workspace_id = ? AND status = 'pending'
      UNION
      SELECT channel_id FROM approvals INDEXED BY approvals_ended_channel
        WHERE workspace_id = ? AND status <> 'pending' AND resolved_at >= ?`),
    pendingInChannel: db.prepare<[string, string, number], ApprovalRow>(`
      SELECT * FROM approvals INDEXED BY approvals_pending_channel
      WHERE workspace_id = ? AND channel_id = ? AND status = 'pending' ORDER BY expires_at LIMIT ?`),
    countInChannel: db.prepare<[string, string], { n: number }>(`
      SELECT COUNT(*) AS n FROM approvals INDEXED BY approvals_pending_channel
      WHERE workspace_id = ? AND channel_id = ? AND status = 'pending'`),
    pendingOfRequester: db.prepare<[string, string, number], ApprovalRow>(`
      SELECT * FROM approvals INDEXED BY approvals_pending_requester
      WHERE workspace_id = ? AND requester_user_id = ? AND status = 'pending' ORDER BY expires_at LIMIT ?`),
    // The requester's pending approvals outside the viewer's channels: counted once, not twice.
    countOfRequesterElsewhere: db.prepare<[string, string, string], { n: number }>(`
      SELECT COUNT(*) AS n FROM approvals INDEXED BY approvals_pending_requester
      WHERE workspace_id = ? AND requester_user_id = ? AND status = 'pending'
        AND channel_id NOT IN (SELECT value FROM json_each(?))`),
    endedInChannel: db.prepare<[string, string, number, number], ApprovalRow>(`
      SELECT * FROM approvals INDEXED BY approvals_ended_channel
      WHERE workspace_id = ? AND channel_id = ? AND status <> 'pending' AND resolved_at >= ?
      ORDER BY resolved_at DESC LIMIT ?`),
    endedOfRequester: db.prepare<[string, string, number, number], ApprovalRow>(`
      SELECT * FROM approvals INDEXED BY approvals_ended_requester
      WHERE workspace_id = ? AND requester_user_id = ? AND status <> 'pending' AND resolved_at >= ?
      ORDER BY resolved_at DESC LIMIT ?`),
  };
}

type ViewerStatements = ReturnType<typeof viewerStatements>;

/** The first `limit` of several lists each sorted by `key`, without repeats. */
function mergeFirst(
  lists: readonly ApprovalRow[][],
  key: (row: ApprovalRow) => number,
  limit: number,
): ApprovalRow[] {
  const seen = new Map<string, ApprovalRow>();
  for (const row of lists.flat()) seen.set(row.id, row);
  return [...seen.values()].sort((a, b) => key(a) - key(b)).slice(0, limit);
}

function listForViewer(
  statements: ViewerStatements,
  workspaceId: string,
  viewer: { readonly userId: string; readonly channelIds: readonly string[] },
  endedSince: number,
  limits: { readonly pending: number; readonly outcomes: number },
) {
  const channels = [...new Set(viewer.channelIds)];
  const pending = mergeFirst(
    [
      ...channels.map((channel) => statements.pendingInChannel.all(workspaceId, channel, limits.pending)),
      statements.pendingOfRequester.all(workspaceId, viewer.userId, limits.pending),
    ],
    (row) => row.expires_at,
    limits.pending,
  );
  const inChannels = channels.reduce(
    (sum, channel) => sum + (statements.countInChannel.get(workspaceId, channel)?.n ?? 0),
    0,
  );
  const elsewhere =
    statements.countOfRequesterElsewhere.get(workspaceId, viewer.userId, JSON.stringify(channels))?.n ?? 0;
  const outcomes = mergeFirst(
    [
      ...channels.map((channel) =>
        statements.endedInChannel.all(workspaceId, channel, endedSince, limits.outcomes),
      ),
      statements.endedOfRequester.all(workspaceId, viewer.userId, endedSince, limits.outcomes),
    ],
    (row) => -(row.resolved_at ?? 0),
    limits.outcomes,
  );
  return {
    pending: pending.map(toApproval),
    pendingTotal: inChannels + elsewhere,
    outcomes: outcomes.map(toApproval),
  };
}
