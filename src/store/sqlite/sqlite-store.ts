import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Store } from '../store.js';
import { createApprovalsSql } from './approvals-sql.js';
import { createAuditSql } from './audit-sql.js';
import { createEffectsSql } from './effects-sql.js';
import { createHomesSql } from './homes-sql.js';
import { createInboundSql } from './inbound-sql.js';
import { migrate } from './migrations.js';
import { createRoutesSql } from './routes-sql.js';

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so every method runs start
 * to finish without interleaving with other work in this process; transactions (taken IMMEDIATE, so writers
 * queue instead of failing) make each one atomic against other processes too.
 */
export function openSqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);

  const audit = createAuditSql(db);
  const effects = createEffectsSql(db);
  const ping = db.prepare('SELECT 1');
  return {
    ...createApprovalsSql(db, audit.appendAuditNow, effects.enqueueNow),
    ...effects.queue,
    ...createRoutesSql(db, audit.appendAuditNow),
    ...createHomesSql(db),
    ...createInboundSql(db),
    ...audit.repository,
    async ping() {
      ping.get();
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
