import type pg from 'pg';
import { busyOrSelf } from './connection.js';

export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/** A statement run inside a transaction, with work to do once it has committed. */
export interface Tx extends Queryable {
  /** Runs `callback` after COMMIT succeeded (never when the transaction rolls back). */
  afterCommit(callback: () => void): void;
}

export interface Db extends Queryable {
  /** BEGIN, `work`, COMMIT on one connection; ROLLBACK when `work` or the commit fails. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

/** Statements on the pool, a lock or statement timeout reported as StoreBusyError. */
export function createDb(pool: pg.Pool): Db {
  return {
    async query<R extends pg.QueryResultRow>(text: string, values: readonly unknown[] = []) {
      try {
        return await pool.query<R>(text, [...values]);
      } catch (error) {
        throw busyOrSelf(error);
      }
    },
    async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw busyOrSelf(error);
      }
      const committed: (() => void)[] = [];
      const tx: Tx = {
        query: <R extends pg.QueryResultRow>(text: string, values: readonly unknown[] = []) =>
          client.query<R>(text, [...values]),
        afterCommit: (callback) => committed.push(callback),
      };
      let broken: Error | undefined;
      let result: T;
      try {
        await client.query('BEGIN');
        result = await work(tx);
        await client.query('COMMIT');
      } catch (error) {
        // A connection that cannot even roll back is not given back to the pool.
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw busyOrSelf(error);
      } finally {
        client.release(broken);
      }
      for (const callback of committed) callback();
      return result;
    },
  };
}
