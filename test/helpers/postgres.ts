import { userInfo } from 'node:os';
import pg from 'pg';

/*
 * The PostgreSQL server the tests use: the real one on this machine (127.0.0.1:5432, trust auth, database
 * `test`), or TEST_DATABASE_URL. Every test gets a schema of its own, named after this run, and the run drops
 * its schemas at the end (and any a crashed run left behind more than an hour ago), so runs never collide.
 */

export const postgresHint =
  'PostgreSQL must answer on 127.0.0.1:5432 with trust auth and a database named test. .ci/run starts it; ' +
  'by hand: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (as root), then ' +
  'createdb test if it is missing. Or set TEST_DATABASE_URL to a server of your own.';

const schemaPrefix = 'cs_test_';
const staleAfterMs = 3_600_000;

function candidates(): string[] {
  const given = process.env.TEST_DATABASE_URL;
  if (given !== undefined && given !== '') return [given];
  const users = [process.env.PGUSER, userInfo().username, 'postgres', 'root'];
  return [...new Set(users.filter((user): user is string => user !== undefined && user !== ''))].map(
    (user) => `postgres://${encodeURIComponent(user)}@127.0.0.1:5432/test`,
  );
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The URL of the test server, or undefined when none answers. In CI (`CI` set) a missing server fails the
 * suite, with how to start it, instead of skipping it.
 */
export async function findTestServer(): Promise<string | undefined> {
  for (const url of candidates()) {
    if (await answers(url)) return url;
  }
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') {
    throw new Error(`The PostgreSQL tests cannot run in CI without their server. ${postgresHint}`);
  }
  return undefined;
}

/** `url` with this schema first in search_path, the way an operator would pick one. */
export function withSchema(url: string, schema: string): string {
  const separator = url.includes('?') ? '&' : '?';
  return `${url}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

export interface TestSchemas {
  /** A fresh, empty schema, and the URL that selects it. */
  create(): Promise<{ url: string; schema: string }>;
  /** Drops every schema this run created. */
  dropAll(): Promise<void>;
  /** Runs SQL as the test's own session, outside any store (to hold locks, read what a store wrote). */
  admin(): Promise<pg.Client>;
}

export function testSchemas(serverUrl: string): TestSchemas {
  const run = `${schemaPrefix}${Date.now().toString(36)}_${process.pid}_`;
  const created: string[] = [];
  const clients: pg.Client[] = [];
  let swept = false;

  async function admin(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: serverUrl });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }
  async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  return {
    admin,
    async create() {
      const schema = `${run}${created.length + 1}`;
      await withAdmin(async (client) => {
        if (!swept) await dropStale(client);
        swept = true;
        await client.query(`CREATE SCHEMA ${schema}`);
      });
      created.push(schema);
      return { url: withSchema(serverUrl, schema), schema };
    },
    async dropAll() {
      await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
      const schemas = created.splice(0);
      if (schemas.length === 0) return;
      await withAdmin(async (client) => {
        for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      });
    },
  };
}

/** Schemas left by runs that died more than an hour ago (their name starts with the run's time). */
async function dropStale(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    "SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'cs\\_test\\_%'",
  );
  for (const { name } of rows) {
    const startedAt = Number.parseInt(name.slice(schemaPrefix.length).split('_')[0] ?? '', 36);
    if (Number.isFinite(startedAt) && Date.now() - startedAt > staleAfterMs) {
      await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    }
  }
}
