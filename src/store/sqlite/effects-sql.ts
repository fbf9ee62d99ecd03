import type { Database } from 'better-sqlite3';
import type { Effect, EffectQueue, NewEffect } from '../store.js';
import { type EffectRow, toEffect } from './rows.js';

/** The outbox; `enqueueNow` joins the caller's transaction. Also answers for leases and wake-ups of all queues. */
export function createEffectsSql(db: Database) {
  const insert = db.prepare(`
    INSERT INTO effects (key, kind, approval_id, payload, next_attempt_at, created_at)
    VALUES (@key, @kind, @approvalId, @payload, @at, @at) ON CONFLICT (key) DO NOTHING`);
  const claim = db.prepare<{ owner: string; until: number; now: number; limit: number }, EffectRow>(`
    UPDATE effects SET lease_owner = @owner, lease_until = @until, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM effects
      WHERE state = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now)
      ORDER BY next_attempt_at, id LIMIT @limit)
    RETURNING *`);
  const finish = db.prepare(`
    UPDATE effects SET state = @state, finished_at = @at, last_error = COALESCE(@note, last_error),
      lease_owner = NULL, lease_until = NULL
    WHERE id = @id AND lease_owner = @owner AND state = 'pending'`);
  const retry = db.prepare(`
    UPDATE effects SET next_attempt_at = @next, last_error = @error, lease_owner = NULL, lease_until = NULL
    WHERE id = @id AND lease_owner = @owner AND state = 'pending'`);
  const byKey = db.prepare<[string], EffectRow>('SELECT * FROM effects WHERE key = ?');
  const renewEffect = db.prepare(
    "UPDATE effects SET lease_until = @until WHERE id = @id AND lease_owner = @owner AND state = 'pending'",
  );
  const renewCard = db.prepare(
    'UPDATE approvals SET card_lease_until = @until WHERE id = @id AND card_lease_owner = @owner',
  );
  const renewHome = db.prepare(
    'UPDATE home_views SET lease_until = @until WHERE user_id = @id AND lease_owner = @owner',
  );
  const nextWake = db.prepare<[], { at: number | null }>(`
    SELECT MIN(at) AS at FROM (
      SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, 0))) AS at FROM effects WHERE state = 'pending'
      UNION ALL
      SELECT MIN(MAX(card_next_attempt_at, COALESCE(card_lease_until, 0))) AS at FROM approvals
      WHERE card_version < version
      UNION ALL
      SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, 0))) AS at FROM home_views
      WHERE published_version < version)`);

  function enqueueNow(effects: readonly NewEffect[], at: Date): number {
    let inserted = 0;
    for (const effect of effects) {
      inserted += insert.run({
        key: effect.key,
        kind: effect.kind,
        approvalId: effect.approvalId,
        payload: JSON.stringify(effect.payload),
        at: at.getTime(),
      }).changes;
    }
    return inserted;
  }
  const enqueue = db.transaction(enqueueNow);
  const renew = db.transaction(
    (
      owner: string,
      work: { effectIds: readonly number[]; approvalIds: readonly string[]; homeUserIds: readonly string[] },
      until: number,
    ) => {
      for (const id of work.effectIds) renewEffect.run({ id, owner, until });
      for (const id of work.approvalIds) renewCard.run({ id, owner, until });
      for (const id of work.homeUserIds) renewHome.run({ id, owner, until });
    },
  );

  const queue: EffectQueue = {
    async enqueueEffects(effects, at) {
      return enqueue.immediate(effects, at);
    },
    async claimEffects(lease): Promise<Effect[]> {
      const now = lease.now.getTime();
      return claim
        .all({ owner: lease.owner, until: now + lease.leaseMs, now, limit: lease.limit })
        .map(toEffect);
    },
    async finishEffect(id, owner, end, at, note) {
      finish.run({ id, owner, state: end, at: at.getTime(), note: note ?? null });
    },
    async retryEffect(id, owner, error, nextAttemptAt) {
      retry.run({ id, owner, error, next: nextAttemptAt.getTime() });
    },
    async renewLeases(owner, work, until) {
      renew.immediate(owner, work, until.getTime());
    },
    async nextWakeAt() {
      const at = nextWake.get()?.at ?? null;
      return at === null ? null : new Date(at);
    },
    async getEffect(key) {
      const row = byKey.get(key);
      return row === undefined ? undefined : toEffect(row);
    },
  };
  return { queue, enqueueNow };
}
