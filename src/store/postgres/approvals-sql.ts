import type { TrackedApproval } from '../../domain/approval.js';
import type { QueuedEffect } from '../../domain/effects.js';
import type {
  ApprovalsPort,
  EndedApproval,
  Ending,
  NewAuditEntry,
  NewTrackedApproval,
} from '../../ports/store.js';
import { type ApprovalRow, toApproval } from '../sqlite/rows.js';
import { endEntry, statusReportEntry } from '../status-report.js';
import type { Db, Queryable, Tx } from './db.js';

/** Joins the caller's transaction: an audit entry and effects written with the change they belong to. */
export interface Companions {
  appendAudit(tx: Tx, entries: readonly NewAuditEntry[], at: Date): Promise<void>;
  enqueue(tx: Tx, effects: readonly QueuedEffect[], at: Date): Promise<number>;
}

// Ties are broken by id, so every list has one order.
const sql = {
  insert: `
    INSERT INTO approvals (id, workspace_id, type, status, contract_id, milestone_id, job_id, proposal_id,
      approval_url, expires_at, resolved_at, result, created_at, requester, note, channel_id, approvers,
      context, context_retry_at, tracked_at, updated_at, requester_user_id, reported_status)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, $21,
      $22)
    ON CONFLICT (id) DO NOTHING`,
  end: `
    UPDATE approvals SET status = $2, resolved_at = $3, result = $4, version = version + 1,
      context_retry_at = NULL, card_refresh_at = NULL, reported_status = NULL, updated_at = $5
    WHERE id = $1 AND status = 'pending'
    RETURNING *`,
  // endMany: every change in one statement; the ids are distinct (one row may be updated once per statement).
  endMany: `
    UPDATE approvals a SET status = t.status, resolved_at = t.resolved_at, result = t.result,
      version = a.version + 1, context_retry_at = NULL, card_refresh_at = NULL, reported_status = NULL,
      updated_at = $5
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS t(id, status, resolved_at, result)
    WHERE a.id = t.id AND a.status = 'pending'
    RETURNING a.id, a.milestone_id, a.tracked_at`,
  reportStatus: `
    UPDATE approvals SET reported_status = $2::text, version = version + 1, updated_at = $3
    WHERE id = $1 AND status = 'pending' AND reported_status IS DISTINCT FROM $2::text
    RETURNING milestone_id`,
  cardChannels: `
    SELECT DISTINCT channel_id FROM approvals WHERE workspace_id = $1 AND status = 'pending'
    UNION
    SELECT DISTINCT channel_id FROM approvals WHERE workspace_id = $1 AND status <> 'pending' AND resolved_at >= $2`,
  pendingVisible: `
    SELECT * FROM approvals WHERE workspace_id = $1 AND status = 'pending'
      AND (channel_id = ANY($2::text[]) OR requester_user_id = $3)
    ORDER BY expires_at, id LIMIT $4`,
  countVisible: `
    SELECT COUNT(*) AS n FROM approvals WHERE workspace_id = $1 AND status = 'pending'
      AND (channel_id = ANY($2::text[]) OR requester_user_id = $3)`,
  endedVisible: `
    SELECT * FROM approvals WHERE workspace_id = $1 AND status <> 'pending' AND resolved_at >= $4
      AND (channel_id = ANY($2::text[]) OR requester_user_id = $3)
    ORDER BY resolved_at DESC, id LIMIT $5`,
  lapsed: `
    SELECT * FROM approvals WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2`,
  dueReminders: `
    SELECT * FROM approvals a WHERE a.status = 'pending' AND a.expires_at > $1 AND a.expires_at <= $2
      AND EXISTS (SELECT 1 FROM unnest($3::bigint[]) o(ms)
        WHERE a.expires_at - o.ms <= $1 AND a.expires_at - o.ms >= a.tracked_at
          AND (a.reminder_floor_ms IS NULL OR a.reminder_floor_ms > o.ms))
    ORDER BY a.expires_at, a.id LIMIT $4`,
  reminderFloor: `
    UPDATE approvals SET reminder_floor_ms = $2, updated_at = $3
    WHERE id = $1 AND status = 'pending' AND (reminder_floor_ms IS NULL OR reminder_floor_ms > $2)`,
  contextDue: `
    SELECT * FROM approvals WHERE status = 'pending' AND context_retry_at <= $1
    ORDER BY context_retry_at, id LIMIT $2`,
  contextFound: `
    UPDATE approvals SET context = $2, context_retry_at = NULL, version = version + 1, updated_at = $3
    WHERE id = $1 AND context IS NULL`,
  // A row that has its context already only loses its retry.
  contextDone: 'UPDATE approvals SET context_retry_at = NULL WHERE id = $1',
  contextRetry: `
    UPDATE approvals SET context_retry_at = $2 WHERE id = $1 AND context IS NULL AND status = 'pending'`,
  pendingOf: `
    SELECT * FROM approvals WHERE milestone_id = $2 AND workspace_id = $1 AND status = 'pending'
    ORDER BY expires_at DESC, id LIMIT 1`,
  shortestLifetime: `
    SELECT MIN(lifetime) AS ms FROM (
      (SELECT expires_at - created_at AS lifetime FROM approvals
        WHERE workspace_id = $1 AND status = 'pending' ORDER BY expires_at DESC LIMIT $2)
      UNION ALL
      (SELECT expires_at - created_at AS lifetime FROM approvals
        WHERE workspace_id = $1 AND status <> 'pending' ORDER BY resolved_at DESC LIMIT $2)) recent`,
  staleCountdowns: `
    SELECT id, workspace_id FROM approvals
    WHERE status = 'pending' AND card_refresh_at <= $1 AND card_version = version
    ORDER BY expires_at, id LIMIT $2`,
  refreshCountdown: `
    UPDATE approvals SET version = version + 1, card_refresh_at = NULL, updated_at = $2
    WHERE id = $1 AND status = 'pending' AND card_version = version`,
  cardPosted: `
    UPDATE approvals SET card_channel_id = $2, card_ts = $3, card_version = GREATEST(card_version, $4),
      card_refresh_at = $5, updated_at = $6
    WHERE id = $1 AND (card_ts IS NULL OR card_ts = $3)`,
  card: 'SELECT card_channel_id, card_ts, card_permalink FROM approvals WHERE id = $1',
  permalink: 'UPDATE approvals SET card_permalink = $3 WHERE id = $1 AND card_ts = $2',
  forget: `
    UPDATE approvals SET card_ts = NULL, card_channel_id = NULL, card_permalink = NULL, card_version = 0
    WHERE id = $1 AND card_ts = $2`,
};

async function rows(db: Queryable, text: string, values: readonly unknown[]): Promise<TrackedApproval[]> {
  return (await db.query<ApprovalRow>(text, values)).rows.map(toApproval);
}

async function get(db: Queryable, id: string): Promise<TrackedApproval | undefined> {
  return (await rows(db, 'SELECT * FROM approvals WHERE id = $1', [id]))[0];
}

/** The first of two changes for one approval is the one that applies, as it would one after the other. */
function firstPerApproval(endings: readonly Ending[]): Ending[] {
  const seen = new Set<string>();
  return endings.filter(({ transition }) => {
    if (seen.has(transition.approvalId)) return false;
    seen.add(transition.approvalId);
    return true;
  });
}

export function createApprovalsSql(db: Db, companions: Companions): ApprovalsPort {
  /** Runs `change` and, when it changed a row, enqueues the effects that go with it, atomically. */
  function changeWith(change: (tx: Tx) => Promise<number>, effects: readonly QueuedEffect[], at: Date) {
    return db.transaction(async (tx) => {
      if ((await change(tx)) === 0) return false;
      await companions.enqueue(tx, effects, at);
      return true;
    });
  }
  const changed = async (tx: Tx, text: string, values: readonly unknown[]) =>
    (await tx.query(text, values)).rowCount ?? 0;

  return {
    track: (input, at, audit, effects) =>
      db.transaction(async (tx) => {
        const created = (await changed(tx, sql.insert, insertParams(input, at))) === 1;
        await companions.appendAudit(tx, [audit(created)], at);
        await companions.enqueue(tx, effects(created), at);
        const row = await get(tx, input.approval.id);
        if (row === undefined)
          throw new Error(`approval ${input.approval.id} vanished while it was being tracked`);
        return { approval: row, created };
      }),
    get: (id) => get(db, id),
    async getMany(ids) {
      const found = await rows(db, 'SELECT * FROM approvals WHERE id = ANY($1::text[])', [ids]);
      const byId = new Map(found.map((row) => [row.id, row]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
    end: (t, at, effects) =>
      db.transaction(async (tx) => {
        const result = t.result === null ? null : JSON.stringify(t.result);
        const values = [t.approvalId, t.status, t.resolvedAt?.getTime() ?? null, result, at.getTime()];
        const [row] = await rows(tx, sql.end, values);
        if (row === undefined) return undefined;
        await companions.appendAudit(tx, [endEntry(t, row.milestoneId)], at);
        await companions.enqueue(tx, effects, at);
        return row;
      }),
    endMany: async (endings, at) => {
      const distinct = firstPerApproval(endings);
      if (distinct.length === 0) return [];
      return db.transaction(async (tx) => {
        const ts = distinct.map((ending) => ending.transition);
        const { rows: changed } = await tx.query<{
          id: string;
          milestone_id: string | null;
          tracked_at: number;
        }>(sql.endMany, [
          ts.map((t) => t.approvalId),
          ts.map((t) => t.status),
          ts.map((t) => t.resolvedAt?.getTime() ?? null),
          ts.map((t) => (t.result === null ? null : JSON.stringify(t.result))),
          at.getTime(),
        ]);
        const byId = new Map(changed.map((row) => [row.id, row]));
        const ended: EndedApproval[] = [];
        const entries: NewAuditEntry[] = [];
        const effects: QueuedEffect[] = [];
        for (const { transition: t, effects: queued } of distinct) {
          const row = byId.get(t.approvalId);
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
        await companions.appendAudit(tx, entries, at);
        await companions.enqueue(tx, effects, at);
        return ended;
      });
    },
    reportStatus: (id, reported, source, at, effects) =>
      db.transaction(async (tx) => {
        const result = await tx.query<{ milestone_id: string | null }>(sql.reportStatus, [
          id,
          reported,
          at.getTime(),
        ]);
        const [row] = result.rows;
        if (row === undefined) return false;
        await companions.appendAudit(tx, [statusReportEntry(id, row.milestone_id, reported, source)], at);
        await companions.enqueue(tx, effects, at);
        return true;
      }),
    listLapsed: (now, limit) => rows(db, sql.lapsed, [now.getTime(), limit]),
    listDueReminders: async (now, offsetsMs, limit) =>
      offsetsMs.length === 0
        ? []
        : rows(db, sql.dueReminders, [
            now.getTime(),
            now.getTime() + Math.max(...offsetsMs),
            [...offsetsMs],
            limit,
          ]),
    remind: (approvalId, offsetMs, effects, at) =>
      changeWith((tx) => changed(tx, sql.reminderFloor, [approvalId, offsetMs, at.getTime()]), effects, at),
    listContextRetries: (now, limit) => rows(db, sql.contextDue, [now.getTime(), limit]),
    recordContext: (id, context, effects, at) =>
      changeWith(
        async (tx) => {
          const found = await changed(tx, sql.contextFound, [id, JSON.stringify(context), at.getTime()]);
          if (found === 0) await tx.query(sql.contextDone, [id]);
          return found;
        },
        effects,
        at,
      ),
    async postponeContext(id, retryAt) {
      await db.query(sql.contextRetry, [id, retryAt?.getTime() ?? null]);
    },
    async listStaleCountdowns(now, limit) {
      const { rows: found } = await db.query<{ id: string; workspace_id: string }>(sql.staleCountdowns, [
        now.getTime(),
        limit,
      ]);
      return found.map((row) => ({ id: row.id, workspaceId: row.workspace_id }));
    },
    refreshCountdown: (id, effects, at) =>
      changeWith((tx) => changed(tx, sql.refreshCountdown, [id, at.getTime()]), effects, at),
    recordCard: (id, card, at) =>
      db.transaction(async (tx) => {
        const refreshAt = card.refreshAt?.getTime() ?? null;
        const values = [id, card.channelId, card.ts, card.version, refreshAt, at.getTime()];
        if ((await changed(tx, sql.cardPosted, values)) === 1) return null;
        type CardRow = {
          card_channel_id: string | null;
          card_ts: string | null;
          card_permalink: string | null;
        };
        const [existing] = (await tx.query<CardRow>(sql.card, [id])).rows;
        if (existing?.card_ts == null || existing.card_channel_id === null) return null;
        return {
          channelId: existing.card_channel_id,
          ts: existing.card_ts,
          permalink: existing.card_permalink,
        };
      }),
    async recordPermalink(id, ts, permalink) {
      await db.query(sql.permalink, [id, ts, permalink]);
    },
    async forgetCard(id, ts) {
      await db.query(sql.forget, [id, ts]);
    },
    async listCardChannels(workspaceId, endedSince) {
      const result = await db.query<{ channel_id: string }>(sql.cardChannels, [
        workspaceId,
        endedSince.getTime(),
      ]);
      return result.rows.map((row) => row.channel_id);
    },
    async listForViewer(workspaceId, viewer, endedSince, limits) {
      const who = [workspaceId, [...viewer.channelIds], viewer.userId];
      const [pending, total, outcomes] = await Promise.all([
        rows(db, sql.pendingVisible, [...who, limits.pending]),
        db.query<{ n: string }>(sql.countVisible, who),
        rows(db, sql.endedVisible, [...who, endedSince.getTime(), limits.outcomes]),
      ]);
      return { pending, pendingTotal: Number(total.rows[0]?.n ?? 0), outcomes };
    },
    findPendingOf: async (workspaceId, milestoneId) =>
      (await rows(db, sql.pendingOf, [workspaceId, milestoneId]))[0],
    async shortestLifetimeMs(workspaceId, sample) {
      const result = await db.query<{ ms: string | null }>(sql.shortestLifetime, [workspaceId, sample]);
      const ms = result.rows[0]?.ms;
      return ms === null || ms === undefined ? undefined : Number(ms);
    },
    async countByStatus() {
      const result = await db.query<{ status: string; count: string }>(
        'SELECT status, COUNT(*) AS count FROM approvals GROUP BY status',
      );
      return Object.fromEntries(result.rows.map((row) => [row.status, Number(row.count)]));
    },
  };
}

function insertParams(input: NewTrackedApproval, at: Date): unknown[] {
  const { approval } = input;
  const json = (value: unknown) => (value === null ? null : JSON.stringify(value));
  return [
    approval.id,
    input.workspaceId,
    approval.type,
    approval.status,
    approval.contractId,
    approval.milestoneId,
    approval.jobId,
    approval.proposalId,
    approval.approvalUrl,
    approval.expiresAt.getTime(),
    approval.resolvedAt?.getTime() ?? null,
    json(approval.result),
    approval.createdAt.getTime(),
    JSON.stringify(input.requester),
    input.note,
    input.channelId,
    JSON.stringify(input.approvers),
    json(input.context),
    input.contextRetryAt?.getTime() ?? null,
    at.getTime(),
    input.requester.kind === 'slack' ? input.requester.userId : null,
    approval.status === 'pending' ? approval.reportedStatus : null,
  ];
}
