import { setTimeout as sleep } from 'node:timers/promises';

/** How long one store call keeps trying while another process holds the database's write lock. */
const budgetMs = 1_000;

export class StoreBusyError extends Error {
  override readonly name = 'StoreBusyError';
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
}

/**
 * Wraps every method of a port so a call that finds the database locked by another process is tried again
 * after a short pause that does not block the event loop, for up to a second, then fails with
 * StoreBusyError. Requests are answered, and background work is retried from the queue, either way.
 */
export function guardBusy<T extends object>(port: T): T {
  const guarded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(port)) {
    if (typeof value !== 'function') {
      guarded[name] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => Promise<unknown>;
    guarded[name] = async (...args: unknown[]) => {
      const started = performance.now();
      for (let attempt = 0; ; attempt++) {
        try {
          return await method.apply(port, args);
        } catch (error) {
          if (!isBusy(error)) throw error;
          if (performance.now() - started > budgetMs) {
            throw new StoreBusyError('the database is locked by another process', { cause: error });
          }
          await sleep(Math.min(50, 2 + attempt * 5) * (0.5 + Math.random()));
        }
      }
    };
  }
  return guarded as T;
}
