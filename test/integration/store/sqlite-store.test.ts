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
  it('refreshes what an older version left behind once, at the first tick: countdowns and missing contexts', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'countersign-store-')), 'countersign.db');
    const old = new Database(path);
    migrate(old, 3);
    const insert = old.prepare(`
      INSERT INTO approvals (id, type, status, contract_id, approval_url, expires_at, created_at, requester,
        channel_id, card_ts, card_version, version, card_next_attempt_at, tracked_at, updated_at)
      VALUES (@id, 'milestone_fund', @status, @contractId, 'https://app.opentrain.ai/approvals/x', @expires, @t0,
        '{"kind":"system","name":"t"}', 'C0FUND', @ts, 1, 1, @t0, @t0, @t0)`);
    const row = { expires: at(hours(72)).getTime(), t0: t0.getTime(), contractId: null };
    insert.run({ ...row, id: 'A-posted', status: 'pending', ts: '1.1', contractId: 'C-501' });
    insert.run({ ...row, id: 'A-unposted', status: 'pending', ts: null });
    insert.run({ ...row, id: 'A-ended', status: 'confirmed', ts: '1.2', contractId: 'C-501' });
    old
      .prepare(
        'INSERT INTO home_views (user_id, opened_at, version, published_version, next_attempt_at) VALUES (?, ?, 1, 1, ?)',
      )
      .run('U1', t0.getTime(), t0.getTime());
    old.close();

    const store = openSqliteStore(path);
    try {
      expect(await store.refreshCountdowns(at(hours(1)))).toBe(1);
      expect((await store.getApproval('A-posted'))?.version).toBe(2);
      expect(await store.refreshCountdowns(at(hours(1)))).toBe(0);
      expect(await store.refreshHomeCountdowns(at(hours(1)))).toBe(1);
      expect((await store.listContextRetries(at(hours(1)), 10)).map((approval) => approval.id)).toEqual([
        'A-posted',
      ]);
    } finally {
      await store.close();
    }
  });
});
