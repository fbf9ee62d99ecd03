import type { HealthPort, InboundPort, LeasesPort, ServiceStatePort } from '../../ports/store.js';
import type { Db } from './db.js';

const setState = `
  INSERT INTO service_state (key, value, updated_at) VALUES ($1, $2, $3)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`;

/** Named leases, the readiness probe, small facts the service keeps about itself, and inbound deliveries. */
export function createServiceSql(db: Db) {
  const leases: LeasesPort = {
    // Takes a free or expired lease, or extends the caller's own; one statement, so two replicas never both win.
    async acquire(name, owner, now, ttlMs) {
      const { rowCount } = await db.query(
        `INSERT INTO leases (name, owner, until) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
         WHERE leases.owner = excluded.owner OR leases.until <= $4`,
        [name, owner, now.getTime() + ttlMs, now.getTime()],
      );
      return rowCount === 1;
    },
    async release(name, owner) {
      await db.query('DELETE FROM leases WHERE name = $1 AND owner = $2', [name, owner]);
    },
    async holder(name, now) {
      const { rows } = await db.query<{ owner: string; until: number }>(
        'SELECT owner, until FROM leases WHERE name = $1 AND until > $2',
        [name, now.getTime()],
      );
      const [row] = rows;
      return row === undefined ? null : { owner: row.owner, until: new Date(row.until) };
    },
  };
  const health: HealthPort = {
    async ping() {
      await db.query('SELECT 1');
    },
    async probeWrite(at) {
      await db.query(setState, ['readiness-probe', null, at.getTime()]);
    },
  };
  const state: ServiceStatePort = {
    async get(key) {
      const { rows } = await db.query<{ value: string | null }>(
        'SELECT value FROM service_state WHERE key = $1',
        [key],
      );
      return rows[0]?.value ?? null;
    },
    async set(key, value, at) {
      await db.query(setState, [key, value, at.getTime()]);
    },
  };
  const inbound: InboundPort = {
    async recordDelivery(deliveryId, at) {
      const { rowCount } = await db.query(
        'INSERT INTO webhook_deliveries (delivery_id, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [deliveryId, at.getTime()],
      );
      return rowCount === 1;
    },
    async pruneDeliveries(before) {
      await db.query('DELETE FROM webhook_deliveries WHERE received_at < $1', [before.getTime()]);
    },
  };
  return { leases, health, state, inbound };
}
