import type { Database } from 'better-sqlite3';
import type { InboundPort } from '../../ports/store.js';

export function createInboundSql(db: Database): InboundPort {
  const insertDelivery = db.prepare(
    'INSERT INTO webhook_deliveries (delivery_id, received_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
  );
  const prune = db.prepare('DELETE FROM webhook_deliveries WHERE received_at < ?');
  return {
    async recordDelivery(deliveryId, at) {
      return insertDelivery.run(deliveryId, at.getTime()).changes === 1;
    },
    async pruneDeliveries(before) {
      prune.run(before.getTime());
    },
  };
}
