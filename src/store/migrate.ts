import { StoreOpenError } from './errors.js';

/*
 * The one migration runner, for every store. A dialect lists its migrations and gives the runner a driver: how
 * to hold the database's migration lock, where applied versions are recorded, and how to apply one migration
 * with its record in one transaction. The runner decides the rest, the same way for each: which versions are
 * missing, in what order they run, and that a database written by a newer Countersign is refused, untouched.
 *
 * SQLite's driver is synchronous (better-sqlite3), so the store opens without waiting; PostgreSQL's returns
 * promises. The runner is written once for both: each step continues at once, or when its promise settles.
 */

export interface Migration<Db> {
  readonly version: number;
  readonly name: string;
  readonly up: (db: Db) => void | Promise<void>;
}

export interface MigrationReport {
  /** The database, as the operator may see it (no password). */
  readonly where: string;
  /** The newest version applied before this run (0: an empty database). */
  readonly from: number;
  /** The newest version applied after it. */
  readonly to: number;
  /** What this run applied, in order; empty when the database was up to date. */
  readonly applied: readonly { readonly version: number; readonly name: string }[];
}

export interface MigrationOptions {
  /** Stop after this version: only tests set it, to make a database as an older version left it. */
  readonly upTo?: number;
}

type Step<T> = T | Promise<T>;

/** What the runner needs of a driver, whichever kind it is. */
interface AnyDriver<Db> {
  readonly where: string;
  exclusive<T>(work: () => Step<T>): Step<T>;
  prepare(): Step<void>;
  appliedVersions(): Step<readonly number[]>;
  apply(migration: Migration<Db>): Step<void>;
}

/** A driver whose every step is done when it returns. */
export interface SyncMigrationDriver<Db> {
  readonly where: string;
  /** Runs `work` holding the lock that keeps two processes from migrating the same database at once. */
  exclusive<T>(work: () => T): T;
  /** Creates the table of applied versions if it is missing. */
  prepare(): void;
  appliedVersions(): readonly number[];
  /** Runs the migration and records it, in one transaction. */
  apply(migration: Migration<Db>): void;
}

export interface AsyncMigrationDriver<Db> {
  readonly where: string;
  exclusive<T>(work: () => Step<T>): Promise<T>;
  prepare(): Promise<void>;
  appliedVersions(): Promise<readonly number[]>;
  apply(migration: Migration<Db>): Promise<void>;
}

function andThen<T, U>(step: Step<T>, next: (value: T) => Step<U>): Step<U> {
  return step instanceof Promise ? step.then(next) : next(step);
}

/** The newest version in the list. */
export function latestVersionOf(migrations: readonly Pick<Migration<never>, 'version' | 'name'>[]): number {
  return migrations.at(-1)?.version ?? 0;
}

/** Brings the database up to the newest version in `migrations`, or as far as `upTo`. */
export function runMigrations<Db>(
  driver: SyncMigrationDriver<Db>,
  migrations: readonly Migration<Db>[],
  options?: MigrationOptions,
): MigrationReport;
export function runMigrations<Db>(
  driver: AsyncMigrationDriver<Db>,
  migrations: readonly Migration<Db>[],
  options?: MigrationOptions,
): Promise<MigrationReport>;
export function runMigrations<Db>(
  driver: AnyDriver<Db>,
  migrations: readonly Migration<Db>[],
  options: MigrationOptions = {},
): Step<MigrationReport> {
  checkOrder(migrations);
  const upTo = options.upTo ?? Number.POSITIVE_INFINITY;
  return driver.exclusive(() =>
    andThen(driver.prepare(), () =>
      andThen(driver.appliedVersions(), (applied) => {
        const from = Math.max(0, ...applied);
        refuseNewer(driver.where, from, latestVersionOf(migrations));
        const done = new Set(applied);
        const pending = migrations.filter((m) => !done.has(m.version) && m.version <= upTo);
        return andThen(applyInOrder(driver, pending, 0), () => ({
          where: driver.where,
          from,
          to: Math.max(from, ...pending.map((m) => m.version)),
          applied: pending.map(({ version, name }) => ({ version, name })),
        }));
      }),
    ),
  );
}

function applyInOrder<Db>(
  driver: Pick<AnyDriver<Db>, 'apply'>,
  pending: readonly Migration<Db>[],
  index: number,
): Step<void> {
  const next = pending[index];
  if (next === undefined) return undefined;
  return andThen(driver.apply(next), () => applyInOrder(driver, pending, index + 1));
}

function checkOrder(migrations: readonly Pick<Migration<never>, 'version' | 'name'>[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migration "${migration.name}" is numbered ${migration.version}, expected ${index + 1}`,
      );
    }
  });
}

function refuseNewer(where: string, applied: number, known: number): void {
  if (applied <= known) return;
  throw new StoreOpenError(
    `${where} was written by a newer Countersign (schema ${applied}, this one knows ${known}). Run the newer version, or restore a backup taken before the upgrade.`,
  );
}
