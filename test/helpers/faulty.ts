/*
 * A port that works like the one it wraps until told to fail: the next call (or calls) of a method throw, as a
 * store does when its disk is full or its connection drops. Calls that are not told to fail go through.
 */

type Methods<T> = {
  [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof T];

export type Faulty<T> = T & {
  /** The next `times` calls of `method` throw `error` (a store error by default) instead of running. */
  failNext(method: Methods<T>, options?: { error?: Error; times?: number }): void;
  /** How many calls of `method` were made, failed ones included. */
  count(method: Methods<T>): number;
  /** Forgets the failures still queued: every call goes through again. */
  recover(): void;
};

export function storeError(message = 'SQLITE_IOERR: disk I/O error'): Error {
  return new Error(message);
}

export function faulty<T extends object>(port: T): Faulty<T> {
  const failures = new Map<PropertyKey, Error[]>();
  const counts = new Map<PropertyKey, number>();
  const wrapped: Record<PropertyKey, unknown> = {};
  for (const [name, method] of Object.entries(port)) {
    if (typeof method !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      const failure = failures.get(name)?.shift();
      if (failure !== undefined) throw failure;
      return (method as (...a: unknown[]) => Promise<unknown>).apply(port, args);
    };
  }
  wrapped.failNext = (method: PropertyKey, options: { error?: Error; times?: number } = {}) => {
    const queue = failures.get(method) ?? [];
    for (let n = 0; n < (options.times ?? 1); n++) queue.push(options.error ?? storeError());
    failures.set(method, queue);
  };
  wrapped.count = (method: PropertyKey) => counts.get(method) ?? 0;
  wrapped.recover = () => failures.clear();
  return wrapped as Faulty<T>;
}
