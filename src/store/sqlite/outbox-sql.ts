import type { Database } from 'better-sqlite3';
import { priorities, type QueuedEffect, replyWaitsFor } from '../../domain/effects.js';
import type { Lease, OutboxPort } from '../../ports/store.js';
import { serializeEffect } from '../effect-json.js';
import { type EffectRow, toClaimed, toEffectRecord } from './rows.js';

/** Replies wait for the card's first attempt, so they can say where the card is (or why it is not). */
function afterKeyOf(effect: QueuedEffect): string | null {
  const { effect: e } = effect;
  return e.kind === 'reply' ? replyWaitsFor(e.reply) : null;
}

/** Claimable: pending, due, not leased, and not waiting on an effect that has not been tried yet. */
const claimable = `
  e.state = 'pending' AND e.next_attempt_at <= @now AND (e.lease_until IS NULL OR e.lease_until <= @now)
  AND (e.after_key IS NULL OR NOT EXISTS (
    SELECT 1 FROM effects d WHERE d.key = e.after_key AND d.state = 'pending'
      AND (d.attempts = 0 OR d.lease_until > @now)))`;

/**
 * The claim is one statement, so two workers can never take the same effect. An attempt that was leased and
 * never finished (its process died) may have landed: the next one is marked uncertain from its start. While
 * leased, an effect is due again when its lease runs out, so claims seek past the work in hand.
 */
const leaseColumns = `
  lease_owner = @owner, lease_until = @until, next_attempt_at = @until, attempts = attempts + 1,
  attempt_started_at = @now,
  uncertain_since = CASE WHEN lease_owner IS NOT NULL THEN COALESCE(uncertain_since, attempt_started_at)
    ELSE uncertain_since END,
  updated_at = @now`;

/** How long a parked reply waits at most for its card's attempt to release it. */
export const parkMs = 10 * 60_000;

type ClaimRow = EffectRow & { priority: number; next_attempt_at: number };

/** The queue of every side effect; `enqueue` joins the caller's transaction. */
export function createOutboxSql(db: Database, onEnqueue?: () => void) {
  const insertOnce = db.prepare(`
    INSERT INTO effects (workspace_id, key, kind, payload, priority, after_key, next_attempt_at, created_at,
      updated_at)
    VALUES (@workspaceId, @key, @kind, @payload, @priority, @afterKey, @due, @at, @at)
    ON CONFLICT (key) DO NOTHING`);
  const upsertRearm = db.prepare(`
    INSERT INTO effects (workspace_id, key, kind, payload, priority, after_key, next_attempt_at, created_at,
      updated_at)
    VALUES (@workspaceId, @key, @kind, @payload, @priority, @afterKey, @due, @at, @at)
    ON CONFLICT (key) DO UPDATE SET
      generation = generation + 1,
      payload = excluded.payload,
      after_key = excluded.after_key,
      priority = CASE WHEN state = 'pending' THEN MIN(priority, excluded.priority) ELSE excluded.priority END,
      attempts = CASE WHEN state = 'pending' THEN attempts ELSE 0 END,
      next_attempt_at = CASE WHEN state = 'pending' THEN MIN(next_attempt_at, excluded.next_attempt_at)
        ELSE excluded.next_attempt_at END,
      last_error = CASE WHEN state = 'pending' THEN last_error ELSE NULL END,
      result = CASE WHEN state = 'pending' THEN result ELSE NULL END,
      state = 'pending', finished_at = NULL, updated_at = excluded.updated_at`);
  /**
   * A claim per lane: every kind, only some kinds, or all but some. The kinds are written into the statements
   * (a closed set of plain words, checked here), so a lane is planned on a partial index of its own when there
   * is one (`effects_due_fund`, `effects_due_other`) and never walks past a long line of the other lane's due
   * rows. Each priority is sought on its own, a range of the index up to now, so rows not due yet (parked,
   * backing off, leased) are never walked past either. The rows are picked, then leased in one immediate
   * transaction, each only if it is still claimable there, so a row another process took in between is
   * skipped. A claim that finds nothing takes no lock at all.
   */
  type ClaimParams = { owner: string; until: number; now: number; limit: number };
  const leaseOne = db.prepare<ClaimParams & { id: number }, ClaimRow>(
    `UPDATE effects AS e SET ${leaseColumns} WHERE e.id = @id AND ${claimable} RETURNING *`,
  );
  function claimWhere(kinds: string) {
    const byPriority = Object.values(priorities).map((priority) =>
      db
        .prepare<{ now: number; limit: number }, number>(`
          SELECT e.id FROM effects e WHERE e.priority = ${priority} AND ${claimable} ${kinds}
          ORDER BY e.next_attempt_at, e.id LIMIT @limit`)
        .pluck(),
    );
    const pick = (params: ClaimParams): number[] => {
      const ids: number[] = [];
      for (const statement of byPriority) {
        if (ids.length >= params.limit) break;
        ids.push(...statement.all({ now: params.now, limit: params.limit - ids.length }));
      }
      return ids;
    };
    const take = db.transaction((params: ClaimParams, ids: readonly number[]) =>
      ids.flatMap((id) => leaseOne.all({ ...params, id })),
    );
    return (params: ClaimParams): ClaimRow[] => {
      if (params.limit <= 0) return [];
      const ids = pick(params);
      return ids.length === 0 ? [] : take.immediate(params, ids);
    };
  }
  const claim = claimWhere('');
  const laneClaims = new Map<string, ReturnType<typeof claimWhere>>();
  function laneClaim(kinds: NonNullable<Lease['kinds']>) {
    const only = 'only' in kinds;
    const list = only ? kinds.only : kinds.except;
    for (const kind of list) if (!/^[a-z]+$/.test(kind)) throw new Error(`not an effect kind: ${kind}`);
    const id = `${only ? '+' : '-'}${[...list].sort().join(',')}`;
    let statement = laneClaims.get(id);
    if (statement === undefined) {
      const words = list.map((kind) => `'${kind}'`);
      const condition =
        words.length === 1
          ? `AND e.kind ${only ? '=' : '<>'} ${words[0]}`
          : `AND e.kind ${only ? 'IN' : 'NOT IN'} (${words.join(', ')})`;
      statement = claimWhere(condition);
      laneClaims.set(id, statement);
    }
    return statement;
  }
  const claimKey = db.prepare<{ owner: string; until: number; now: number; key: string }, EffectRow>(`
    UPDATE effects SET ${leaseColumns}
    WHERE id = (SELECT e.id FROM effects e WHERE e.key = @key AND ${claimable})
    RETURNING *`);
  const finish = db.prepare(`
    UPDATE effects SET
      state = CASE WHEN generation = @generation THEN @state ELSE 'pending' END,
      attempts = CASE WHEN generation = @generation THEN attempts ELSE 0 END,
      next_attempt_at = CASE WHEN generation = @generation THEN next_attempt_at ELSE @at END,
      finished_at = CASE WHEN generation = @generation THEN @at ELSE NULL END,
      result = CASE WHEN generation = @generation THEN COALESCE(@result, result) ELSE result END,
      last_error = COALESCE(@note, last_error),
      uncertain_since = NULL, lease_owner = NULL, lease_until = NULL, updated_at = @at
    WHERE id = @id AND lease_owner = @owner AND state = 'pending'`);
  const retry = db.prepare(`
    UPDATE effects SET next_attempt_at = @next, last_error = @error, lease_owner = NULL, lease_until = NULL,
      uncertain_since = CASE WHEN @uncertain = 1 THEN COALESCE(uncertain_since, attempt_started_at)
        ELSE uncertain_since END
    WHERE id = @id AND lease_owner = @owner AND state = 'pending'`);
  /**
   * A reply that waits on its card is parked (not due) until the card's attempt is made, instead of being
   * looked at by every claim meanwhile; `release` makes it due when that attempt ends. The park runs out after
   * `parkMs` all the same, should a release ever be missed.
   */
  const park = db.prepare(`
    UPDATE effects SET next_attempt_at = @until
    WHERE key = @key AND state = 'pending' AND attempts = 0 AND EXISTS (
      SELECT 1 FROM effects d WHERE d.key = @afterKey AND d.state = 'pending'
        AND (d.attempts = 0 OR d.lease_until > @at))`);
  const release = db.prepare(`
    UPDATE effects SET next_attempt_at = created_at
    WHERE after_key = (SELECT key FROM effects WHERE id = @id) AND state = 'pending' AND attempts = 0
      AND next_attempt_at > created_at`);
  const checkpoint = db.prepare(
    "UPDATE effects SET progress = @progress WHERE id = @id AND lease_owner = @owner AND state = 'pending'",
  );
  const renew = db.prepare(
    "UPDATE effects SET lease_until = @until, next_attempt_at = @until WHERE id = @id AND lease_owner = @owner AND state = 'pending'",
  );
  // A leased effect is due again when its lease runs out (the claim and renew set next_attempt_at so).
  const nextDue = db.prepare<[], { at: number | null }>(`
    SELECT MIN(next_attempt_at) AS at FROM effects WHERE state = 'pending'`);
  const byKey = db.prepare<[string], EffectRow>('SELECT * FROM effects WHERE key = ?');
  const stats = db.prepare<{ now: number }, { pending: number; due: number; oldest: number | null }>(`
    SELECT COUNT(*) AS pending, COALESCE(SUM(next_attempt_at <= @now), 0) AS due,
      MIN(CASE WHEN next_attempt_at <= @now THEN next_attempt_at END) AS oldest
    FROM effects WHERE state = 'pending'`);

  function enqueue(effects: readonly QueuedEffect[], at: Date): number {
    let changed = 0;
    for (const queued of effects) {
      const params = {
        workspaceId: queued.workspaceId,
        key: queued.key,
        kind: queued.effect.kind,
        payload: serializeEffect(queued.effect),
        priority: queued.priority,
        afterKey: afterKeyOf(queued),
        at: at.getTime(),
        due: Math.max(at.getTime(), queued.notBefore?.getTime() ?? 0),
      };
      changed += (queued.mode === 'once' ? insertOnce : upsertRearm).run(params).changes;
      if (params.afterKey !== null) {
        park.run({ key: params.key, afterKey: params.afterKey, at: params.at, until: params.at + parkMs });
      }
    }
    // After the caller's transaction commits (this runs inside it): wake the runner.
    if (changed > 0 && onEnqueue !== undefined) setImmediate(onEnqueue);
    return changed;
  }
  const enqueueAll = db.transaction(enqueue);
  const finishAndRelease = db.transaction((params: Record<string, unknown>) => {
    if (finish.run(params).changes > 0) release.run({ id: params.id });
  });
  const retryAndRelease = db.transaction((params: Record<string, unknown>) => {
    if (retry.run(params).changes > 0) release.run({ id: params.id });
  });
  const renewAll = db.transaction((owner: string, ids: readonly number[], until: number) => {
    for (const id of ids) renew.run({ id, owner, until });
  });

  const outbox: OutboxPort = {
    async enqueue(effects, at) {
      return enqueueAll.immediate(effects, at);
    },
    async claim(lease) {
      const now = lease.now.getTime();
      const base = { owner: lease.owner, until: now + lease.leaseMs, now };
      if (lease.key !== undefined) return claimKey.all({ ...base, key: lease.key }).map(toClaimed);
      const params = { ...base, limit: lease.limit };
      // In the order they were picked: most urgent first.
      return (lease.kinds === undefined ? claim : laneClaim(lease.kinds))(params).map(toClaimed);
    },
    async finish(claimed, owner, end, at, detail = {}) {
      finishAndRelease.immediate({
        id: claimed.id,
        generation: claimed.generation,
        owner,
        state: end,
        at: at.getTime(),
        note: detail.note ?? null,
        result: detail.result === undefined ? null : JSON.stringify(detail.result),
      });
    },
    async retry(claimed, owner, failure) {
      retryAndRelease.immediate({
        id: claimed.id,
        owner,
        error: failure.error,
        next: failure.nextAttemptAt.getTime(),
        uncertain: failure.uncertain ? 1 : 0,
      });
    },
    async checkpoint(claimed, owner, progress) {
      checkpoint.run({ id: claimed.id, owner, progress: JSON.stringify(progress) });
    },
    async renew(owner, ids, until) {
      renewAll.immediate(owner, ids, until.getTime());
    },
    async nextDueAt() {
      const at = nextDue.get()?.at ?? null;
      return at === null ? null : new Date(at);
    },
    async stats(now) {
      const row = stats.get({ now: now.getTime() });
      return {
        pending: row?.pending ?? 0,
        due: row?.due ?? 0,
        oldestDueAt: row?.oldest == null ? null : new Date(row.oldest),
      };
    },
    async find(key) {
      const row = byKey.get(key);
      return row === undefined ? undefined : toEffectRecord(row);
    },
  };
  return { outbox, enqueue };
}
