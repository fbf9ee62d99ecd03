import type { DatabaseConfig } from '../config.js';
import type { Store } from '../ports/store.js';
import type { MigrationOptions, MigrationReport } from './migrate.js';
import { migratePostgres } from './postgres/migrations.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import { migrateSqliteFile, openSqliteStore } from './sqlite/sqlite-store.js';

export interface StoreOptions {
  /** Called after effects were queued and committed: wakes the queue runner at once. */
  readonly onEnqueue?: () => void;
}

/** Picks the adapter for DATABASE_URL, opens it and brings its schema up to date. */
export async function openStore(database: DatabaseConfig, options: StoreOptions = {}): Promise<Store> {
  switch (database.kind) {
    case 'sqlite':
      return openSqliteStore(database.path, options);
    case 'postgres':
      return openPostgresStore(database.url, options);
  }
}

/**
 * Brings the database's schema up to date and says what it did, without opening the store: for
 * `countersign migrate`. Opening the store does the same at start-up. Fails with StoreOpenError (one line,
 * naming the database and the fix), also for a database written by a newer version, which is left untouched.
 */
export async function migrateStore(
  database: DatabaseConfig,
  options: MigrationOptions = {},
): Promise<MigrationReport> {
  switch (database.kind) {
    case 'sqlite':
      return migrateSqliteFile(database.path, options);
    case 'postgres':
      return migratePostgres(database.url, options);
  }
}
