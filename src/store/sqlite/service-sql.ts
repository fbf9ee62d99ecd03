import type { Database } from 'better-sqlite3';
import type { HealthPort, LeasesPort } from '../../ports/store.js';

/** Named leases, the readiness probe's write, and small facts the service keeps about itself. */
export function createServiceSql(db: Database) {
  const take = db.prepare(`
    INSERT INTO leases (name, owner, until) VALUES (@name, @owner, @until)
    ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
    WHERE leases.owner = excluded.owner OR leases.until <= @now`);
  const release = db.prepare('DELETE FROM leases WHERE name = ? AND owner = ?');
  const holder = db.prepare<[string, number], { owner: string; until: number }>(
    'SELECT owner, until FROM leases WHERE name = ? AND until > ?',
  );
  const ping = db.prepare('SELECT 1');
  const setState = db.prepare(`
    INSERT INTO service_state (key, value, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
  const getState = db.prepare<[string], { value: string | null }>(
    'SELECT value FROM service_state WHERE key = ?',
  );

  const leases: LeasesPort = {
    async acquire(name, owner, now, ttlMs) {
      return take.run({ name, owner, until: now.getTime() + ttlMs, now: now.getTime() }).changes === 1;
    },
    async holder(name, now) {
      const row = holder.get(name, now.getTime());
      return row === undefined ? null : { owner: row.owner, until: new Date(row.until) };
    },
    async release(name, owner) {
      release.run(name, owner);
    },
  };
  const health: HealthPort = {
    async ping() {
      ping.get();
    },
    async probeWrite(at) {
      setState.run('readiness-probe', null, at.getTime());
    },
  };
  return {
    leases,
    health,
    getState: (key: string) => getState.get(key)?.value ?? null,
    setState: (key: string, value: string, at: Date) => setState.run(key, value, at.getTime()),
  };
}
