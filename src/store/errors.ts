/** The store could not be opened: one line naming the path and the fix, for the operator. */
export class StoreOpenError extends Error {
  override readonly name = 'StoreOpenError';

  static from(error: unknown, where: string): StoreOpenError {
    const code = String((error as { code?: unknown } | null)?.code ?? '');
    // better-sqlite3 reports extended result codes: SQLITE_READONLY_DIRECTORY, SQLITE_CANTOPEN_ISDIR, …
    if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') {
      return new StoreOpenError(
        `${where} is read-only. Countersign must write its state there: make the file and its folder writable by this user, or point DATABASE_URL at a writable path.`,
        { cause: error },
      );
    }
    if (code === 'EACCES' || code === 'EPERM' || code.startsWith('SQLITE_CANTOPEN')) {
      return new StoreOpenError(
        `Cannot open ${where} (${code}): create its folder and make it writable by this user, or point DATABASE_URL at a writable path (sqlite:<path>).`,
        { cause: error },
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return new StoreOpenError(`Cannot use the database at ${where}: ${message}`, { cause: error });
  }
}
