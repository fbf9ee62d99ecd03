import pg from 'pg';
import { StoreOpenError } from '../errors.js';
import {
  type AsyncMigrationDriver,
  type Migration,
  type MigrationOptions,
  type MigrationReport,
  runMigrations,
} from '../migrate.js';
import { connectionConfig, describeTarget, openError } from './connection.js';
import { schemaV1 } from './schema-v1.js';
import { schemaV2 } from './schema-v2.js';

// Append new migrations, never edit shipped ones. Each runs in its own transaction (DDL is transactional here).
export const postgresMigrations: readonly Migration<pg.ClientBase>[] = [
  {
    version: 1,
    name: 'approvals, one queue for every side effect, routes, Home tabs, cursors, leases, audit log',
    up: async (db) => {
      await db.query(schemaV1);
    },
  },
  {
    version: 2,
    name: 'partial indexes for pending and ended approvals; the requester on its own column',
    up: async (db) => {
      await db.query(schemaV2);
    },
  },
  {
    version: 3,
    name: 'replies waiting on their card, and the next due effect, found from an index',
    up: async (db) => {
      await db.query(`
        CREATE INDEX effects_waiting ON effects (after_key) WHERE after_key IS NOT NULL AND state = 'pending';
        CREATE INDEX effects_next ON effects (next_attempt_at) WHERE state = 'pending';
        UPDATE effects SET next_attempt_at = GREATEST(next_attempt_at, lease_until)
          WHERE state = 'pending' AND lease_until IS NOT NULL;`);
    },
  },
  {
    version: 4,
    name: "a requester's pending approvals counted from their index, with the channel in it",
    up: async (db) => {
      // App Home's count of the viewer's own pending approvals outside their channels reads no rows.
      await db.query(`
        DROP INDEX approvals_pending_requester;
        CREATE INDEX approvals_pending_requester
          ON approvals (workspace_id, requester_user_id, expires_at, channel_id) WHERE status = 'pending';`);
    },
  },
];

/**
 * The session-level advisory lock all of Countersign's migrations of one schema take: a fixed number for
 * "Countersign migrating" and one for the schema, so test runs in separate schemas do not wait on each other.
 */
const lockKey = "hashtext('countersign:migrate'), hashtext(COALESCE(current_schema(), ''))";
/** How long a replica waits while another one migrates, then gives up starting. */
const lockWaitMs = 5 * 60_000;

function driverFor(client: pg.Client, where: string): AsyncMigrationDriver<pg.ClientBase> {
  return {
    where,
    async exclusive(work) {
      await client.query(`SET lock_timeout = ${lockWaitMs}`);
      try {
        await client.query(`SELECT pg_advisory_lock(${lockKey})`);
      } catch (error) {
        if ((error as { code?: unknown }).code !== '55P03') throw error;
        throw new StoreOpenError(
          `Cannot use the ${where}: another process has been migrating it for ${lockWaitMs / 60_000} minutes. Wait for it to finish, or find it in pg_stat_activity (application_name countersign).`,
          { cause: error },
        );
      }
      // The migrations themselves wait on other locks no longer than any statement does.
      await client.query('RESET lock_timeout');
      try {
        return await work();
      } finally {
        await client.query(`SELECT pg_advisory_unlock(${lockKey})`).catch(() => undefined);
      }
    },
    async prepare() {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    },
    async appliedVersions() {
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      return rows.map((row) => row.version);
    },
    async apply(migration) {
      await client.query('BEGIN');
      try {
        await migration.up(client);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          migration.version,
          migration.name,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
  };
}

/**
 * Brings the database at `url` up to date on a connection of its own, holding the advisory lock, so replicas
 * that start together migrate once: the others wait, then find nothing left to do. Used at start-up and by
 * `countersign migrate`. Fails with StoreOpenError: one line naming the database and the fix.
 */
export async function migratePostgres(url: string, options: MigrationOptions = {}): Promise<MigrationReport> {
  const where = describeTarget(url);
  // No statement timeout: a migration may rewrite a large table.
  const client = new pg.Client({ ...connectionConfig(url), statement_timeout: 0, query_timeout: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await runMigrations(driverFor(client, where), postgresMigrations, options);
  } catch (error) {
    throw openError(error, where);
  } finally {
    await client.end().catch(() => undefined);
  }
}
