import { resolve } from 'node:path';
import type { Database } from 'better-sqlite3';
import { latestVersionOf, type Migration, type MigrationReport, runMigrations } from '../migrate.js';
import { migrateToOneQueue } from './migration-v6.js';
import { migrationV7 } from './migration-v7.js';

function sql(text: string): (db: Database) => void {
  return (db) => db.exec(text);
}

// Times are epoch milliseconds; JSON columns hold text. Append new migrations, never edit shipped ones.
/**
 * App Home counts the viewer's own pending approvals outside their channels: with the channel in the index,
 * that count reads no rows (53 ms of the event loop for 30,000 of them at 100,000 tracked, before).
 */
const requesterIndexWithChannel = `
  DROP INDEX approvals_pending_requester;
  CREATE INDEX approvals_pending_requester ON approvals (workspace_id, requester_user_id, expires_at, channel_id)
    WHERE status = 'pending';`;

export const sqliteMigrations: readonly Migration<Database>[] = [
  {
    version: 1,
    name: 'approvals, effects, cursors, audit log',
    up: sql(`
      CREATE TABLE approvals (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        contract_id TEXT,
        milestone_id TEXT,
        job_id TEXT,
        proposal_id TEXT,
        approval_url TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        resolved_at INTEGER,
        result TEXT,
        created_at INTEGER NOT NULL,
        requester TEXT NOT NULL,
        note TEXT,
        channel_id TEXT NOT NULL,
        context TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        card_version INTEGER NOT NULL DEFAULT 0,
        card_channel_id TEXT,
        card_ts TEXT,
        card_permalink TEXT,
        card_attempts INTEGER NOT NULL DEFAULT 0,
        card_next_attempt_at INTEGER NOT NULL,
        card_error TEXT,
        card_lease_owner TEXT,
        card_lease_until INTEGER,
        reminder_floor_ms INTEGER,
        tracked_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX approvals_by_status_expiry ON approvals (status, expires_at);
      CREATE INDEX approvals_by_milestone ON approvals (milestone_id);
      CREATE INDEX approvals_card_due ON approvals (card_next_attempt_at) WHERE card_version < version;

      CREATE TABLE effects (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        approval_id TEXT,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        lease_owner TEXT,
        lease_until INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        finished_at INTEGER
      );
      CREATE INDEX effects_due ON effects (next_attempt_at) WHERE state = 'pending';

      CREATE TABLE cursors (
        name TEXT PRIMARY KEY,
        value TEXT,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        approval_id TEXT,
        milestone_id TEXT,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT
      );
      CREATE INDEX audit_by_approval ON audit_log (approval_id, id);
      CREATE INDEX audit_by_milestone ON audit_log (milestone_id, id);
    `),
  },
  {
    version: 2,
    name: 'routes, approvers, App Home views, upstream idempotency keys, webhook deliveries',
    up: sql(`
      CREATE TABLE routes (
        scope TEXT NOT NULL CHECK (scope IN ('job', 'contract')),
        target_id TEXT NOT NULL,
        label TEXT,
        channel_id TEXT NOT NULL,
        approvers TEXT NOT NULL DEFAULT '[]',
        auto_fund INTEGER NOT NULL DEFAULT 0,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (scope, target_id)
      );

      ALTER TABLE approvals ADD COLUMN approvers TEXT NOT NULL DEFAULT '[]';
      CREATE INDEX approvals_by_resolved ON approvals (resolved_at) WHERE status <> 'pending';

      CREATE TABLE home_views (
        user_id TEXT PRIMARY KEY,
        opened_at INTEGER NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        published_version INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        lease_owner TEXT,
        lease_until INTEGER
      );
      CREATE INDEX home_views_due ON home_views (next_attempt_at) WHERE published_version < version;

      CREATE TABLE upstream_keys (
        key TEXT PRIMARY KEY,
        approval_id TEXT,
        locked_until INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE webhook_deliveries (
        delivery_id TEXT PRIMARY KEY,
        received_at INTEGER NOT NULL
      );
      CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (received_at);
    `),
  },
  {
    version: 3,
    name: 'upstream key locks name their holder',
    up: sql('ALTER TABLE upstream_keys ADD COLUMN locked_by TEXT;'),
  },
  {
    version: 4,
    name: 'cards and App Home views know when their countdowns go stale',
    up: sql(`
      ALTER TABLE home_views ADD COLUMN refresh_at INTEGER;
      ALTER TABLE approvals ADD COLUMN card_refresh_at INTEGER;
      CREATE INDEX approvals_countdown_due ON approvals (card_refresh_at) WHERE status = 'pending';
      -- Cards and tabs published before this version never said when they go stale: refresh each once, at
      -- the next tick.
      UPDATE approvals SET card_refresh_at = 0 WHERE status = 'pending' AND card_ts IS NOT NULL;
      UPDATE home_views SET refresh_at = 0;
    `),
  },
  {
    version: 5,
    name: 'a failed contract lookup is tried again',
    up: sql(`
      ALTER TABLE approvals ADD COLUMN context_retry_at INTEGER;
      CREATE INDEX approvals_context_due ON approvals (context_retry_at) WHERE status = 'pending';
      -- Cards that went out without their context before this version: try once more, at the next tick.
      UPDATE approvals SET context_retry_at = 0
      WHERE status = 'pending' AND context IS NULL AND contract_id IS NOT NULL;
    `),
  },
  { version: 6, name: 'one queue for every side effect; a workspace on every row', up: migrateToOneQueue },
  {
    version: 7,
    name: 'partial indexes for pending and ended approvals; the requester on its own column',
    up: sql(migrationV7),
  },
  {
    version: 8,
    name: 'replies waiting on their card, and each lane of the queue, found from an index',
    up: sql(`
      CREATE INDEX effects_waiting ON effects (after_key) WHERE after_key IS NOT NULL AND state = 'pending';
      CREATE INDEX effects_due_fund ON effects (priority, next_attempt_at) WHERE state = 'pending' AND kind = 'fund';
      CREATE INDEX effects_due_other ON effects (priority, next_attempt_at)
        WHERE state = 'pending' AND kind <> 'fund';
      CREATE INDEX effects_next ON effects (next_attempt_at) WHERE state = 'pending';
      -- Leased effects are due again when their lease runs out.
      UPDATE effects SET next_attempt_at = MAX(next_attempt_at, lease_until)
        WHERE state = 'pending' AND lease_until IS NOT NULL;
    `),
  },
  {
    version: 9,
    name: "a requester's pending approvals counted from their index, with the channel in it",
    up: sql(requesterIndexWithChannel),
  },
];

/** The newest schema version this code knows. */
export const latestVersion = latestVersionOf(sqliteMigrations);

/**
 * Applies every migration the file has not seen yet (up to `upTo`, which only tests set, to make a file as an
 * older version left it), each in its own transaction; refuses a file written by a newer version.
 */
export function migrate(db: Database, upTo?: number): MigrationReport {
  const where = db.memory ? ':memory:' : resolve(db.name);
  const driver = {
    where,
    // Each migration takes the file's write lock itself (BEGIN IMMEDIATE).
    exclusive: <T>(work: () => T): T => work(),
    prepare() {
      db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (datetime('now')))`);
    },
    appliedVersions() {
      const rows = db.prepare<[], { version: number }>('SELECT version FROM schema_migrations').all();
      return rows.map((row) => row.version);
    },
    apply(migration: Migration<Database>) {
      db.transaction(() => {
        migration.up(db);
        db.prepare('INSERT INTO schema_migrations (version, name) VALUES (?, ?)').run(
          migration.version,
          migration.name,
        );
      }).immediate();
    },
  };
  return runMigrations(driver, sqliteMigrations, upTo === undefined ? {} : { upTo });
}
