import type { DatabaseConfig } from '../config.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Picks the adapter for DATABASE_URL. PostgreSQL joins here when several replicas need one store. */
export function openStore(database: DatabaseConfig): Store {
  switch (database.kind) {
    case 'sqlite':
      return openSqliteStore(database.path);
  }
}
