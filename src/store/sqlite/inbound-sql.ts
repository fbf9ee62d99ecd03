import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { InboundLog, UpstreamKeyClaim } from '../store.js';

export function createInboundSql(db: Database): InboundLog {
  const getKey = db.prepare<[string], { approval_id: string | null; locked_until: number | null }>(
    'SELECT approval_id, locked_until FROM upstream_keys WHERE key = ?',
  );
  const lockKey = db.prepare(`
    INSERT INTO upstream_keys (key, locked_until, locked_by, created_at, updated_at)
    VALUES (@key, @until, @holder, @now, @now)
    ON CONFLICT (key) DO UPDATE SET locked_until = @until, locked_by = @holder, updated_at = @now`);
  const finishKey = db.prepare(`
    UPDATE upstream_keys SET approval_id = @approvalId, locked_until = NULL, locked_by = NULL, updated_at = @at
    WHERE key = @key AND (locked_by = @holder OR approval_id IS NULL)`);
  const releaseKey = db.prepare(
    'DELETE FROM upstream_keys WHERE key = ? AND approval_id IS NULL AND locked_by = ?',
  );
  const insertDelivery = db.prepare(
    'INSERT INTO webhook_deliveries (delivery_id, received_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
  );
  const prune = db.prepare('DELETE FROM webhook_deliveries WHERE received_at < ?');

  const claim = db.transaction((key: string, now: number, lockMs: number): UpstreamKeyClaim => {
    const row = getKey.get(key);
    if (row?.approval_id != null) return { state: 'done', approvalId: row.approval_id };
    if (row?.locked_until != null && row.locked_until > now) return { state: 'busy' };
    const holder = randomUUID();
    lockKey.run({ key, until: now + lockMs, holder, now });
    return { state: 'new', holder };
  });

  return {
    async claimUpstreamKey(key, now, lockMs) {
      return claim.immediate(key, now.getTime(), lockMs);
    },
    async finishUpstreamKey(key, holder, approvalId, at) {
      if (approvalId === null) releaseKey.run(key, holder);
      else finishKey.run({ key, holder, approvalId, at: at.getTime() });
    },
    async recordDelivery(deliveryId, at) {
      return insertDelivery.run(deliveryId, at.getTime()).changes === 1;
    },
    async pruneDeliveries(before) {
      prune.run(before.getTime());
    },
  };
}
