import { backoffDelay } from '../backoff.js';
import type { Effect, EffectKind } from '../store/store.js';
import { type CardOutcome, syncCard } from './card-sync.js';
import { coalesce } from './coalesce.js';
import type { EffectResult, JobDeps } from './deps.js';
import { fundMilestone } from './effects/fund.js';
import { notify } from './effects/notify.js';
import { sendOutcome } from './effects/outcome.js';
import { sendReminder } from './effects/reminder.js';
import { postInThread } from './effects/thread.js';
import { publishHome } from './home.js';

export interface Worker {
  /** Runs everything that is due, until nothing is; concurrent callers share one pass. */
  drain(): Promise<void>;
  /** drain() in the background, for callers that must not wait (the 3-second ack path). */
  kick(): void;
  syncCardNow(approvalId: string): Promise<CardOutcome>;
  /** Stops waking up and waits for the work in hand. */
  stop(): Promise<void>;
}

export interface WorkerOptions {
  /** How many cards and effects one pass claims and runs at once. */
  readonly batchSize?: number;
  readonly leaseMs?: number;
  /** Longest sleep between passes when nothing says to wake earlier; the poll tick also drains. */
  readonly maxIdleMs?: number;
}

/**
 * Runs side effects from the store's outbox (replies, reminders, outcomes, fund calls) and keeps cards in
 * step with their approvals. Everything it does was claimed with a lease first, so a second process (or this
 * one after a restart) never repeats work in progress, and anything that fails is rescheduled in the store.
 */
export function createWorker(deps: JobDeps, options: WorkerOptions = {}): Worker {
  const batchSize = options.batchSize ?? 8;
  // Short leases, renewed while the work runs: after a crash, whatever was in hand is free again within
  // fifteen seconds, yet a slow Slack or OpenTrain call never loses its lease to another worker.
  const leaseMs = options.leaseMs ?? 15_000;
  const maxIdleMs = options.maxIdleMs ?? 60_000;
  const log = deps.log.child({ component: 'worker' });
  /** What this process is running now, by key ('card:<id>', 'effect:<id>', 'home:<user>'). */
  const inFlight = new Map<string, Promise<unknown>>();
  const renewal = setInterval(() => void renewLeases(), Math.max(1_000, Math.floor(leaseMs / 3)));
  renewal.unref();

  async function renewLeases(): Promise<void> {
    if (inFlight.size === 0) return;
    const effectIds: number[] = [];
    const approvalIds: string[] = [];
    const homeUserIds: string[] = [];
    for (const key of inFlight.keys()) {
      const separator = key.indexOf(':');
      const kind = key.slice(0, separator);
      const id = key.slice(separator + 1);
      if (kind === 'effect') effectIds.push(Number(id));
      else if (kind === 'card') approvalIds.push(id);
      else homeUserIds.push(id);
    }
    try {
      const until = new Date(deps.clock.now().getTime() + leaseMs);
      await deps.store.renewLeases(deps.workerId, { effectIds, approvalIds, homeUserIds }, until);
    } catch (error) {
      log.warn({ err: error }, 'could not renew leases');
    }
  }
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const handlers: Record<EffectKind, (effect: Effect) => Promise<EffectResult>> = {
    fund: (effect) => fundMilestone(deps, effect, { syncCardNow }),
    notify: (effect) => notify(deps, effect),
    reminder: (effect) => sendReminder(deps, effect),
    outcome: (effect) => sendOutcome(deps, effect),
    thread: (effect) => postInThread(deps, effect),
  };

  /**
   * Never runs the same thing twice at once in this process. A card or a Home tab claimed again while its
   * previous sync is still running (a newer version arrived meanwhile) runs right after it, with the newer
   * snapshot; an effect claimed again (its lease only looked expired, after a sandbox clock jump) is skipped.
   */
  async function guarded<T>(key: string, work: () => Promise<T>): Promise<T | undefined> {
    const previous = inFlight.get(key);
    if (previous !== undefined) {
      if (key.startsWith('effect:')) return undefined;
      await previous.catch(() => undefined);
      return guarded(key, work);
    }
    const running = work();
    inFlight.set(key, running);
    try {
      return await running;
    } finally {
      inFlight.delete(key);
    }
  }

  async function syncCardNow(approvalId: string): Promise<CardOutcome> {
    const lease = { owner: deps.workerId, now: deps.clock.now(), leaseMs, limit: 1 };
    const [approval] = await deps.store.claimCards(lease, approvalId);
    if (approval === undefined) return { kind: 'busy' };
    return (await guarded(`card:${approvalId}`, () => syncCard(deps, approval))) ?? { kind: 'busy' };
  }

  async function runEffect(effect: Effect): Promise<void> {
    const effectLog = log.child({ effect: effect.key, attempt: effect.attempts });
    let result: EffectResult;
    try {
      result = await handlers[effect.kind](effect);
    } catch (error) {
      effectLog.error({ err: error }, 'effect failed for good');
      await deps.store.finishEffect(effect.id, deps.workerId, 'failed', deps.clock.now(), describe(error));
      return;
    }
    switch (result.kind) {
      case 'done':
        effectLog.debug('effect done');
        await deps.store.finishEffect(effect.id, deps.workerId, 'done', deps.clock.now());
        return;
      case 'dropped':
        effectLog.info({ reason: result.reason }, 'effect dropped');
        await deps.store.finishEffect(effect.id, deps.workerId, 'dropped', deps.clock.now(), result.reason);
        return;
      case 'retry': {
        const delay =
          result.afterMs ?? backoffDelay(effect.attempts - 1, { baseMs: 2_000, maxMs: 10 * 60_000 });
        effectLog.warn({ error: result.error, retryInMs: delay }, 'effect will be retried');
        await deps.store.retryEffect(
          effect.id,
          deps.workerId,
          result.error,
          new Date(deps.clock.now().getTime() + delay),
        );
        return;
      }
    }
  }

  /** Claims up to `slots` due items across the three queues and starts them; returns their promises. */
  async function claimAndStart(slots: number): Promise<Promise<unknown>[]> {
    const lease = (limit: number) => ({ owner: deps.workerId, now: deps.clock.now(), leaseMs, limit });
    const cards = await deps.store.claimCards(lease(slots));
    const effects = slots > cards.length ? await deps.store.claimEffects(lease(slots - cards.length)) : [];
    const left = slots - cards.length - effects.length;
    const homes = left > 0 ? await deps.store.claimHomes(lease(left)) : [];
    return [
      ...cards.map((approval) => guarded(`card:${approval.id}`, () => syncCard(deps, approval))),
      ...effects.map((effect) => guarded(`effect:${effect.id}`, () => runEffect(effect))),
      ...homes.map((home) => guarded(`home:${home.userId}`, () => publishHome(deps, home))),
    ];
  }

  /**
   * A pool of `batchSize` slots: a slot that frees up claims the next due item at once, so one slow call
   * (a fund request waiting on OpenTrain) never holds up the replies and cards behind it.
   */
  /** Set while the pool waits on running work; new work (a kick) wakes it to claim a free slot at once. */
  let wakeUp: (() => void) | undefined;

  const loop = coalesce(async () => {
    const running = new Set<Promise<unknown>>();
    try {
      while (!stopped) {
        const started = running.size < batchSize ? await claimAndStart(batchSize - running.size) : [];
        for (const work of started) {
          const tracked = work.finally(() => running.delete(tracked));
          running.add(tracked);
        }
        if (running.size === 0) break;
        if (started.length === 0 || running.size >= batchSize) {
          const woken = new Promise<void>((resolve) => {
            wakeUp = resolve;
          });
          await Promise.race([...running, woken]);
          wakeUp = undefined;
        }
      }
    } catch (error) {
      log.error({ err: error }, 'worker pass failed');
    }
    await Promise.allSettled(running);
    await scheduleWake();
  });

  async function scheduleWake(): Promise<void> {
    if (stopped) return;
    clearTimeout(timer);
    let delay = maxIdleMs;
    try {
      const next = await deps.store.nextWakeAt();
      if (next !== null)
        delay = Math.min(maxIdleMs, Math.max(0, next.getTime() - deps.clock.now().getTime()));
    } catch (error) {
      log.error({ err: error }, 'could not read when to wake next');
    }
    timer = setTimeout(kick, delay);
    timer.unref();
  }

  let last: Promise<void> = Promise.resolve();
  function drain(): Promise<void> {
    last = loop();
    return last;
  }

  function kick(): void {
    if (wakeUp !== undefined) wakeUp();
    else void drain();
  }

  return {
    drain,
    kick,
    syncCardNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      // Leases are renewed until the work in hand has finished.
      await last;
      clearInterval(renewal);
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
