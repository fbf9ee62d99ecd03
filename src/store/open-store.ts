import type { DatabaseConfig } from '../config.js';
import type { Store } from '../ports/store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';

export interface StoreOptions {
  /** Called after effects were queued and committed: wakes the queue runner at once. */
  readonly onEnqueue?: () => void;
}

/** Picks the adapter for DATABASE_URL, opens it and brings its schema up to date. */
export async function openStore(database: DatabaseConfig, options: StoreOptions = {}): Promise<Store> {
  switch (database.kind) {
    case 'sqlite':
      return openSqliteStore(database.path, options);
  }
}
