import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('SQLite file', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'countersign-store-')), 'nested', 'countersign.db');
  return { store: openSqliteStore(path), reopen: async () => openSqliteStore(path) };
});
