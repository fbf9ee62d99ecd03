import { type QueuedEffect, replyWaitsFor } from '../../domain/effects.js';
import type { OutboxPort } from '../../ports/store.js';
import { serializeEffect } from '../effect-json.js';
import { parkMs } from '../sqlite/outbox-sql.js';
import { type EffectRow, toClaimed, toEffectRecord } from '../sqlite/rows.js';
import type { Db, Tx } from './db.js';

/*
 * The queue of every side effect, with the semantics of the SQLite adapter (../sqlite/outbox-sql.ts): the same
 * columns and the same statements in PostgreSQL's words. The claim is one statement whose inner SELECT locks
 * the rows it picks and skips rows another claim has locked, so replicas never take the same effect.
 */

/** Replies wait for the card's first attempt, so they can say where the card is (or why it is not). */
function afterKeyOf(effect: QueuedEffect): string | null {
  const { effect: e } = effect;
  return e.kind === 'reply' ? replyWaitsFor(e.reply) : null;
}

/** Claimable at $3: pending, due, not leased, and not waiting on an effect that has not been tried yet. */
const claimable = `
  e.state = 'pending' AND e.next_attempt_at <= $3 AND (e.lease_until IS NULL OR e.lease_until <= $3)
  AND (e.after_key IS NULL OR NOT EXISTS (
    SELECT 1 FROM effects d WHERE d.key = e.after_key AND d.state = 'pending'
      AND (d.attempts = 0 OR d.lease_until > $3)))`;

/** Leased to $1 until $2; an attempt leased and never finished (its process died) makes the next uncertain. */
const leaseColumns = `
  lease_owner = $1, lease_until = $2, next_attempt_at = $2, attempts = attempts + 1, attempt_started_at = $3,
  uncertain_since = CASE WHEN lease_owner IS NOT NULL THEN COALESCE(uncertain_since, attempt_started_at)
    ELSE uncertain_since END,
  updated_at = $3`;

/** One claim per lane: every kind (no $5), only the kinds in $5, or every kind but those. */
const claimWhere = (kinds: string) => `
  UPDATE effects SET ${leaseColumns}
  WHERE id IN (
    SELECT e.id FROM effects e WHERE ${claimable} ${kinds}
    ORDER BY e.priority, e.next_attempt_at, e.id LIMIT $4
    FOR UPDATE SKIP LOCKED)
  RETURNING *`;
const claimDue = claimWhere('');
const claimOnly = claimWhere('AND e.kind = ANY($5::text[])');
const claimExcept = claimWhere('AND NOT (e.kind = ANY($5::text[]))');

const claimKey = `
  UPDATE effects SET ${leaseColumns}
  WHERE id = (SELECT e.id FROM effects e WHERE e.key = $4 AND ${claimable} FOR UPDATE SKIP LOCKED)
  RETURNING *`;

const insertColumns = `
  INSERT INTO effects (workspace_id, key, kind, payload, priority, after_key, next_attempt_at, created_at,
    updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $8, $7, $7)`;

const insertOnce = `${insertColumns} ON CONFLICT (key) DO NOTHING`;

const upsertRearm = `${insertColumns}
  ON CONFLICT (key) DO UPDATE SET
    generation = effects.generation + 1,
    payload = excluded.payload,
    after_key = excluded.after_key,
    priority = CASE WHEN effects.state = 'pending' THEN LEAST(effects.priority, excluded.priority)
      ELSE excluded.priority END,
    attempts = CASE WHEN effects.state = 'pending' THEN effects.attempts ELSE 0 END,
    next_attempt_at = CASE WHEN effects.state = 'pending'
      THEN LEAST(effects.next_attempt_at, excluded.next_attempt_at) ELSE excluded.next_attempt_at END,
    last_error = CASE WHEN effects.state = 'pending' THEN effects.last_error ELSE NULL END,
    result = CASE WHEN effects.state = 'pending' THEN effects.result ELSE NULL END,
    state = 'pending', finished_at = NULL, updated_at = excluded.updated_at`;

/** See ../sqlite/outbox-sql.ts: a reply waiting on its card is parked until the card's attempt ends. */
const park = `
  UPDATE effects SET next_attempt_at = $3
  WHERE key = $1 AND state = 'pending' AND attempts = 0 AND EXISTS (
    SELECT 1 FROM effects d WHERE d.key = $2 AND d.state = 'pending'
      AND (d.attempts = 0 OR d.lease_until > $4))`;

/** Wraps a finish or retry of one effect: the replies parked on it become due once it changed. */
const andRelease = (statement: string) => `
  WITH ended AS (${statement} RETURNING key)
  UPDATE effects SET next_attempt_at = created_at
  WHERE after_key IN (SELECT key FROM ended) AND state = 'pending' AND attempts = 0
    AND next_attempt_at > created_at`;

const finish = `
  UPDATE effects SET
    state = CASE WHEN generation = $3 THEN $4 ELSE 'pending' END,
    attempts = CASE WHEN generation = $3 THEN attempts ELSE 0 END,
    next_attempt_at = CASE WHEN generation = $3 THEN next_attempt_at ELSE $5 END,
    finished_at = CASE WHEN generation = $3 THEN $5 ELSE NULL END,
    result = CASE WHEN generation = $3 THEN COALESCE($6, result) ELSE result END,
    last_error = COALESCE($7, last_error),
    uncertain_since = NULL, lease_owner = NULL, lease_until = NULL, updated_at = $5
  WHERE id = $1 AND lease_owner = $2 AND state = 'pending'`;

const retry = `
  UPDATE effects SET next_attempt_at = $3, last_error = $4, lease_owner = NULL, lease_until = NULL,
    uncertain_since = CASE WHEN $5::boolean THEN COALESCE(uncertain_since, attempt_started_at)
      ELSE uncertain_since END
  WHERE id = $1 AND lease_owner = $2 AND state = 'pending'`;

/** Rows as claimed, most urgent first (RETURNING keeps no order). */
type ClaimedRow = EffectRow & { priority: number; next_attempt_at: number };
const byUrgency = (a: ClaimedRow, b: ClaimedRow) =>
  a.priority - b.priority || a.next_attempt_at - b.next_attempt_at || a.id - b.id;

/**
 * `enqueue` joins the caller's transaction; when it changed anything, the transaction also notifies every
 * replica (`notify`), and `wake` runs here once it has committed.
 */
export function createOutboxSql(db: Db, notify: (tx: Tx) => Promise<void>, wake: () => void) {
  async function enqueue(tx: Tx, effects: readonly QueuedEffect[], at: Date): Promise<number> {
    let changed = 0;
    for (const queued of effects) {
      const statement = queued.mode === 'once' ? insertOnce : upsertRearm;
      const { rowCount } = await tx.query(statement, [
        queued.workspaceId,
        queued.key,
        queued.effect.kind,
        serializeEffect(queued.effect),
        queued.priority,
        afterKeyOf(queued),
        at.getTime(),
        Math.max(at.getTime(), queued.notBefore?.getTime() ?? 0),
      ]);
      changed += rowCount ?? 0;
      const afterKey = afterKeyOf(queued);
      if (afterKey !== null) {
        await tx.query(park, [queued.key, afterKey, at.getTime() + parkMs, at.getTime()]);
      }
    }
    if (changed > 0) {
      await notify(tx);
      tx.afterCommit(wake);
    }
    return changed;
  }

  const outbox: OutboxPort = {
    async enqueue(effects, at) {
      return db.transaction((tx) => enqueue(tx, effects, at));
    },
    async claim(lease) {
      const now = lease.now.getTime();
      const base = [lease.owner, now + lease.leaseMs, now];
      const due = [...base, lease.limit];
      const { rows } =
        lease.key !== undefined
          ? await db.query<ClaimedRow>(claimKey, [...base, lease.key])
          : lease.kinds === undefined
            ? await db.query<ClaimedRow>(claimDue, due)
            : 'only' in lease.kinds
              ? await db.query<ClaimedRow>(claimOnly, [...due, [...lease.kinds.only]])
              : await db.query<ClaimedRow>(claimExcept, [...due, [...lease.kinds.except]]);
      return rows.sort(byUrgency).map(toClaimed);
    },
    async finish(claimed, owner, end, at, detail = {}) {
      const result = detail.result === undefined ? null : JSON.stringify(detail.result);
      await db.query(andRelease(finish), [
        claimed.id,
        owner,
        claimed.generation,
        end,
        at.getTime(),
        result,
        detail.note ?? null,
      ]);
    },
    async retry(claimed, owner, failure) {
      const next = failure.nextAttemptAt.getTime();
      await db.query(andRelease(retry), [claimed.id, owner, next, failure.error, failure.uncertain]);
    },
    async checkpoint(claimed, owner, progress) {
      await db.query(
        "UPDATE effects SET progress = $3 WHERE id = $1 AND lease_owner = $2 AND state = 'pending'",
        [claimed.id, owner, JSON.stringify(progress)],
      );
    },
    async renew(owner, ids, until) {
      if (ids.length === 0) return;
      await db.query(
        "UPDATE effects SET lease_until = $3, next_attempt_at = $3 WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND state = 'pending'",
        [ids, owner, until.getTime()],
      );
    },
    async nextDueAt() {
      const { rows } = await db.query<{ at: number | null }>(
        "SELECT MIN(next_attempt_at) AS at FROM effects WHERE state = 'pending'",
      );
      const at = rows[0]?.at ?? null;
      return at === null ? null : new Date(at);
    },
    async stats(now) {
      const { rows } = await db.query<{ pending: string; due: string; oldest: number | null }>(
        `SELECT COUNT(*) AS pending, COUNT(*) FILTER (WHERE next_attempt_at <= $1) AS due,
           MIN(next_attempt_at) FILTER (WHERE next_attempt_at <= $1) AS oldest
         FROM effects WHERE state = 'pending'`,
        [now.getTime()],
      );
      const [row] = rows;
      return {
        pending: Number(row?.pending ?? 0),
        due: Number(row?.due ?? 0),
        oldestDueAt: row?.oldest == null ? null : new Date(Number(row.oldest)),
      };
    },
    async find(key) {
      const { rows } = await db.query<EffectRow>('SELECT * FROM effects WHERE key = $1', [key]);
      const [row] = rows;
      return row === undefined ? undefined : toEffectRecord(row);
    },
  };
  return { outbox, enqueue };
}
