import { mkdirSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseConfig } from '../../../src/config.js';

/** Where one run keeps its data: a SQLite file of its own, or a PostgreSQL schema of its own. */
export interface StoreTarget {
  readonly kind: 'sqlite' | 'postgres';
  /** DATABASE_URL for the bot. */
  readonly url: string;
  readonly database: DatabaseConfig;
  /** What the store takes on disk: the file and its WAL, or the schema's tables with their indexes and TOAST. */
  bytes(): Promise<number>;
  /** Rows in the approvals table. */
  approvals(): Promise<number>;
  dispose(): Promise<void>;
}

export function sqliteTarget(dir: string): StoreTarget {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'countersign.db');
  const size = (file: string) => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  return {
    kind: 'sqlite',
    url: `sqlite:${path}`,
    database: { kind: 'sqlite', path },
    async bytes() {
      return size(path) + size(`${path}-wal`);
    },
    async approvals() {
      const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM approvals').get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
    async dispose() {},
  };
}

/** The PostgreSQL server to use, or why there is none: BENCH_DATABASE_URL, TEST_DATABASE_URL, or 127.0.0.1:5432/test. */
export async function findPostgres(): Promise<{ url: string } | { reason: string }> {
  const given = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
  const users = [process.env.PGUSER, userInfo().username, 'postgres', 'root'].filter(
    (user): user is string => user !== undefined && user !== '',
  );
  const candidates =
    given !== undefined && given !== ''
      ? [given]
      : [...new Set(users)].map((user) => `postgres://${encodeURIComponent(user)}@127.0.0.1:5432/test`);
  let last = '';
  for (const url of candidates) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return { url };
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return {
    reason: `PostgreSQL does not answer at ${given ? 'BENCH_DATABASE_URL' : '127.0.0.1:5432, database test'} (${last}); start it (.ci/run does) or set BENCH_DATABASE_URL`,
  };
}

let schemaSeq = 0;

/** A fresh schema on the server at `serverUrl`, selected through search_path in the URL; dropped by dispose(). */
export async function postgresTarget(serverUrl: string): Promise<StoreTarget> {
  schemaSeq += 1;
  const schema = `cs_bench_${Date.now().toString(36)}_${process.pid}_${schemaSeq}`;
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  await admin((client) => client.query(`CREATE SCHEMA ${schema}`));
  const separator = serverUrl.includes('?') ? '&' : '?';
  const url = `${serverUrl}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    kind: 'postgres',
    url,
    database: { kind: 'postgres', url },
    bytes: () =>
      admin(async (client) => {
        const { rows } = await client.query<{ bytes: string | null }>(
          `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
          [schema],
        );
        return Number(rows[0]?.bytes ?? 0);
      }),
    approvals: () =>
      admin(async (client) => {
        const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.approvals`);
        return Number(rows[0]?.n ?? 0);
      }),
    dispose: () => admin((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).then(() => {}),
  };
}
