import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type EffectKey, effectKeys, fundEffect, noticeEffect } from '../../../src/domain/effects.js';
import type { Store } from '../../../src/ports/store.js';
import { StoreBusyError } from '../../../src/store/busy.js';
import { StoreOpenError } from '../../../src/store/errors.js';
import { latestVersion, migrate } from '../../../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { anApproval, at, hours, t0 } from '../../helpers/builders.js';
import { describeStoreContract } from './store-contract.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'countersign-store-'));
}

describeStoreContract('SQLite file', async () => {
  const path = join(tempDir(), 'nested', 'countersign.db');
  return { store: openSqliteStore(path), reopen: async () => openSqliteStore(path) };
});

const opened: Store[] = [];
const connections: Database.Database[] = [];
/** Folders a test made read-only, made writable again afterwards so /tmp can be cleaned. */
const readOnlyFolders: string[] = [];

function openStore(path: string, options: Parameters<typeof openSqliteStore>[1] = {}): Store {
  const store = openSqliteStore(path, options);
  opened.push(store);
  return store;
}

afterEach(async () => {
  for (const db of connections.splice(0)) if (db.open) db.close();
  for (const store of opened.splice(0)) await store.close();
  for (const folder of readOnlyFolders.splice(0)) chmodSync(folder, 0o755);
});

/** A database file as an older version left it: its schema up to `version`, rows written by `fill`. */
function oldDatabase(version: number, fill: (db: Database.Database) => void): string {
  const path = join(tempDir(), 'countersign.db');
  const db = new Database(path);
  migrate(db, version);
  fill(db);
  db.close();
  return path;
}

const json = (value: unknown) => JSON.stringify(value);
const alice = { kind: 'slack', userId: 'U0ALICE', teamId: 'T1' } as const;

/** Approval columns as version 5 wrote them; `card_next_attempt_at` was the card queue's due time. */
function insertV5Approval(db: Database.Database, row: Record<string, unknown>): void {
  const defaults = {
    type: 'milestone_fund',
    status: 'pending',
    contract_id: 'C-501',
    milestone_id: 'M-1001',
    job_id: 'J-1',
    approval_url: 'https://app.opentrain.ai/approvals/x',
    expires_at: at(hours(72)).getTime(),
    created_at: t0.getTime(),
    requester: json(alice),
    channel_id: 'C0FUND',
    context: null,
    version: 1,
    card_version: 0,
    card_channel_id: null,
    card_ts: null,
    card_next_attempt_at: t0.getTime(),
    card_lease_owner: null,
    card_lease_until: null,
    tracked_at: t0.getTime(),
    updated_at: t0.getTime(),
  };
  const values = { ...defaults, ...row };
  const columns = Object.keys(values);
  db.prepare(
    `INSERT INTO approvals (${columns.join(', ')}) VALUES (${columns.map((column) => `@${column}`).join(', ')})`,
  ).run(values);
}

function insertV5Effect(
  db: Database.Database,
  effect: {
    key: string;
    kind: string;
    approvalId?: string;
    payload: unknown;
    state?: string;
    attempts?: number;
  },
): void {
  db.prepare(`
    INSERT INTO effects (key, kind, approval_id, payload, state, attempts, next_attempt_at, last_error, created_at,
      finished_at)
    VALUES (@key, @kind, @approvalId, @payload, @state, @attempts, @next, @error, @created, @finished)`).run({
    key: effect.key,
    kind: effect.kind,
    approvalId: effect.approvalId ?? null,
    payload: json(effect.payload),
    state: effect.state ?? 'pending',
    attempts: effect.attempts ?? 0,
    next: t0.getTime(),
    error: (effect.attempts ?? 0) > 0 ? 'timeout' : null,
    created: t0.getTime(),
    finished: effect.state === 'done' ? t0.getTime() : null,
  });
}

/** What version 5 had: cards and Home tabs on queues of their own, loose effect payloads, upstream keys. */
function fillVersion5(db: Database.Database): void {
  insertV5Approval(db, {
    id: 'A-behind',
    version: 2,
    card_version: 1,
    card_channel_id: 'C0FUND',
    card_ts: '1.1',
  });
  db.prepare(
    "UPDATE approvals SET card_next_attempt_at = ?, card_lease_owner = 'old-worker', card_lease_until = ? WHERE id = 'A-behind'",
  ).run(at(5_000).getTime(), at(1_000).getTime());
  insertV5Approval(db, {
    id: 'A-synced',
    milestone_id: 'M-2002',
    version: 1,
    card_version: 1,
    card_ts: '1.2',
  });
  insertV5Approval(db, { id: 'A-ended', status: 'confirmed', version: 2, card_version: 2, card_ts: '1.3' });
  const home = db.prepare(`
    INSERT INTO home_views (user_id, opened_at, version, published_version, next_attempt_at) VALUES (?, ?, ?, ?, ?)`);
  home.run('U-behind', t0.getTime(), 2, 1, at(7_000).getTime());
  home.run('U-synced', t0.getTime(), 1, 1, t0.getTime());
  const upstreamKey = db.prepare(
    'INSERT INTO upstream_keys (key, approval_id, locked_until, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
  );
  upstreamKey.run('upstream:idem-1', 'A-synced', null, t0.getTime(), at(2_000).getTime());
  upstreamKey.run('upstream:idem-running', null, at(60_000).getTime(), t0.getTime(), t0.getTime());
  const requestedAt = t0.toISOString();
  insertV5Effect(db, {
    key: 'fund:cmd-1',
    kind: 'fund',
    attempts: 1,
    payload: {
      milestoneId: 'M-1001',
      note: 'for the first batch',
      requester: alice,
      originChannelId: 'C0ORIGIN',
      responseUrl: 'https://hooks.slack.com/commands/1',
      requestedAt,
    },
  });
  insertV5Effect(db, {
    key: 'autofund:M-3003',
    kind: 'fund',
    payload: {
      milestoneId: 'M-3003',
      note: null,
      requester: { kind: 'system', name: 'autofund rule for job J-1' },
      originChannelId: null,
      responseUrl: null,
      requestedAt,
      noticeChannelId: 'C0RULE',
    },
  });
  insertV5Effect(db, {
    key: `reminder:A-behind:${hours(24)}`,
    kind: 'reminder',
    approvalId: 'A-behind',
    payload: { offsetMs: hours(24) },
  });
  insertV5Effect(db, {
    key: 'outcome:A-ended',
    kind: 'outcome',
    approvalId: 'A-ended',
    payload: { status: 'confirmed' },
    state: 'done',
    attempts: 1,
  });
  insertV5Effect(db, {
    key: 'thread:outcome:A-ended',
    kind: 'thread',
    approvalId: 'A-ended',
    payload: { purpose: 'outcome' },
  });
  const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'stale Block Kit' } }];
  insertV5Effect(db, {
    key: 'reply:fund:cmd-0',
    kind: 'notify',
    payload: {
      userId: 'U0ALICE',
      responseUrl: 'https://hooks.slack.com/commands/0',
      requestedAt,
      message: { text: 'Funding requested', blocks },
    },
  });
  insertV5Effect(db, {
    key: 'notice:autofund:M-4004',
    kind: 'notify',
    payload: { channelId: 'C0RULE', message: { text: 'OpenTrain refused the autofund rule', blocks } },
  });
  insertV5Effect(db, {
    key: 'card-arrived:A-behind',
    kind: 'notify',
    approvalId: 'A-behind',
    payload: { userId: 'U0ALICE', message: { text: 'Your card is there now' } },
  });
  insertV5Effect(db, { key: 'mystery:1', kind: 'mystery', payload: {} });
  insertV5Effect(db, {
    key: 'reminder:A-untracked:1',
    kind: 'reminder',
    approvalId: 'A-untracked',
    payload: { offsetMs: 1 },
  });
  db.prepare(`
    INSERT INTO routes (scope, target_id, label, channel_id, approvers, auto_fund, created_by, created_at, updated_at)
    VALUES ('job', 'J-1', 'Job one', 'C0ROUTE', ?, 1, 'U0ADMIN', ?, ?)`).run(
    json([{ kind: 'usergroup', id: 'S1' }]),
    t0.getTime(),
    t0.getTime(),
  );
  db.prepare("INSERT INTO cursors (name, value, updated_at) VALUES ('opentrain-updates', '1042', ?)").run(
    t0.getTime(),
  );
  db.prepare(
    "INSERT INTO audit_log (at, approval_id, milestone_id, actor, action) VALUES (?, 'A-ended', 'M-1001', 'opentrain', 'confirmed')",
  ).run(t0.getTime());
  db.prepare("INSERT INTO webhook_deliveries (delivery_id, received_at) VALUES ('d-old', ?)").run(
    t0.getTime(),
  );
}

describe('SQLite migrations', () => {
  it('converts what version 5 queued into typed effects, keeping keys, states and attempts', async () => {
    const store = openStore(oldDatabase(5, fillVersion5));
    // Keys as version 5 spelled them, which effectKeys still produces.
    const effectOf = async (key: string) => store.outbox.find(key as EffectKey);
    const requestedAt = t0;

    const fund = await effectOf('fund:cmd-1');
    const autofund = await effectOf('autofund:M-3003');

    expect(fund).toMatchObject({ kind: 'fund', state: 'pending', attempts: 1, lastError: 'timeout' });
    expect(fund?.effect).toEqual({
      kind: 'fund',
      request: {
        workspaceId: '',
        via: 'slack',
        milestoneId: 'M-1001',
        note: 'for the first batch',
        requester: alice,
        actor: 'slack:U0ALICE',
        fallbackChannel: { id: 'C0ORIGIN', via: 'invoking-channel' },
        replyTo: { userId: 'U0ALICE', responseUrl: 'https://hooks.slack.com/commands/1', requestedAt },
        noticeChannelId: null,
      },
    });
    expect(autofund?.effect).toEqual({
      kind: 'fund',
      request: {
        workspaceId: '',
        via: 'autofund',
        milestoneId: 'M-3003',
        note: null,
        requester: { kind: 'system', name: 'autofund rule for job J-1' },
        actor: 'system:autofund rule for job J-1',
        fallbackChannel: null,
        replyTo: null,
        noticeChannelId: 'C0RULE',
      },
    });
    expect((await effectOf(`reminder:A-behind:${hours(24)}`))?.effect).toEqual({
      kind: 'dm',
      approvalId: 'A-behind',
      userId: 'U0ALICE',
      message: { about: 'reminder', offsetMs: hours(24) },
    });
    expect(await effectOf('outcome:A-ended')).toMatchObject({
      state: 'done',
      attempts: 1,
      effect: {
        kind: 'dm',
        approvalId: 'A-ended',
        userId: 'U0ALICE',
        message: { about: 'outcome', status: 'confirmed' },
      },
    });
    expect((await effectOf('thread:outcome:A-ended'))?.effect).toEqual({
      kind: 'thread',
      approvalId: 'A-ended',
      purpose: 'outcome',
    });
    expect((await effectOf('reply:fund:cmd-0'))?.effect).toEqual({
      kind: 'reply',
      to: { userId: 'U0ALICE', responseUrl: 'https://hooks.slack.com/commands/0', requestedAt },
      reply: { kind: 'text', text: 'Funding requested' },
    });
    expect((await effectOf('notice:autofund:M-4004'))?.effect).toEqual({
      kind: 'notice',
      channelId: 'C0RULE',
      notice: { kind: 'text', text: 'OpenTrain refused the autofund rule' },
    });
    expect((await effectOf('card-arrived:A-behind'))?.effect).toEqual({
      kind: 'dm',
      approvalId: 'A-behind',
      userId: 'U0ALICE',
      message: { about: 'card-arrived' },
    });
    expect(await effectOf('mystery:1')).toBeUndefined();
    expect(await effectOf('reminder:A-untracked:1')).toBeUndefined();
  });

  it('turns a card and a Home tab that were behind into due card and home effects, and those in step into none', async () => {
    const store = openStore(oldDatabase(5, fillVersion5));
    const claim = (key: EffectKey, now: Date) =>
      store.outbox.claim({ owner: 'w1', now, leaseMs: 60_000, limit: 1, key });

    const cardEarly = await claim(effectKeys.card('A-behind'), at(4_999));
    const [card] = await claim(effectKeys.card('A-behind'), at(5_000));
    const homeEarly = await claim(effectKeys.home('U-behind'), at(6_999));
    const [home] = await claim(effectKeys.home('U-behind'), at(7_000));

    expect(cardEarly).toEqual([]);
    expect(card).toMatchObject({
      effect: { kind: 'card', approvalId: 'A-behind' },
      attempts: 1,
      uncertainSince: null,
    });
    expect(homeEarly).toEqual([]);
    expect(home?.effect).toEqual({ kind: 'home', userId: 'U-behind' });
    expect(await store.outbox.find(effectKeys.card('A-synced'))).toBeUndefined();
    expect(await store.outbox.find(effectKeys.home('U-synced'))).toBeUndefined();
    expect((await store.approvals.get('A-behind'))?.card).toEqual({
      version: 1,
      channelId: 'C0FUND',
      ts: '1.1',
      permalink: null,
    });
  });

  it('turns an upstream idempotency key that led to an approval into that request, finished, with its outcome', async () => {
    const store = openStore(oldDatabase(5, fillVersion5));

    const carried = await store.outbox.find(effectKeys.upstream('idem-1'));
    const running = await store.outbox.find(effectKeys.upstream('idem-running'));

    expect(carried).toMatchObject({
      kind: 'fund',
      state: 'done',
      result: { kind: 'tracked', approvalId: 'A-synced', ours: true, cardProblem: null },
      effect: { kind: 'fund', request: { via: 'upstream', milestoneId: 'M-2002', replyTo: null } },
    });
    expect(running).toBeUndefined();
    const again = fundEffect(effectKeys.upstream('idem-1'), {
      workspaceId: 'T1',
      via: 'upstream',
      milestoneId: 'M-2002',
      note: null,
      requester: { kind: 'system', name: 'an upstream system' },
      actor: 'upstream:unnamed',
      fallbackChannel: null,
      replyTo: null,
      noticeChannelId: null,
    });
    expect(await store.outbox.enqueue([again], at(hours(1)))).toBe(0);
  });

  it('queues converted effects by how urgent they are, and gives every upgraded row to the workspace that adopts it', async () => {
    const store = openStore(oldDatabase(5, fillVersion5));
    const lease = { owner: 'w1', now: at(hours(1)), leaseMs: 60_000 };

    const beforeAdoption = await store.outbox.claim({ ...lease, limit: 1 });
    await store.adoptUnownedRows('T1');
    const urgent = await store.outbox.claim({ ...lease, limit: 2 });
    const rest = await store.outbox.claim({ ...lease, limit: 20 });

    expect(beforeAdoption.map((effect) => effect.workspaceId)).toEqual(['']);
    expect([...beforeAdoption, ...urgent].map((effect) => effect.key).sort()).toEqual([
      'autofund:M-3003',
      'fund:cmd-1',
      'reply:fund:cmd-0',
    ]);
    expect(rest[0]?.key).toBe(effectKeys.card('A-behind'));
    expect([...urgent, ...rest].every((effect) => effect.workspaceId === 'T1')).toBe(true);
    const fund = [...beforeAdoption, ...urgent].find((effect) => effect.key === 'autofund:M-3003');
    expect(fund?.effect).toMatchObject({ kind: 'fund', request: { workspaceId: 'T1' } });
    expect((await store.approvals.get('A-behind'))?.workspaceId).toBe('T1');
    expect(await store.routes.list('T1')).toEqual([
      {
        workspaceId: 'T1',
        scope: 'job',
        targetId: 'J-1',
        label: 'Job one',
        channelId: 'C0ROUTE',
        approvers: [{ kind: 'usergroup', id: 'S1' }],
        autoFund: true,
        createdBy: 'U0ADMIN',
        updatedAt: t0,
      },
    ]);
    expect(await store.cursors.advance('T1', 'opentrain-updates', '1042', '1043', at(hours(1)))).toBe(true);
    expect(await store.homes.recentViewers('T1', ['U-behind', 'U-synced'], at(hours(1)))).toEqual([
      'U-behind',
      'U-synced',
    ]);
    expect(
      (await store.audit.list({ approvalId: 'A-ended', limit: 10 })).map((entry) => entry.action),
    ).toEqual(['confirmed']);
    expect(await store.inbound.recordDelivery('d-old', at(hours(1)))).toBe(false);
  });

  it('refreshes what an older version left behind once, at the first tick: countdowns and missing contexts', async () => {
    const path = oldDatabase(3, (db) => {
      const insert = db.prepare(`
        INSERT INTO approvals (id, type, status, contract_id, approval_url, expires_at, created_at, requester,
          channel_id, card_ts, card_version, version, card_next_attempt_at, tracked_at, updated_at)
        VALUES (@id, 'milestone_fund', @status, @contractId, 'https://app.opentrain.ai/approvals/x', @expires, @t0,
          '{"kind":"system","name":"t"}', 'C0FUND', @ts, 1, 1, @t0, @t0, @t0)`);
      const row = { expires: at(hours(72)).getTime(), t0: t0.getTime(), contractId: null };
      insert.run({ ...row, id: 'A-posted', status: 'pending', ts: '1.1', contractId: 'C-501' });
      insert.run({ ...row, id: 'A-unposted', status: 'pending', ts: null });
      insert.run({ ...row, id: 'A-ended', status: 'confirmed', ts: '1.2', contractId: 'C-501' });
      db.prepare(
        'INSERT INTO home_views (user_id, opened_at, version, published_version, next_attempt_at) VALUES (?, ?, 1, 1, ?)',
      ).run('U1', t0.getTime(), t0.getTime());
    });
    const store = openStore(path);

    const stale = await store.approvals.listStaleCountdowns(at(hours(1)), 10);
    const refreshed = await store.approvals.refreshCountdown('A-posted', [], at(hours(1)));

    expect(stale).toEqual([{ id: 'A-posted', workspaceId: '' }]);
    expect(refreshed).toBe(true);
    expect((await store.approvals.get('A-posted'))?.version).toBe(2);
    expect(await store.approvals.listStaleCountdowns(at(hours(1)), 10)).toEqual([]);
    expect(await store.homes.listStale(at(hours(1)), 10)).toEqual([{ workspaceId: '', userId: 'U1' }]);
    expect(
      (await store.approvals.listContextRetries(at(hours(1)), 10)).map((approval) => approval.id),
    ).toEqual(['A-posted']);
  });

  it('refuses a database written by a newer schema, and leaves it as it was', async () => {
    const path = join(tempDir(), 'countersign.db');
    await openSqliteStore(path).close();
    const newer = new Database(path);
    newer
      .prepare("INSERT INTO schema_migrations (version, name) VALUES (?, 'from the future')")
      .run(latestVersion + 1);
    newer.close();

    const opening = () => openSqliteStore(path);

    expect(opening).toThrow(StoreOpenError);
    expect(opening).toThrow(/newer Countersign.*restore a backup/);
    expect(opening).toThrow(path);
    const check = new Database(path, { readonly: true });
    connections.push(check);
    expect(check.prepare('SELECT MAX(version) AS version FROM schema_migrations').get()).toEqual({
      version: latestVersion + 1,
    });
  });
});

/**
 * Runs `work` with the rights of an ordinary user. As root (some containers run tests so) every file is
 * writable whatever its mode; the effective ids are switched back before anything else runs.
 */
function asUnprivileged<T>(work: () => T): T {
  const { seteuid, setegid } = process;
  if (process.getuid?.() !== 0 || seteuid === undefined || setegid === undefined) return work();
  setegid(65_534);
  seteuid(65_534);
  try {
    return work();
  } finally {
    seteuid(0);
    setegid(0);
  }
}

function openError(path: string): unknown {
  return asUnprivileged(() => {
    try {
      opened.push(openSqliteStore(path));
      return undefined;
    } catch (error) {
      return error;
    }
  });
}

describe('SQLite store at start-up', () => {
  async function readOnlyFile(folderMode: number): Promise<string> {
    const folder = tempDir();
    const path = join(folder, 'countersign.db');
    await openSqliteStore(path).close();
    chmodSync(path, 0o444);
    chmodSync(folder, folderMode);
    readOnlyFolders.push(folder);
    return path;
  }

  it.each([
    ['a folder it may write', 0o777],
    ['a read-only folder', 0o555],
  ])(
    'refuses a read-only database file in %s with one line naming the file and the fix',
    async (_, folderMode) => {
      const path = await readOnlyFile(folderMode);

      const error = openError(path);

      expect(error).toBeInstanceOf(StoreOpenError);
      const message = (error as Error).message;
      expect(message).toContain(path);
      expect(message).toMatch(/read-only.*make the file and its folder writable/);
      expect(message).not.toContain('\n');
    },
  );

  it('refuses a database in a missing folder it cannot create, with one line naming the path and the fix', () => {
    const parent = tempDir();
    chmodSync(parent, 0o555);
    readOnlyFolders.push(parent);
    const path = join(parent, 'missing', 'countersign.db');

    const error = openError(path);

    expect(error).toBeInstanceOf(StoreOpenError);
    const message = (error as Error).message;
    expect(message).toContain(path);
    expect(message).toMatch(/create its folder and make it writable/);
    expect(message).not.toContain('\n');
  });

  it('opens a database another connection holds locked, since it can write once the lock is gone', async () => {
    const path = join(tempDir(), 'countersign.db');
    await openSqliteStore(path).close();
    const other = new Database(path);
    connections.push(other);
    other.exec('BEGIN IMMEDIATE');

    const store = openStore(path);
    other.exec('ROLLBACK');

    expect(await store.inbound.recordDelivery('d1', t0)).toBe(true);
  });
});

describe('SQLite store under a lock', () => {
  it('keeps the event loop free while another connection holds the write lock, then fails with StoreBusyError', async () => {
    const path = join(tempDir(), 'countersign.db');
    const store = openStore(path);
    const other = new Database(path);
    connections.push(other);
    other.exec('BEGIN IMMEDIATE');
    const notice = noticeEffect('n', 'T1', 'C1', { kind: 'text', text: 'hello' });
    let settled = false;
    let timerFiredFirst: boolean | undefined;

    const timer = new Promise<void>((resolve) => {
      setTimeout(() => {
        timerFiredFirst = !settled;
        resolve();
      }, 20);
    });
    const call = store.outbox.enqueue([notice], t0).finally(() => {
      settled = true;
    });

    await expect(call).rejects.toBeInstanceOf(StoreBusyError);
    await timer;
    expect(timerFiredFirst).toBe(true);
    other.exec('ROLLBACK');
    expect(await store.outbox.enqueue([notice], t0)).toBe(1);
  });
});

describe('SQLite store wake-ups', () => {
  it('wakes the runner after effects were queued and committed, and not when nothing new was', async () => {
    let wakes = 0;
    const store = openStore(join(tempDir(), 'countersign.db'), { onEnqueue: () => wakes++ });
    const notice = noticeEffect('n', 'T1', 'C1', { kind: 'text', text: 'hello' });

    await store.outbox.enqueue([notice], t0);
    await nextTurn();
    const afterNew = wakes;
    await store.outbox.enqueue([notice], t0);
    await nextTurn();

    expect(afterNew).toBe(1);
    expect(wakes).toBe(1);
  });
});

describe('SQLite store ending many approvals', () => {
  it('keeps nothing of a batch whose transaction failed partway: no status, no audit entry, no effect', async () => {
    const path = join(tempDir(), 'countersign.db');
    const store = openStore(path);
    for (const id of ['A-1', 'A-2']) {
      await store.approvals.track(
        {
          workspaceId: 'T1',
          approval: anApproval({ id }),
          requester: alice,
          note: null,
          channelId: 'C0FUND',
          approvers: [],
          context: null,
          contextRetryAt: null,
        },
        t0,
        () => ({ approvalId: id, milestoneId: 'M-1001', actor: 'slack:U0ALICE', action: 'requested' }),
        () => [],
      );
    }
    // The second approval's audit entry is refused, after both rows changed and the first entry was written.
    const other = new Database(path);
    connections.push(other);
    other.exec(`
      CREATE TRIGGER refuse_a2 BEFORE INSERT ON audit_log WHEN NEW.approval_id = 'A-2'
      BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`);
    const ending = (id: string) =>
      ({
        transition: {
          approvalId: id,
          status: 'declined',
          resolvedAt: t0,
          result: null,
          source: 'opentrain:read',
        },
        effects: [noticeEffect(`notice:${id}`, 'T1', 'C0NOTICE', { kind: 'text', text: id })],
      }) as const;

    const ended = store.approvals.endMany([ending('A-1'), ending('A-2')], at(hours(1)));

    await expect(ended).rejects.toThrow('refused for the test');
    expect((await store.approvals.get('A-1'))?.status).toBe('pending');
    expect((await store.audit.list({ approvalId: 'A-1', limit: 10 })).map((entry) => entry.action)).toEqual([
      'requested',
    ]);
    expect(await store.outbox.find(effectKeys.notice('notice:A-1'))).toBeUndefined();
  });
});
