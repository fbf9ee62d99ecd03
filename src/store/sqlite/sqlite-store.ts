import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { ApprovalContext, TrackedApproval, Transition } from '../../approvals/types.js';
import type {
  CardFailure,
  Effect,
  EffectEnd,
  Lease,
  NewAuditEntry,
  NewEffect,
  NewTrackedApproval,
  Store,
  SyncedCard,
} from '../store.js';
import { migrate } from './migrations.js';
import {
  type ApprovalRow,
  type AuditRow,
  type EffectRow,
  toApproval,
  toAuditEntry,
  toEffect,
} from './rows.js';

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so every method below runs
 * start to finish without interleaving with other work in this process; transactions make each one atomic
 * against other processes too.
 */
export function openSqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);

  const statements = {
    getApproval: db.prepare<[string], ApprovalRow>('SELECT * FROM approvals WHERE id = ?'),
    insertApproval: db.prepare(`
      INSERT INTO approvals (id, type, status, contract_id, milestone_id, job_id, proposal_id, approval_url,
        expires_at, resolved_at, result, created_at, requester, note, channel_id, card_next_attempt_at,
        tracked_at, updated_at)
      VALUES (@id, @type, @status, @contractId, @milestoneId, @jobId, @proposalId, @approvalUrl,
        @expiresAt, @resolvedAt, @result, @createdAt, @requester, @note, @channelId, @at, @at, @at)
      ON CONFLICT (id) DO NOTHING`),
    setContext: db.prepare(`
      UPDATE approvals SET context = ?, version = version + 1, card_next_attempt_at = MIN(card_next_attempt_at, ?),
        updated_at = ? WHERE id = ?`),
    transition: db.prepare(`
      UPDATE approvals SET status = @status, resolved_at = @resolvedAt, result = @result, version = version + 1,
        card_next_attempt_at = @at, card_attempts = 0, updated_at = @at
      WHERE id = @id AND status = 'pending'`),
    lapsed: db.prepare<[number, number], ApprovalRow>(`
      SELECT * FROM approvals WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?`),
    reminderCandidates: db.prepare<[number, number], ApprovalRow>(`
      SELECT * FROM approvals WHERE status = 'pending' AND expires_at > ? AND expires_at <= ?
      ORDER BY expires_at`),
    reminderFloor: db.prepare(`
      UPDATE approvals SET reminder_floor_ms = @offset, version = version + 1,
        card_next_attempt_at = MIN(card_next_attempt_at, @at), updated_at = @at
      WHERE id = @id AND status = 'pending' AND (reminder_floor_ms IS NULL OR reminder_floor_ms > @offset)`),
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
        card_permalink = COALESCE(@permalink, card_permalink), card_version = MAX(card_version, @version),
        card_attempts = 0, card_error = NULL, updated_at = @at,
        card_lease_owner = CASE WHEN card_lease_owner = @owner THEN NULL ELSE card_lease_owner END,
        card_lease_until = CASE WHEN card_lease_owner = @owner THEN NULL ELSE card_lease_until END
      WHERE id = @id`),
    cardFailed: db.prepare(`
      UPDATE approvals SET card_attempts = card_attempts + 1, card_error = @error, card_next_attempt_at = @next,
        card_ts = CASE WHEN @forget = 1 THEN NULL ELSE card_ts END,
        card_channel_id = CASE WHEN @forget = 1 THEN NULL ELSE card_channel_id END,
        card_permalink = CASE WHEN @forget = 1 THEN NULL ELSE card_permalink END,
        card_lease_owner = NULL, card_lease_until = NULL
      WHERE id = @id AND card_lease_owner = @owner`),
    insertEffect: db.prepare(`
      INSERT INTO effects (key, kind, approval_id, payload, next_attempt_at, created_at)
      VALUES (@key, @kind, @approvalId, @payload, @at, @at) ON CONFLICT (key) DO NOTHING`),
    claimEffects: db.prepare<{ owner: string; until: number; now: number; limit: number }, EffectRow>(`
      UPDATE effects SET lease_owner = @owner, lease_until = @until, attempts = attempts + 1
      WHERE id IN (
        SELECT id FROM effects
        WHERE state = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now)
        ORDER BY next_attempt_at, id LIMIT @limit)
      RETURNING *`),
    finishEffect: db.prepare(`
      UPDATE effects SET state = @state, finished_at = @at, last_error = COALESCE(@note, last_error),
        lease_owner = NULL, lease_until = NULL
      WHERE id = @id AND lease_owner = @owner AND state = 'pending'`),
    retryEffect: db.prepare(`
      UPDATE effects SET next_attempt_at = @next, last_error = @error, lease_owner = NULL, lease_until = NULL
      WHERE id = @id AND lease_owner = @owner AND state = 'pending'`),
    getEffect: db.prepare<[string], EffectRow>('SELECT * FROM effects WHERE key = ?'),
    renewEffect: db.prepare(
      "UPDATE effects SET lease_until = @until WHERE id = @id AND lease_owner = @owner AND state = 'pending'",
    ),
    renewCard: db.prepare(
      'UPDATE approvals SET card_lease_until = @until WHERE id = @id AND card_lease_owner = @owner',
    ),
    nextWake: db.prepare<[], { at: number | null }>(`
      SELECT MIN(at) AS at FROM (
        SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, 0))) AS at FROM effects WHERE state = 'pending'
        UNION ALL
        SELECT MIN(MAX(card_next_attempt_at, COALESCE(card_lease_until, 0))) AS at FROM approvals
        WHERE card_version < version)`),
    getCursor: db.prepare<[string], { value: string | null }>('SELECT value FROM cursors WHERE name = ?'),
    setCursor: db.prepare(`
      INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
    insertAudit: db.prepare(`
      INSERT INTO audit_log (at, approval_id, milestone_id, actor, action, detail)
      VALUES (@at, @approvalId, @milestoneId, @actor, @action, @detail)`),
    auditByApproval: db.prepare<[string, number], AuditRow>(
      'SELECT * FROM audit_log WHERE approval_id = ? ORDER BY id DESC LIMIT ?',
    ),
    auditByMilestone: db.prepare<[string, number], AuditRow>(
      'SELECT * FROM audit_log WHERE milestone_id = ? ORDER BY id DESC LIMIT ?',
    ),
    auditAll: db.prepare<[number], AuditRow>('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?'),
  };

  function audit(entries: readonly NewAuditEntry[], at: Date): void {
    for (const entry of entries) {
      statements.insertAudit.run({
        at: at.getTime(),
        approvalId: entry.approvalId,
        milestoneId: entry.milestoneId,
        actor: entry.actor,
        action: entry.action,
        detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
      });
    }
  }

  function enqueue(effects: readonly NewEffect[], at: Date): number {
    let inserted = 0;
    for (const effect of effects) {
      inserted += statements.insertEffect.run({
        key: effect.key,
        kind: effect.kind,
        approvalId: effect.approvalId,
        payload: JSON.stringify(effect.payload),
        at: at.getTime(),
      }).changes;
    }
    return inserted;
  }

  function get(id: string): TrackedApproval | undefined {
    const row = statements.getApproval.get(id);
    return row === undefined ? undefined : toApproval(row);
  }

  const track = db.transaction(
    (input: NewTrackedApproval, at: Date, entry: (created: boolean) => NewAuditEntry) => {
      const { approval } = input;
      const created =
        statements.insertApproval.run({
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
          at: at.getTime(),
        }).changes === 1;
      audit([entry(created)], at);
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
    audit(
      [
        {
          approvalId: t.approvalId,
          milestoneId: row?.milestoneId ?? null,
          actor: 'opentrain',
          action: t.status,
          detail: { source: t.source, ...(t.result === null ? {} : { result: t.result }) },
        },
      ],
      at,
    );
    enqueue(effects, at);
    return row;
  });

  const remind = db.transaction((approvalId: string, offsetMs: number, effect: NewEffect, at: Date) => {
    const changed = statements.reminderFloor.run({
      id: approvalId,
      offset: offsetMs,
      at: at.getTime(),
    }).changes;
    if (changed === 0) return false;
    enqueue([effect], at);
    return true;
  });

  const renew = db.transaction(
    (
      owner: string,
      work: { effectIds: readonly number[]; approvalIds: readonly string[] },
      until: number,
    ) => {
      for (const id of work.effectIds) statements.renewEffect.run({ id, owner, until });
      for (const id of work.approvalIds) statements.renewCard.run({ id, owner, until });
    },
  );
  const appendAudit = db.transaction(audit);
  const enqueueAll = db.transaction(enqueue);

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
    async setContext(id: string, context: ApprovalContext, at: Date) {
      statements.setContext.run(JSON.stringify(context), at.getTime(), at.getTime(), id);
    },
    async recordTransition(t, at, effects) {
      return transition.immediate(t, at, effects);
    },
    async listLapsedPending(now, limit) {
      return statements.lapsed.all(now.getTime(), limit).map(toApproval);
    },
    async listReminderCandidates(now, horizonMs) {
      return statements.reminderCandidates.all(now.getTime(), now.getTime() + horizonMs).map(toApproval);
    },
    async scheduleReminder(approvalId, offsetMs, effect, at) {
      return remind.immediate(approvalId, offsetMs, effect, at);
    },
    async claimCards(lease: Lease, approvalId?: string) {
      return statements.claimCards
        .all({
          owner: lease.owner,
          until: lease.now.getTime() + lease.leaseMs,
          now: lease.now.getTime(),
          limit: lease.limit,
          id: approvalId ?? null,
        })
        .map(toApproval);
    },
    async recordCardSynced(id: string, owner: string, card: SyncedCard, at: Date) {
      statements.cardSynced.run({ id, owner, ...card, at: at.getTime() });
    },
    async recordCardFailure(id: string, owner: string, failure: CardFailure) {
      statements.cardFailed.run({
        id,
        owner,
        error: failure.error,
        next: failure.nextAttemptAt.getTime(),
        forget: failure.forgetCard === true ? 1 : 0,
      });
    },
    async enqueueEffects(effects, at) {
      return enqueueAll.immediate(effects, at);
    },
    async claimEffects(lease: Lease): Promise<Effect[]> {
      return statements.claimEffects
        .all({
          owner: lease.owner,
          until: lease.now.getTime() + lease.leaseMs,
          now: lease.now.getTime(),
          limit: lease.limit,
        })
        .map(toEffect);
    },
    async finishEffect(id: number, owner: string, end: EffectEnd, at: Date, note?: string) {
      statements.finishEffect.run({ id, owner, state: end, at: at.getTime(), note: note ?? null });
    },
    async retryEffect(id, owner, error, nextAttemptAt) {
      statements.retryEffect.run({ id, owner, error, next: nextAttemptAt.getTime() });
    },
    async renewLeases(owner, work, until) {
      renew.immediate(owner, work, until.getTime());
    },
    async nextWakeAt() {
      const at = statements.nextWake.get()?.at ?? null;
      return at === null ? null : new Date(at);
    },
    async getEffect(key) {
      const row = statements.getEffect.get(key);
      return row === undefined ? undefined : toEffect(row);
    },
    async getCursor(name) {
      return statements.getCursor.get(name)?.value ?? null;
    },
    async setCursor(name, value, at) {
      statements.setCursor.run(name, value, at.getTime());
    },
    async appendAudit(entries, at) {
      appendAudit.immediate(entries, at);
    },
    async listAudit(filter) {
      const rows =
        filter.approvalId !== undefined
          ? statements.auditByApproval.all(filter.approvalId, filter.limit)
          : filter.milestoneId !== undefined
            ? statements.auditByMilestone.all(filter.milestoneId, filter.limit)
            : statements.auditAll.all(filter.limit);
      return rows.map(toAuditEntry);
    },
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
