import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { at, hours, t0 } from '../../helpers/builders.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('SQLite file', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'countersign-store-')), 'nested', 'countersign.db');
  return { store: openSqliteStore(path), reopen: async () => openSqliteStore(path) };
});

describe('SQLite migrations', () => {
  it('has cards posted before the countdown refresh existed refreshed once, at the first tick', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'countersign-store-')), 'countersign.db');
    const old = new Database(path);
    migrate(old, 3);
    const insert = old.prepare(`
      INSERT INTO approvals (id, type, status, approval_url, expires_at, created_at, requester, channel_id,
        card_ts, card_version, version, card_next_attempt_at, tracked_at, updated_at)
      VALUES (?, 'milestone_fund', ?, 'https://app.opentrain.ai/approvals/x', ?, ?, '{"kind":"system","name":"t"}',
        'C0FUND', ?, 1, 1, ?, ?, ?)`);
    const expires = at(hours(72)).getTime();
    insert.run('A-posted', 'pending', expires, t0.getTime(), '1.1', t0.getTime(), t0.getTime(), t0.getTime());
    insert.run(
      'A-unposted',
      'pending',
      expires,
      t0.getTime(),
      null,
      t0.getTime(),
      t0.getTime(),
      t0.getTime(),
    );
    insert.run(
      'A-ended',
      'confirmed',
      expires,
      t0.getTime(),
      '1.2',
      t0.getTime(),
      t0.getTime(),
      t0.getTime(),
    );
    old.close();

    const store = openSqliteStore(path);
    try {
      expect(await store.refreshCountdowns(at(hours(1)))).toBe(1);
      expect((await store.getApproval('A-posted'))?.version).toBe(2);
      expect(await store.refreshCountdowns(at(hours(1)))).toBe(0);
    } finally {
      await store.close();
    }
  });
});
