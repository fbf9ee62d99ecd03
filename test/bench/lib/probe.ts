import { Agent, request } from 'undici';

/** One connection pool for the bench's own probes, so they never queue behind the load they measure. */
const probes = new Agent({ keepAliveTimeout: 10_000, connections: 8 });

export async function closeProbes(): Promise<void> {
  await probes.close();
}

export interface Timed {
  readonly status: number;
  readonly ms: number;
  /** Date.now() when the request was sent. */
  readonly at: number;
  readonly body: string;
}

/** GETs `url` and times it until the whole body is in; status 0 when it failed or took over `timeoutMs`. */
export async function timedGet(url: string, timeoutMs = 30_000): Promise<Timed> {
  const at = Date.now();
  const started = performance.now();
  try {
    const response = await request(url, {
      dispatcher: probes,
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const body = await response.body.text();
    return { status: response.statusCode, ms: performance.now() - started, at, body };
  } catch {
    return { status: 0, ms: performance.now() - started, at, body: '' };
  }
}

/**
 * Calls `probe` back to back (the next one starts `everyMs` after the previous one started, or when it ends if it
 * took longer) until stopped; keeps every result.
 */
export function sampleEvery<T>(everyMs: number, probe: () => Promise<T>) {
  const results: T[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      results.push(await probe());
      const wait = everyMs - (performance.now() - started);
      if (wait > 0 && running) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return {
    results,
    async stop(): Promise<T[]> {
      running = false;
      await loop;
      return results;
    },
  };
}
