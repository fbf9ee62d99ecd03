import pg from 'pg';
import { StoreBusyError } from '../busy.js';
import { StoreOpenError } from '../errors.js';

/** How long a statement may wait for a lock another transaction holds, then fails (StoreBusyError). */
export const lockTimeoutMs = 2_000;
/** How long one statement may run. */
export const statementTimeoutMs = 10_000;
/** How long a request waits for a free connection from the pool, or for a new connection to open. */
export const connectTimeoutMs = 5_000;

/** Times are BIGINT epoch milliseconds, ids BIGINT: read both as numbers (far below 2^53), not strings. */
const types: pg.CustomTypesConfig = {
  getTypeParser: (id, format) =>
    id === pg.types.builtins.INT8 ? (text: string) => Number(text) : pg.types.getTypeParser(id, format),
};

/**
 * Settings for every connection to the database at `url`. Parameters in the URL (`?lock_timeout=…`,
 * `?options=-c search_path=…`, `?sslmode=…`) take precedence over these defaults.
 */
export function connectionConfig(url: string): pg.ClientConfig {
  return {
    connectionString: url,
    application_name: 'countersign',
    lock_timeout: lockTimeoutMs,
    statement_timeout: statementTimeoutMs,
    // A client that sent a statement and never heard back (the network went away) gives up too.
    query_timeout: statementTimeoutMs + 5_000,
    // A transaction left open by a stuck process must not hold its locks for long.
    idle_in_transaction_session_timeout: 30_000,
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
    types,
  };
}

/** The database as an operator may see it: host, port, database and user, never the password. */
export function describeTarget(url: string): string {
  // Node's own error would carry the URL, password and all.
  if (!URL.canParse(url)) {
    throw new StoreOpenError(
      'DATABASE_URL is not a valid PostgreSQL URL: it must look like postgres://user:password@host:5432/database, with any special character in the password percent-encoded.',
    );
  }
  const parsed = new URL(url);
  const param = (name: string) => parsed.searchParams.get(name) ?? undefined;
  const host = param('host') ?? (decodeURIComponent(parsed.hostname) || 'localhost');
  const port = param('port') ?? (parsed.port || '5432');
  const user = param('user') ?? decodeURIComponent(parsed.username);
  const database = decodeURIComponent(parsed.pathname.slice(1)) || user || '(default)';
  const as = user === '' ? '' : ` as ${user}`;
  return `PostgreSQL database "${database}" on ${host}:${port}${as}`;
}

const fixes: Record<string, string> = {
  ECONNREFUSED: 'nothing answers there: start the server, or point DATABASE_URL at one that runs',
  ENOTFOUND: 'the host name is unknown: check the host in DATABASE_URL',
  EAI_AGAIN: 'the host name could not be looked up: check the host in DATABASE_URL and the DNS',
  ETIMEDOUT: 'the server did not answer: check the host, port and firewall',
  EHOSTUNREACH: 'the host is unreachable: check the host in DATABASE_URL and the network',
  '28P01': 'the password was refused: check the user and password in DATABASE_URL',
  '28000': 'the server refused this user: check the user in DATABASE_URL and pg_hba.conf',
  '3D000': 'the database does not exist: create it (createdb), or fix the database name in DATABASE_URL',
  '3F000': 'the schema named in search_path does not exist: create it, or fix the options in DATABASE_URL',
  '42501': 'this user may not create tables there: grant it CREATE on the schema, or run as its owner',
  '53300': 'the server has no connection to spare: raise max_connections, or stop idle clients',
  '57P03': 'the server is starting up or shutting down: try again in a moment',
};

/** An error while opening or migrating, as one line naming the database and the fix. */
export function openError(error: unknown, where: string): StoreOpenError {
  if (error instanceof StoreOpenError) return error;
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  const fix = fixes[code] ?? (/timeout/i.test(message) ? fixes.ETIMEDOUT : undefined);
  const detail = fix ?? `${message}${code === '' ? '' : ` (${code})`}`;
  return new StoreOpenError(`Cannot use the ${where}: ${detail}.`, { cause: error });
}

/** Codes of a statement that gave up waiting: the caller retries later, as with a locked SQLite file. */
const busyCodes: Record<string, string> = {
  '55P03': 'a row this needs is locked by another transaction',
  '57014': 'the database did not finish the statement in time',
  '40P01': 'the transaction was chosen to break a deadlock',
  '40001': 'the transaction conflicted with a concurrent one',
};

/** A lock or statement timeout becomes StoreBusyError; anything else is passed on as it is. */
export function busyOrSelf(error: unknown): unknown {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const reason = busyCodes[code];
  if (reason !== undefined) return new StoreBusyError(`PostgreSQL: ${reason}`, { cause: error });
  if (error instanceof Error && /timeout exceeded when trying to connect/.test(error.message)) {
    return new StoreBusyError('PostgreSQL: no connection became free in time', { cause: error });
  }
  return error;
}
