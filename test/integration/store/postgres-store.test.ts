import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { effectKeys, noticeEffect, type QueuedEffect } from '../../../src/domain/effects.js';
import type { Store } from '../../../src/ports/store.js';
import { StoreBusyError } from '../../../src/store/busy.js';
import { StoreOpenError } from '../../../src/store/errors.js';
import { migrateStore, openStore } from '../../../src/store/open-store.js';
import { postgresMigrations } from '../../../src/store/postgres/migrations.js';
import { openPostgresStore } from '../../../src/store/postgres/postgres-store.js';
import { anApproval, at, hours, t0 } from '../../helpers/builders.js';
import { findTestServer, postgresHint, testSchemas } from '../../helpers/postgres.js';
import { describeStoreContract } from './store-contract.js';

// Fails (in CI) or is skipped (elsewhere) right here when no server answers; see postgresHint.
const server = await findTestServer();

const notice = (name: string): QueuedEffect =>
  noticeEffect(name, 'T1', 'C0NOTICE', { kind: 'text', text: name });
const lease = (owner: string, now = t0, limit = 5) => ({ owner, now, leaseMs: 60_000, limit });

/** Waits until `condition` holds, or fails after `withinMs`. */
async function eventually(condition: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms`);
    await sleep(10);
  }
}

if (server === undefined) {
  describe('PostgreSQL store', () => {
    it.skip(`needs the server: ${postgresHint}`, () => {});
  });
} else {
  const schemas = testSchemas(server);
  const opened: Store[] = [];
  /** A store on `url`; closed at the end even when a test fails half-way. */
  async function open(url: string, onEnqueue?: () => void): Promise<Store> {
    const store = await openPostgresStore(url, onEnqueue === undefined ? {} : { onEnqueue });
    opened.push(store);
    return store;
  }
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    await schemas.dropAll();
  });

  describeStoreContract('PostgreSQL', async () => {
    const { url } = await schemas.create();
    return { store: await openPostgresStore(url), reopen: () => openPostgresStore(url) };
  });

  describe('PostgreSQL store with several replicas', () => {
    it('never hands the same effect to two stores claiming at once', async () => {
      const { url } = await schemas.create();
      const replicas = await Promise.all([open(url), open(url), open(url)]);
      const effects = Array.from({ length: 150 }, (_, index) => notice(`n${index}`));
      await replicas[0]?.outbox.enqueue(effects, t0);

      const taken: string[][] = replicas.map(() => []);
      // Each store claims from four connections at once until the queue is empty.
      await Promise.all(
        replicas.flatMap((store, replica) =>
          Array.from({ length: 4 }, async () => {
            for (;;) {
              const claimed = await store.outbox.claim(lease(`replica-${replica}`));
              if (claimed.length === 0) return;
              taken[replica]?.push(...claimed.map((effect) => effect.key));
            }
          }),
        ),
      );

      const all = taken.flat();
      expect(all).toHaveLength(effects.length);
      expect(new Set(all).size).toBe(effects.length);
      expect(taken.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
    });

    it('wakes the other stores on the database within a second of an enqueue, and this one once', async () => {
      const { url } = await schemas.create();
      const { url: otherUrl } = await schemas.create();
      const wakes = { a: 0, b: 0, elsewhere: 0 };
      const a = await open(url, () => wakes.a++);
      await open(url, () => wakes.b++);
      await open(otherUrl, () => wakes.elsewhere++);

      await a.outbox.enqueue([notice('wake')], t0);
      await eventually(() => wakes.b === 1, 1_000);
      await sleep(100);

      expect(wakes).toEqual({ a: 1, b: 1, elsewhere: 0 });
      await a.outbox.enqueue([notice('wake')], t0);
      await sleep(200);
      expect(wakes).toEqual({ a: 1, b: 1, elsewhere: 0 });
    });

    it('listens again after its connection is cut, and wakes once it is back', async () => {
      const { url } = await schemas.create();
      // A name of its own, so only this store's listening connection is cut.
      const name = `cs-test-listener-${process.pid}`;
      let wakes = 0;
      const listening = await open(`${url}&application_name=${name}`, () => wakes++);
      const other = await open(url);
      const admin = await schemas.admin();

      const cut = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'",
        [name],
      );
      expect(cut.rowCount).toBe(1);
      await eventually(() => wakes === 1, 3_000);
      await other.outbox.enqueue([notice('after-cut')], t0);
      await eventually(() => wakes === 2, 1_000);
      expect(await listening.outbox.nextDueAt()).toEqual(t0);
    });

    it('migrates a fresh schema once when replicas start together', async () => {
      const { url } = await schemas.create();
      const reports = await Promise.all([
        migrateStore({ kind: 'postgres', url }),
        migrateStore({ kind: 'postgres', url }),
        migrateStore({ kind: 'postgres', url }),
      ]);
      expect(reports.map((report) => report.applied.length).sort()).toEqual([
        0,
        0,
        postgresMigrations.length,
      ]);

      const { url: fresh, schema } = await schemas.create();
      const stores = await Promise.all([
        open(fresh),
        open(fresh),
        openStore({ kind: 'postgres', url: fresh }).then((store) => {
          opened.push(store);
          return store;
        }),
      ]);
      await stores[0]?.outbox.enqueue([notice('after-start')], t0);
      expect((await stores[2]?.outbox.find(effectKeys.notice('after-start')))?.state).toBe('pending');
      const admin = await schemas.admin();
      const { rows } = await admin.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      expect(rows).toEqual(postgresMigrations.map(({ version }) => ({ version })));
    });

    it('fails a call that finds its row locked with StoreBusyError within seconds, instead of hanging', async () => {
      const { url, schema } = await schemas.create();
      const store = await open(url);
      await store.approvals.track(
        {
          workspaceId: 'T1',
          approval: anApproval({ id: 'A-1', expiresAt: at(hours(72)) }),
          requester: { kind: 'system', name: 'test' },
          note: null,
          channelId: 'C0FUND',
          approvers: [],
          context: null,
          contextRetryAt: null,
        },
        t0,
        () => ({ approvalId: 'A-1', milestoneId: 'M-1001', actor: 'system:test', action: 'requested' }),
        () => [notice('locked')],
      );
      const admin = await schemas.admin();
      await admin.query('BEGIN');
      await admin.query(`SELECT 1 FROM ${schema}.approvals WHERE id = 'A-1' FOR UPDATE`);
      await admin.query(`SELECT 1 FROM ${schema}.effects FOR UPDATE`);

      // A claim skips the locked effect at once rather than waiting for it.
      const claimStarted = Date.now();
      expect(await store.outbox.claim(lease('w'))).toEqual([]);
      expect(Date.now() - claimStarted).toBeLessThan(1_000);

      const started = Date.now();
      const ending = store.approvals.end(
        { approvalId: 'A-1', status: 'confirmed', resolvedAt: t0, result: null, source: 'opentrain:read' },
        t0,
        [],
      );
      await expect(ending).rejects.toBeInstanceOf(StoreBusyError);
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(1_500);
      expect(waited).toBeLessThan(5_000);
      await admin.query('ROLLBACK');

      // Nothing of the failed call was kept, and the store works on.
      expect((await store.approvals.get('A-1'))?.status).toBe('pending');
      expect((await store.outbox.claim(lease('w'))).map((effect) => effect.key)).toEqual([
        effectKeys.notice('locked'),
      ]);
    });
  });

  describe('PostgreSQL store ending many approvals', () => {
    it('keeps nothing of a batch whose transaction failed partway: no status, no audit entry, no effect', async () => {
      const { url, schema } = await schemas.create();
      const store = await open(url);
      for (const id of ['A-1', 'A-2']) {
        await store.approvals.track(
          {
            workspaceId: 'T1',
            approval: anApproval({ id }),
            requester: { kind: 'system', name: 'test' },
            note: null,
            channelId: 'C0FUND',
            approvers: [],
            context: null,
            contextRetryAt: null,
          },
          t0,
          () => ({ approvalId: id, milestoneId: 'M-1001', actor: 'system:test', action: 'requested' }),
          () => [],
        );
      }
      // The second approval's audit entry is refused, after both rows changed and the first entry was written.
      const admin = await schemas.admin();
      await admin.query(`
        CREATE FUNCTION ${schema}.refuse_a2() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused for the test'; END $$`);
      await admin.query(`
        CREATE TRIGGER refuse_a2 BEFORE INSERT ON ${schema}.audit_log
        FOR EACH ROW WHEN (NEW.approval_id = 'A-2') EXECUTE FUNCTION ${schema}.refuse_a2()`);
      const ending = (id: string) =>
        ({
          transition: {
            approvalId: id,
            status: 'declined',
            resolvedAt: t0,
            result: null,
            source: 'opentrain:read',
          },
          effects: [notice(id)],
        }) as const;

      const ended = store.approvals.endMany([ending('A-1'), ending('A-2')], at(hours(1)));

      await expect(ended).rejects.toThrow('refused for the test');
      expect((await store.approvals.get('A-1'))?.status).toBe('pending');
      expect((await store.audit.list({ approvalId: 'A-1', limit: 10 })).map((entry) => entry.action)).toEqual(
        ['requested'],
      );
      expect(await store.outbox.find(effectKeys.notice('A-1'))).toBeUndefined();
    });
  });

  describe('Opening a PostgreSQL store', () => {
    it('says in one line which server does not answer and what to do, without the password', async () => {
      const opening = openStore({
        kind: 'postgres',
        url: 'postgres://cs:supersecret@127.0.0.1:1/countersign',
      });
      await expect(opening).rejects.toBeInstanceOf(StoreOpenError);
      const message = await opening.catch((error: Error) => error.message);
      expect(message).toBe(
        'Cannot use the PostgreSQL database "countersign" on 127.0.0.1:1 as cs: nothing answers there: start the server, or point DATABASE_URL at one that runs.',
      );
    });

    it('refuses a URL that does not parse without echoing it', async () => {
      const opening = openStore({ kind: 'postgres', url: 'postgres://cs:supersecret#1@db.internal/x' });
      await expect(opening).rejects.toBeInstanceOf(StoreOpenError);
      await expect(opening).rejects.toThrow(
        /^DATABASE_URL is not a valid PostgreSQL URL: .*percent-encoded\.$/,
      );
      await expect(opening).rejects.not.toThrow(/supersecret/);
    });

    it('names a database that does not exist', async () => {
      const url = new URL(server);
      url.pathname = '/countersign_no_such_database';
      await expect(openStore({ kind: 'postgres', url: url.toString() })).rejects.toThrow(
        /database "countersign_no_such_database" on 127\.0\.0\.1:5432 .*does not exist: create it/,
      );
    });

    it('refuses a schema written by a newer version, and leaves it as it was', async () => {
      const { url, schema } = await schemas.create();
      await migrateStore({ kind: 'postgres', url });
      const admin = await schemas.admin();
      await admin.query(
        `INSERT INTO ${schema}.schema_migrations (version, name) VALUES (99, 'from the future')`,
      );

      await expect(openStore({ kind: 'postgres', url })).rejects.toThrow(
        /written by a newer Countersign \(schema 99, this one knows 4\)/,
      );
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${schema}.schema_migrations`);
      expect(rows).toEqual([{ n: postgresMigrations.length + 1 }]);
    });
  });
}

describe('The migration runner on SQLite', () => {
  it('reports what it applied, and refuses a file written by a newer version', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'countersign-migrate-')), 'countersign.db');
    const sqlite = { kind: 'sqlite', path } as const;

    expect((await migrateStore(sqlite, { upTo: 4 })).applied.map((m) => m.version)).toEqual([1, 2, 3, 4]);
    expect(await migrateStore(sqlite)).toMatchObject({ from: 4, to: 9 });
    expect((await migrateStore(sqlite)).applied).toEqual([]);

    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations (version, name) VALUES (10, 'from the future')").run();
    db.close();
    await expect(openStore(sqlite)).rejects.toThrow(
      /written by a newer Countersign \(schema 10, this one knows 9\)/,
    );
  });
});
