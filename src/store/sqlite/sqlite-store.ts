import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { Store } from '../../ports/store.js';
import { guardBusy } from '../busy.js';
import { StoreOpenError } from '../errors.js';
import type { MigrationOptions, MigrationReport } from '../migrate.js';
import type { StoreOptions } from '../open-store.js';
import { createApprovalsSql } from './approvals-sql.js';
import { createAuditSql } from './audit-sql.js';
import { createHomesSql } from './homes-sql.js';
import { createInboundSql } from './inbound-sql.js';
import { migrate } from './migrations.js';
import { createOutboxSql } from './outbox-sql.js';
import { createRetentionSql } from './retention-sql.js';
import { createRoutesSql } from './routes-sql.js';
import { createServiceSql } from './service-sql.js';

/** Tables whose rows name their workspace; rows written before workspaces existed have ''. */
const ownedTables = ['approvals', 'effects', 'routes', 'home_tabs', 'cursors', 'audit_log'];

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so a statement never waits on
 * a lock: `busy_timeout` is 0 and a statement that finds the file locked by another process is retried after a
 * short, non-blocking pause (guardBusy), so the event loop that answers Slack is never held by a lock.
 */
export function openSqliteStore(path: string, options: StoreOptions = {}): Store {
  const { db } = openDatabase(path);
  const audit = createAuditSql(db);
  const outbox = createOutboxSql(db, options.onEnqueue);
  const service = createServiceSql(db);
  const companions = { appendAudit: audit.appendAuditNow, enqueue: outbox.enqueue };
  const adopt = db.transaction((workspaceId: string) => {
    // A funding request queued before workspaces names '' itself, and its effects inherit that workspace.
    db.prepare(`
      UPDATE effects SET payload = json_set(payload, '$.request.workspaceId', ?)
      WHERE workspace_id = '' AND kind = 'fund' AND json_extract(payload, '$.request.workspaceId') = ''`).run(
      workspaceId,
    );
    for (const table of ownedTables) {
      db.prepare(`UPDATE ${table} SET workspace_id = ? WHERE workspace_id = ''`).run(workspaceId);
    }
  });
  return {
    approvals: guardBusy(createApprovalsSql(db, companions)),
    outbox: guardBusy(outbox.outbox),
    routes: guardBusy(createRoutesSql(db, audit.appendAuditNow)),
    homes: guardBusy(createHomesSql(db, outbox.enqueue)),
    inbound: guardBusy(createInboundSql(db)),
    cursors: guardBusy(audit.cursors),
    audit: guardBusy(audit.audit),
    leases: guardBusy(service.leases),
    health: guardBusy(service.health),
    state: guardBusy({
      async get(key: string) {
        return service.getState(key);
      },
      async set(key: string, value: string, at: Date) {
        service.setState(key, value, at);
      },
    }),
    retention: guardBusy(createRetentionSql(db)),
    async adoptUnownedRows(workspaceId) {
      adopt.immediate(workspaceId);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

/** Brings the file's schema up to date and closes it again: for `countersign migrate`. */
export function migrateSqliteFile(path: string, options: MigrationOptions = {}): MigrationReport {
  const { db, report } = openDatabase(path, options);
  db.close();
  return report;
}

function openDatabase(
  path: string,
  options: MigrationOptions = {},
): { db: Database; report: MigrationReport } {
  const where = path === ':memory:' ? path : resolve(path);
  let db: Database | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new BetterSqlite3(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Never wait on a lock inside a statement: that would stall the whole process (see guardBusy).
    db.pragma('busy_timeout = 0');
    db.pragma('foreign_keys = ON');
    // Refuses a file written by a newer version, untouched.
    const report = migrate(db, options.upTo);
    // A file left at an older version (only tests do that) has no table to probe.
    if (options.upTo === undefined) probeWrite(db);
    return { db, report };
  } catch (error) {
    db?.close();
    if (error instanceof StoreOpenError) throw error;
    throw StoreOpenError.from(error, where);
  }
}

/**
 * SQLite opens a file it may not write read-only, without a word, and the first write fails much later (a
 * command acked and then lost): write once now, so a read-only file or folder is refused at start-up.
 */
function probeWrite(db: Database): void {
  try {
    db.prepare(`
      INSERT INTO service_state (key, value, updated_at) VALUES ('readiness-probe', NULL, ?)
      ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at`).run(Date.now());
  } catch (error) {
    // Locked by another process: writable, only busy; calls wait for the lock off the event loop (guardBusy).
    const code = String((error as { code?: unknown } | null)?.code ?? '');
    if (!code.startsWith('SQLITE_BUSY') && !code.startsWith('SQLITE_LOCKED')) throw error;
  }
}
