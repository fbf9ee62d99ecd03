import type { Database } from 'better-sqlite3';
import type { InboundLog, UpstreamKeyClaim } from '../store.js';

export function createInboundSql(db: Database): InboundLog {
  const getKey = db.prepare<[string], { approval_id: string | null; locked_until: number | null }>(
    'SELECT approval_id, locked_until FROM upstream_keys WHERE key = ?',
  );
  const lockKey = db.prepare(`
    INSERT INTO upstream_keys (key, locked_until, created_at, updated_at) VALUES (@key, @until, @now, @now)
    ON CONFLICT (key) DO UPDATE SET locked_until = @until, updated_at = @now`);
  const finishKey = db.prepare(
    'UPDATE upstream_keys SET approval_id = @approvalId, locked_until = NULL, updated_at = @at WHERE key = @key',
  );
  const releaseKey = db.prepare('DELETE FROM upstream_keys WHERE key = ? AND approval_id IS NULL');
  const insertDelivery = db.prepare(
    'INSERT INTO webhook_deliveries (delivery_id, received_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
  );
  const prune = db.prepare('DELETE FROM webhook_deliveries WHERE received_at < ?');

  const claim = db.transaction((key: string, now: number, lockMs: number): UpstreamKeyClaim => {
    const row = getKey.get(key);
    if (row?.approval_id != null) return { state: 'done', approvalId: row.approval_id };
    if (row?.locked_until != null && row.locked_until > now) return { state: 'busy' };
    lockKey.run({ key, until: now + lockMs, now });
    return { state: 'new' };
  });

  return {
    async claimUpstreamKey(key, now, lockMs) {
      return claim.immediate(key, now.getTime(), lockMs);
    },
    async finishUpstreamKey(key, approvalId, at) {
      if (approvalId === null) releaseKey.run(key);
      else finishKey.run({ key, approvalId, at: at.getTime() });
    },
    async recordDelivery(deliveryId, at) {
      return insertDelivery.run(deliveryId, at.getTime()).changes === 1;
    },
    async pruneDeliveries(before) {
      prune.run(before.getTime());
    },
  };
}
