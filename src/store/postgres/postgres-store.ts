import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Store } from '../../ports/store.js';
import type { StoreOptions } from '../open-store.js';
import { createApprovalsSql } from './approvals-sql.js';
import { createAuditSql } from './audit-sql.js';
import { connectionConfig, describeTarget, openError } from './connection.js';
import { createDb, type Tx } from './db.js';
import { createHomesSql } from './homes-sql.js';
import { enqueueChannel, type Listener, listenForEnqueues, noticePayload } from './listener.js';
import { migratePostgres } from './migrations.js';
import { createOutboxSql } from './outbox-sql.js';
import { createRetentionSql } from './retention-sql.js';
import { createRoutesSql } from './routes-sql.js';
import { createServiceSql } from './service-sql.js';

/** Tables whose rows name their workspace; rows written before workspaces existed have ''. */
const ownedTables = ['approvals', 'effects', 'routes', 'home_tabs', 'cursors', 'audit_log'];

/**
 * The store for several replicas: PostgreSQL through a pool. Each port method is one transaction; a statement
 * waits at most 2 s for a lock (then StoreBusyError) and runs at most 10 s. The schema is brought up to date
 * first, under an advisory lock. Every enqueue notifies the other replicas, whose LISTEN connection wakes
 * their queue runner (`onEnqueue`); this replica's runner is woken once the transaction has committed.
 */
export async function openPostgresStore(url: string, options: StoreOptions = {}): Promise<Store> {
  const where = describeTarget(url);
  await migratePostgres(url);
  const config = connectionConfig(url);
  const pool = new pg.Pool({ ...config, max: 10, idleTimeoutMillis: 30_000 });
  // An idle connection the server dropped: the pool opens a new one when it is next needed.
  pool.on('error', () => undefined);
  let listener: Listener | undefined;
  try {
    const { rows } = await pool.query<{ schema: string }>('SELECT current_schema() AS schema');
    const self = { schema: rows[0]?.schema ?? '', from: randomUUID() };
    const { onEnqueue } = options;
    if (onEnqueue !== undefined) listener = await listenForEnqueues(config, self, onEnqueue);
    return assemble(pool, self, onEnqueue, listener);
  } catch (error) {
    await listener?.close();
    await pool.end().catch(() => undefined);
    throw openError(error, where);
  }
}

function assemble(
  pool: pg.Pool,
  self: { schema: string; from: string },
  onEnqueue: (() => void) | undefined,
  listener: Listener | undefined,
): Store {
  const db = createDb(pool);
  const payload = noticePayload(self);
  const notify = async (tx: Tx) => {
    await tx.query('SELECT pg_notify($1, $2)', [enqueueChannel, payload]);
  };
  const wake = () => {
    if (onEnqueue !== undefined) setImmediate(onEnqueue);
  };
  const audit = createAuditSql(db);
  const outbox = createOutboxSql(db, notify, wake);
  const service = createServiceSql(db);
  const companions = { appendAudit: audit.appendAudit, enqueue: outbox.enqueue };
  let closed: Promise<void> | undefined;
  return {
    approvals: createApprovalsSql(db, companions),
    outbox: outbox.outbox,
    routes: createRoutesSql(db, audit.appendAudit),
    homes: createHomesSql(db, outbox.enqueue),
    inbound: service.inbound,
    cursors: audit.cursors,
    audit: audit.audit,
    leases: service.leases,
    health: service.health,
    state: service.state,
    retention: createRetentionSql(db),
    async adoptUnownedRows(workspaceId) {
      await db.transaction(async (tx) => {
        // A funding request queued then names its workspace inside its payload too.
        await tx.query(
          `UPDATE effects SET payload = jsonb_set(payload::jsonb, '{request,workspaceId}', to_jsonb($1::text))::text
           WHERE workspace_id = '' AND kind = 'fund' AND payload::jsonb #>> '{request,workspaceId}' = ''`,
          [workspaceId],
        );
        for (const table of ownedTables) {
          await tx.query(`UPDATE ${table} SET workspace_id = $1 WHERE workspace_id = ''`, [workspaceId]);
        }
      });
    },
    close() {
      closed ??= (async () => {
        await listener?.close();
        await pool.end();
      })();
      return closed;
    },
  };
}
