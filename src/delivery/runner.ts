import { setImmediate as ioTurn } from 'node:timers/promises';
import type { Clock } from '../clock.js';
import type { EffectKey, EffectKind } from '../domain/effects.js';
import type { Logger } from '../logger.js';
import type { ClaimedEffect, OutboxPort } from '../ports/store.js';
import type { EffectResult } from '../use-cases/effect-result.js';
import { retryDelay } from './retry-policy.js';

/** What a handler may do besides returning its result: save its progress for an attempt after a crash. */
export interface EffectContext {
  checkpoint(progress: unknown): Promise<void>;
}

export type Handler<K extends EffectKind> = (
  claimed: ClaimedEffect<K>,
  context: EffectContext,
) => Promise<EffectResult>;
export type Handlers = { readonly [K in EffectKind]: Handler<K> };

export interface RunnerHealth {
  /** False while store calls keep failing, or while due work waits and nothing moves. */
  readonly ok: boolean;
  readonly problem: string | null;
  readonly lastProgressAt: Date | null;
}

export interface Runner {
  /** New work may be due: claim it now (never waits). */
  kick(): void;
  /** Claims this one effect, if it is due and free, runs it and returns its result. */
  runNow(key: EffectKey): Promise<EffectResult | undefined>;
  /** Runs until nothing is due now (tests, and the tick's pollNow). */
  drain(): Promise<void>;
  health(): RunnerHealth;
  /** Stops claiming, waits for the work in hand (or `deadlineMs`), and leaves the rest to the next process. */
  stop(deadlineMs?: number): Promise<void>;
}

export interface RunnerOptions {
  readonly outbox: OutboxPort;
  readonly handlers: Handlers;
  readonly clock: Clock;
  readonly log: Logger;
  /** Lease owner name, unique per process, so replicas never run the same effect at once. */
  readonly owner: string;
  /** Effects other than fund calls run this many at once. */
  readonly concurrency?: number;
  /**
   * Fund calls run in a lane of their own, this many at once: each waits on OpenTrain (a second or more), and
   * must hold up neither each other nor the cards and replies behind them.
   */
  readonly fundConcurrency?: number;
  readonly leaseMs?: number;
  readonly maxIdleMs?: number;
}

/**
 * At most this many effects are claimed and started per lane between two looks at incoming requests: starting
 * one runs its handler up to its first wait without a break, and a burst of commands must not wait for a
 * whole pool of them.
 */
const claimsPerTurn = 4;

/**
 * The one queue runner: a pool of slots, each taking the next due effect the moment it frees up, so one slow
 * call never holds up the ones behind it. Every effect is claimed under a short lease that is renewed while it
 * runs: after a crash, whatever was in hand is free again within the lease. Any failure of one effect, or of
 * the store, is caught and logged, and the runner carries on: it never stops waking up.
 */
export function createRunner(options: RunnerOptions): Runner {
  const { outbox, clock, owner } = options;
  /**
   * Each lane remembers it is dry (its last claim found less than it asked for) until something may have made
   * work due there: an enqueue, the timer, or an effect of its own ending. So an effect ending in one lane
   * does not make the store look for work in the other.
   */
  const lanes = [
    {
      kinds: { only: ['fund'] } as const,
      concurrency: options.fundConcurrency ?? 16,
      running: 0,
      dry: false,
    },
    { kinds: { except: ['fund'] } as const, concurrency: options.concurrency ?? 8, running: 0, dry: false },
  ];
  const leaseMs = options.leaseMs ?? 15_000;
  const maxIdleMs = options.maxIdleMs ?? 60_000;
  const log = options.log.child({ component: 'queue' });
  const inFlight = new Map<string, { id: number; done: Promise<void> }>();
  let stopped = false;
  let pumping: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let storeFailingSince: number | null = null;
  let storeProblem: string | null = null;
  let lastProgressAt: number | null = null;

  const renewal = setInterval(() => void renew(), Math.max(1_000, Math.floor(leaseMs / 3)));
  renewal.unref();

  function now(): Date {
    return clock.now();
  }

  function storeOk(): void {
    storeFailingSince = null;
    storeProblem = null;
  }

  function storeFailed(error: unknown, what: string): void {
    storeFailingSince ??= Date.now();
    storeProblem = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    log.error({ err: error }, 'queue store call failed; will try again');
  }

  async function renew(): Promise<void> {
    if (inFlight.size === 0) return;
    try {
      const ids = [...inFlight.values()].map((work) => work.id);
      await outbox.renew(owner, ids, new Date(now().getTime() + leaseMs));
    } catch (error) {
      storeFailed(error, 'renewing leases');
    }
  }

  async function run(claimed: ClaimedEffect): Promise<EffectResult> {
    const handler = options.handlers[claimed.effect.kind] as Handler<EffectKind>;
    const context: EffectContext = { checkpoint: (progress) => outbox.checkpoint(claimed, owner, progress) };
    try {
      return await handler(claimed, context);
    } catch (error) {
      log.error({ err: error, effect: claimed.key }, 'effect failed for good');
      return {
        kind: 'failed',
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
  }

  async function settle(claimed: ClaimedEffect, result: EffectResult): Promise<void> {
    const at = now();
    const effectLog = log.child({ effect: claimed.key, attempt: claimed.attempts });
    try {
      switch (result.kind) {
        case 'done':
          await outbox.finish(claimed, owner, 'done', at, { result: result.result });
          effectLog.debug('effect done');
          break;
        case 'dropped':
          await outbox.finish(claimed, owner, 'dropped', at, { note: result.reason });
          effectLog.info({ reason: result.reason }, 'effect dropped');
          break;
        case 'failed':
          await outbox.finish(claimed, owner, 'failed', at, { note: result.error });
          effectLog.error({ error: result.error }, 'effect failed');
          break;
        case 'retry': {
          const delay = retryDelay(result.reason, claimed.attempts, result.retryAfterMs);
          const nextAttemptAt = new Date(at.getTime() + delay);
          await outbox.retry(claimed, owner, {
            error: result.error,
            nextAttemptAt,
            uncertain: result.uncertain,
          });
          effectLog[result.reason === 'waiting' ? 'debug' : 'warn'](
            { error: result.error, retryInMs: delay },
            'effect will be retried',
          );
          break;
        }
      }
      storeOk();
      lastProgressAt = Date.now();
    } catch (error) {
      // The lease runs out and the effect is tried again, marked uncertain: nothing is lost or sent twice.
      storeFailed(error, 'recording an effect');
    }
  }

  /** Runs a claimed effect in a slot; an effect already running here runs again only after it. */
  function start(claimed: ClaimedEffect, lane: (typeof lanes)[number]): Promise<void> {
    const previous = inFlight.get(claimed.key)?.done ?? Promise.resolve();
    lane.running++;
    const done = previous
      .then(async () => settle(claimed, await run(claimed)))
      .finally(() => {
        lane.running--;
        lane.dry = false;
        if (inFlight.get(claimed.key)?.done === done) inFlight.delete(claimed.key);
        if (!stopped) void pump();
      });
    inFlight.set(claimed.key, { id: claimed.id, done });
    return done;
  }

  /** Fills the free slots of every lane; the number claimed, or -1 when the store failed. */
  async function claimBatch(): Promise<number> {
    let total = 0;
    let asked = 0;
    for (const lane of lanes) {
      const limit = Math.min(claimsPerTurn, lane.concurrency - lane.running);
      if (limit <= 0 || lane.dry) continue;
      let claimed: ClaimedEffect[];
      asked++;
      try {
        claimed = await outbox.claim({ owner, now: now(), leaseMs, limit, kinds: lane.kinds });
      } catch (error) {
        storeFailed(error, 'claiming effects');
        return -1;
      }
      lane.dry = claimed.length < limit;
      for (const effect of claimed) void start(effect, lane);
      total += claimed.length;
    }
    // Only a batch whose every claim worked says the store works: a lane with nothing due takes no lock.
    if (asked > 0) storeOk();
    if (total === 0) lastProgressAt = Date.now();
    return total;
  }

  /** Claims until nothing more is due; a call while it runs makes it look once more, and waits for it. */
  function pump(): Promise<void> {
    if (pumping !== undefined) {
      again = true;
      return pumping;
    }
    const run = (async () => {
      let failed = false;
      try {
        do {
          again = false;
          for (;;) {
            // A claim and the starts it makes run without a break on an embedded store: let the requests
            // that arrived meanwhile (a burst of commands waiting for their acks) be read first.
            await ioTurn();
            if (stopped) return;
            const count = await claimBatch();
            if (count < 0) failed = true;
            if (count <= 0) break;
          }
        } while (again);
      } finally {
        pumping = undefined;
        await schedule(failed);
      }
    })();
    pumping = run;
    return run;
  }

  /** Sleeps until the next effect is due (a kick wakes it sooner); after a store failure, a short backoff. */
  async function schedule(failed: boolean): Promise<void> {
    if (stopped) return;
    let delay = maxIdleMs;
    if (failed) delay = 1_000;
    else {
      try {
        const next = await outbox.nextDueAt();
        if (next !== null) delay = Math.min(maxIdleMs, Math.max(0, next.getTime() - now().getTime()));
      } catch (error) {
        storeFailed(error, 'reading when to wake');
        delay = 1_000;
      }
    }
    // Due now yet nothing was claimable: what is due waits for a lane that is full, or for another effect.
    // Either frees up with a kick here (a slot ends); a second is the longest it can wait for another replica.
    const wait = delay > 0 ? Math.max(delay, 25) : 1_000;
    clearTimeout(timer);
    timer = setTimeout(kick, wait);
    timer.unref();
  }

  /** Work may be due anywhere (something was queued, or it is time). */
  function kick(): void {
    for (const lane of lanes) lane.dry = false;
    if (!stopped) void pump();
  }

  return {
    kick,
    async runNow(key) {
      let claimed: ClaimedEffect[];
      try {
        claimed = await outbox.claim({ owner, now: now(), leaseMs, limit: 1, key });
      } catch (error) {
        storeFailed(error, 'claiming an effect');
        throw error;
      }
      const [effect] = claimed;
      if (effect === undefined) return undefined;
      let result: EffectResult = { kind: 'failed', error: 'not run' };
      const done = (inFlight.get(key)?.done ?? Promise.resolve()).then(async () => {
        result = await run(effect);
        await settle(effect, result);
      });
      inFlight.set(key, { id: effect.id, done });
      try {
        await done;
      } finally {
        if (inFlight.get(key)?.done === done) inFlight.delete(key);
        kick();
      }
      return result;
    },
    async drain() {
      for (let round = 0; round < 100 && !stopped; round++) {
        for (const lane of lanes) lane.dry = false;
        await pump();
        await Promise.allSettled([...inFlight.values()].map((work) => work.done));
        const next = await outbox.nextDueAt().catch(() => null);
        if (inFlight.size === 0 && (next === null || next.getTime() > now().getTime())) return;
      }
    },
    health() {
      const storeFailing = storeFailingSince !== null && Date.now() - storeFailingSince > 5_000;
      return {
        ok: !storeFailing,
        problem: storeFailing ? storeProblem : null,
        lastProgressAt: lastProgressAt === null ? null : new Date(lastProgressAt),
      };
    },
    async stop(deadlineMs = 8_000) {
      stopped = true;
      clearTimeout(timer);
      const work = Promise.allSettled([...inFlight.values()].map((entry) => entry.done));
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([work, new Promise((resolve) => (deadline = setTimeout(resolve, deadlineMs)))]);
      clearTimeout(deadline);
      clearInterval(renewal);
    },
  };
}
