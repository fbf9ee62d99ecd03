import { setTimeout as sleep } from 'node:timers/promises';
import { timedGet } from './probe.js';

/** One finished poll tick as GET /metrics shows it. */
export interface Tick {
  /** Date.now() of the scrape that first showed it finished (at most `everyMs` plus the scrape late). */
  readonly seenAt: number;
  /** From countersign_poll_tick_seconds_sum: exact when one tick finished between two scrapes. */
  readonly ms: number;
  /** Date.now() estimate of when it started: seenAt - ms. */
  readonly startedAt: number;
  /** How many ticks finished between the two scrapes (1 almost always; >1 means ms is their mean). */
  readonly merged: number;
  /** Whatever the caller wanted noted at that moment (e.g. how many OpenTrain requests so far). */
  readonly mark: number;
}

function metric(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Follows countersign_poll_tick_seconds (count and sum) on the bot's GET /metrics, scraping every `everyMs`, and
 * turns each increase into a Tick. `mark()` is read at each tick seen (say, the simulator's request count), so
 * work can be attributed to the tick that did it.
 */
export function watchTicks(baseUrls: readonly string[], mark: () => number, everyMs = 100) {
  const ticks: Tick[] = [];
  const listeners = new Set<() => void>();
  let running = true;
  const last = baseUrls.map(() => ({ count: Number.NaN, sum: Number.NaN }));
  const loop = (async () => {
    while (running) {
      await Promise.all(
        baseUrls.map(async (url, index) => {
          const answer = await timedGet(`${url}/metrics`, 60_000);
          const seenAt = Date.now();
          if (answer.status !== 200) return;
          const count = metric(answer.body, 'countersign_poll_tick_seconds_count');
          const sum = metric(answer.body, 'countersign_poll_tick_seconds_sum');
          const previous = last[index];
          if (count === undefined || sum === undefined || previous === undefined) return;
          if (Number.isFinite(previous.count) && count > previous.count) {
            const merged = count - previous.count;
            const ms = ((sum - previous.sum) / merged) * 1_000;
            ticks.push({ seenAt, ms, startedAt: seenAt - ms, merged, mark: mark() });
            for (const listener of listeners) listener();
          }
          last[index] = { count, sum };
        }),
      );
      await sleep(everyMs);
    }
  })();

  /** Resolves with the first tick seen after `after` (Date.now() ms) that started after `startedAfter`. */
  function next(options: { after?: number; startedAfter?: number; timeoutMs?: number } = {}): Promise<Tick> {
    const after = options.after ?? Date.now();
    const startedAfter = options.startedAfter ?? Number.NEGATIVE_INFINITY;
    const find = () => ticks.find((tick) => tick.seenAt > after && tick.startedAt > startedAfter);
    return new Promise<Tick>((resolve, reject) => {
      const found = find();
      if (found !== undefined) return resolve(found);
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no poll tick within ${options.timeoutMs ?? 120_000} ms`));
      }, options.timeoutMs ?? 120_000);
      function check() {
        const tick = find();
        if (tick === undefined) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve(tick);
      }
      listeners.add(check);
    });
  }

  return {
    ticks,
    next,
    async stop(): Promise<void> {
      running = false;
      await loop;
    },
  };
}
