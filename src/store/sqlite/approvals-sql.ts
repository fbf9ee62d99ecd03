import type { Database } from 'better-sqlite3';
import type { TrackedApproval, Transition } from '../../approvals/types.js';
import type { ApprovalRepository, NewAuditEntry, NewEffect, NewTrackedApproval } from '../store.js';
import { type ApprovalRow, toApproval } from './rows.js';

export function createApprovalsSql(
  db: Database,
  appendAuditNow: (entries: readonly NewAuditEntry[], at: Date) => void,
  enqueueNow: (effects: readonly NewEffect[], at: Date) => number,
): ApprovalRepository {
  const statements = {
    get: db.prepare<[string], ApprovalRow>('SELECT * FROM approvals WHERE id = ?'),
    insert: db.prepare(`
      INSERT INTO approvals (id, type, status, contract_id, milestone_id, job_id, proposal_id, approval_url,
        expires_at, resolved_at, result, created_at, requester, note, channel_id, approvers, context,
        context_retry_at, card_next_attempt_at, tracked_at, updated_at)
      VALUES (@id, @type, @status, @contractId, @milestoneId, @jobId, @proposalId, @approvalUrl,
        @expiresAt, @resolvedAt, @result, @createdAt, @requester, @note, @channelId, @approvers, @context,
        @contextRetryAt, @at, @at, @at)
      ON CONFLICT (id) DO NOTHING`),
    transition: db.prepare(`
      UPDATE approvals SET status = @status, resolved_at = @resolvedAt, result = @result, version = version + 1,
        card_next_attempt_at = @at, card_attempts = 0, context_retry_at = NULL, updated_at = @at
      WHERE id = @id AND status = 'pending'`),
    forHome: db.prepare<[number, number], ApprovalRow>(`
      SELECT * FROM approvals WHERE status = 'pending' OR resolved_at >= ? ORDER BY tracked_at DESC LIMIT ?`),
    lapsed: db.prepare<[number, number], ApprovalRow>(`
      SELECT * FROM approvals WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?`),
    reminderCandidates: db.prepare<[number, number], ApprovalRow>(`
      SELECT * FROM approvals WHERE status = 'pending' AND expires_at > ? AND expires_at <= ?
      ORDER BY expires_at`),
    reminderFloor: db.prepare(`
      UPDATE approvals SET reminder_floor_ms = @offset, updated_at = @at
      WHERE id = @id AND status = 'pending' AND (reminder_floor_ms IS NULL OR reminder_floor_ms > @offset)`),
    contextDue: db.prepare<[number, number], ApprovalRow>(`
      SELECT * FROM approvals WHERE status = 'pending' AND context_retry_at <= ?
      ORDER BY context_retry_at LIMIT ?`),
    // A row that has its context already only loses its retry: the card changes only when the context is new.
    contextFound: db.prepare(`
      UPDATE approvals SET context = COALESCE(context, @context), context_retry_at = NULL,
        version = version + (context IS NULL),
        card_next_attempt_at = CASE WHEN context IS NULL THEN MIN(card_next_attempt_at, @at)
          ELSE card_next_attempt_at END,
        updated_at = @at
      WHERE id = @id`),
    contextRetry: db.prepare(`
      UPDATE approvals SET context_retry_at = @next WHERE id = @id AND context IS NULL AND status = 'pending'`),
    refreshCountdowns: db.prepare(`
      UPDATE approvals SET version = version + 1, card_refresh_at = NULL, card_next_attempt_at = @now,
        updated_at = @now
      WHERE status = 'pending' AND card_refresh_at <= @now AND card_version = version`),
    claimCards: db.prepare<
      { owner: string; until: number; now: number; limit: number; id: string | null },
      ApprovalRow
    >(`
      UPDATE approvals SET card_lease_owner = @owner, card_lease_until = @until
      WHERE id IN (
        SELECT id FROM approvals
        WHERE card_version < version AND card_next_attempt_at <= @now
          AND (card_lease_until IS NULL OR card_lease_until <= @now)
          AND (@id IS NULL OR id = @id)
        ORDER BY card_next_attempt_at LIMIT @limit)
      RETURNING *`),
    cardSynced: db.prepare(`
      UPDATE approvals SET card_channel_id = @channelId, card_ts = @ts,
        card_version = MAX(card_version, @version),
        card_refresh_at = @refreshAt, card_attempts = 0, card_error = NULL, updated_at = @at,
        card_lease_owner = CASE WHEN card_lease_owner = @owner THEN NULL ELSE card_lease_owner END,
        card_lease_until = CASE WHEN card_lease_owner = @owner THEN NULL ELSE card_lease_until END
      WHERE id = @id AND (card_ts IS NULL OR card_ts = @ts)`),
    cardPermalink: db.prepare(
      'UPDATE approvals SET card_permalink = @permalink WHERE id = @id AND card_ts = @ts',
    ),
    cardFailed: db.prepare(`
      UPDATE approvals SET card_attempts = card_attempts + 1, card_error = @error, card_next_attempt_at = @next,
        card_ts = CASE WHEN @forget = 1 THEN NULL ELSE card_ts END,
        card_channel_id = CASE WHEN @forget = 1 THEN NULL ELSE card_channel_id END,
        card_permalink = CASE WHEN @forget = 1 THEN NULL ELSE card_permalink END,
        card_lease_owner = NULL, card_lease_until = NULL
      WHERE id = @id AND card_lease_owner = @owner`),
  };

  function get(id: string): TrackedApproval | undefined {
    const row = statements.get.get(id);
    return row === undefined ? undefined : toApproval(row);
  }

  const track = db.transaction(
    (input: NewTrackedApproval, at: Date, entry: (created: boolean) => NewAuditEntry) => {
      const { approval } = input;
      const created =
        statements.insert.run({
          id: approval.id,
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
          note: input.note,
          channelId: input.channelId,
          approvers: JSON.stringify(input.approvers),
          context: input.context === null ? null : JSON.stringify(input.context),
          contextRetryAt: input.contextRetryAt?.getTime() ?? null,
          at: at.getTime(),
        }).changes === 1;
      appendAuditNow([entry(created)], at);
      const row = get(approval.id);
      if (row === undefined) throw new Error(`approval ${approval.id} vanished while it was being tracked`);
      return { approval: row, created };
    },
  );

  const transition = db.transaction((t: Transition, at: Date, effects: readonly NewEffect[]) => {
    const changed = statements.transition.run({
      id: t.approvalId,
      status: t.status,
      resolvedAt: t.resolvedAt?.getTime() ?? null,
      result: t.result === null ? null : JSON.stringify(t.result),
      at: at.getTime(),
    }).changes;
    if (changed === 0) return undefined;
    const row = get(t.approvalId);
    appendAuditNow(
      [
        {
          approvalId: t.approvalId,
          milestoneId: row?.milestoneId ?? null,
          actor: t.source.startsWith('countersign') ? 'countersign' : 'opentrain',
          action: t.status,
          detail: { source: t.source, ...(t.result === null ? {} : { result: t.result }) },
        },
      ],
      at,
    );
    enqueueNow(effects, at);
    return row;
  });

  const remind = db.transaction(
    (approvalId: string, offsetMs: number, effects: readonly NewEffect[], at: Date) => {
      const changed = statements.reminderFloor.run({
        id: approvalId,
        offset: offsetMs,
        at: at.getTime(),
      }).changes;
      if (changed === 0) return false;
      enqueueNow(effects, at);
      return true;
    },
  );

  return {
    async trackApproval(input, at, entry) {
      return track.immediate(input, at, entry);
    },
    async getApproval(id) {
      return get(id);
    },
    async getApprovals(ids) {
      return ids.map(get).filter((row): row is TrackedApproval => row !== undefined);
    },
    async recordTransition(t, at, effects) {
      return transition.immediate(t, at, effects);
    },
    async listForHome(endedSince, limit) {
      return statements.forHome.all(endedSince.getTime(), limit).map(toApproval);
    },
    async listLapsedPending(now, limit) {
      return statements.lapsed.all(now.getTime(), limit).map(toApproval);
    },
    async listReminderCandidates(now, horizonMs) {
      return statements.reminderCandidates.all(now.getTime(), now.getTime() + horizonMs).map(toApproval);
    },
    async scheduleReminder(approvalId, offsetMs, effects, at) {
      return remind.immediate(approvalId, offsetMs, effects, at);
    },
    async claimCards(lease, approvalId) {
      const now = lease.now.getTime();
      return statements.claimCards
        .all({
          owner: lease.owner,
          until: now + lease.leaseMs,
          now,
          limit: lease.limit,
          id: approvalId ?? null,
        })
        .map(toApproval);
    },
    async recordCardSynced(id, owner, card, at) {
      const refreshAt = card.refreshAt?.getTime() ?? null;
      return statements.cardSynced.run({ id, owner, ...card, refreshAt, at: at.getTime() }).changes === 1;
    },
    async listContextRetries(now, limit) {
      return statements.contextDue.all(now.getTime(), limit).map(toApproval);
    },
    async recordContext(id, result, at) {
      if (result.context !== null) {
        statements.contextFound.run({ id, context: JSON.stringify(result.context), at: at.getTime() });
      } else {
        statements.contextRetry.run({ id, next: result.retryAt?.getTime() ?? null });
      }
    },
    async refreshCountdowns(now) {
      return statements.refreshCountdowns.run({ now: now.getTime() }).changes;
    },
    async recordCardPermalink(id, ts, permalink) {
      statements.cardPermalink.run({ id, ts, permalink });
    },
    async recordCardFailure(id, owner, failure) {
      statements.cardFailed.run({
        id,
        owner,
        error: failure.error,
        next: failure.nextAttemptAt.getTime(),
        forget: failure.forgetCard === true ? 1 : 0,
      });
    },
  };
}
