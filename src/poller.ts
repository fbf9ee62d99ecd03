import cron from 'node-cron';
import type { Clock } from './clock.js';
import { coalesce } from './coalesce.js';
import type { PollerStatus } from './http/health.js';
import type { Logger } from './logger.js';
import type { Store } from './ports/store.js';
import type { UseCases } from './use-cases/use-cases.js';

/** Webhook deliveries are remembered this long for dedupe; OpenTrain's last retry comes about 2.6 h after the first. */
const deliveryMemoryMs = 24 * 3_600_000;

export interface Poller {
  /** Three poll intervals, and never less than a minute: a poller this late is stuck. */
  readonly staleAfterMs: number;
  start(): void;
  /** What the schedule runs at each interval (skipped when another replica just ticked); for tests. */
  scheduledTick(): Promise<void>;
  /** Runs a tick now, coalesced with one in progress; the webhook doorbell calls it without waiting. */
  tickNow(): Promise<void>;
  ring(): void;
  /** Stops the schedule and waits for a tick in progress. */
  stop(): Promise<void>;
}

/** The lease that makes one replica the poller for a tick; renewed while the tick runs. */
export const pollerLeaseName = 'poller';
const leaseMs = 15_000;
/** Where the last tick of any replica is recorded as finished, for readiness and /metrics. */
export const lastTickKey = 'poller-last-tick';
/** When the last tick of any replica began, written under the lease before it reads the feed. */
export const lastTickStartedKey = 'poller-last-tick-started';
/**
 * How long a doorbell waits for the lease another replica holds before it gives up (the next scheduled tick
 * covers it then): long enough for a dead holder's lease to lapse, so a doorbell is never lost to a crash.
 */
const doorbellWaitMs = 2 * leaseMs;

/**
 * What a tick is run for: the schedule (one read of the feed per interval across every replica), or a doorbell
 * rung at `askedAt` (a webhook, a start, a test): any tick that began after it read the feed after the
 * news the doorbell announced, so that one is enough.
 */
type Turn = { readonly kind: 'scheduled' } | { readonly kind: 'doorbell'; readonly askedAt: Date };

/**
 * The node-cron schedule (UTC, no overlap) that runs the poll tick use case, and the webhook doorbell. With
 * several replicas on one database, one tick runs at a time across all of them (a lease, taken over within
 * seconds when its holder dies) and OpenTrain's /updates is read at one replica's rate: every replica's
 * schedule fires at the same wall-clock moments, and whichever takes the lease first reads the feed; the
 * others, when they get the lease, find that a tick began less than half an interval ago and skip. That check
 * is made under the lease, against the start the ticking replica wrote under it before it read the feed, so
 * no replica can read the "last tick" before another's tick is recorded and take the lease after it is
 * released. A doorbell ticks unless a tick that began after it was rung already read the feed; while another
 * replica holds the lease it waits for it (so news announced during that replica's tick is still read promptly).
 */
export function createPoller(deps: {
  readonly useCases: Pick<UseCases, 'tick'>;
  readonly store: Pick<Store, 'inbound' | 'leases' | 'state'>;
  readonly status: PollerStatus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly schedule: string;
  /** This replica's name, for the lease. */
  readonly owner: string;
  readonly onTick?: (seconds: number) => void;
}): Poller {
  const log = deps.log.child({ component: 'poller' });
  const outage = createOutageLog(log);
  const intervalMs = intervalOf(deps.schedule);
  let stopped = false;
  /** The latest doorbell not yet answered by a tick: the next run is for it. */
  let askedAt: Date | null = null;
  /** Wakes a doorbell waiting for the lease, so stop() never waits out the wait. */
  let wake = () => {};

  /** When the last tick on any replica began; one recorded more than a minute ahead (a clock set back) is none. */
  const lastStart = async (): Promise<number | null> => {
    const value = await deps.store.state.get(lastTickStartedKey);
    const started = value === null ? Number.NaN : Date.parse(value);
    return Number.isFinite(started) && started <= deps.clock.now().getTime() + 60_000 ? started : null;
  };
  const acquire = () => deps.store.leases.acquire(pollerLeaseName, deps.owner, deps.clock.now(), leaseMs);
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** Whether a tick that began after `since` already read the feed (on any replica). */
  async function startedSince(since: Date): Promise<boolean> {
    const started = await lastStart();
    return started !== null && started > since.getTime();
  }

  /** Under the lease: whether this turn should read the feed; if so, its start is recorded for the others. */
  async function dueUnderLease(turn: Turn): Promise<boolean> {
    const now = deps.clock.now();
    const started = await lastStart();
    const due =
      turn.kind === 'doorbell'
        ? started === null || started <= turn.askedAt.getTime()
        : started === null || now.getTime() - started >= intervalMs / 2;
    if (due) await deps.store.state.set(lastTickStartedKey, now.toISOString(), now);
    return due;
  }

  /**
   * Takes the lease when this turn should read the feed, recording the tick's start under it; false when it
   * should not (someone else has it, or has just done it). A doorbell waits for a lease held elsewhere.
   */
  async function takeTurn(turn: Turn): Promise<boolean> {
    const giveUpAt = Date.now() + doorbellWaitMs;
    for (let waitMs = 50; ; waitMs = Math.min(500, waitMs * 2)) {
      if (stopped) return false;
      if (await acquire()) {
        try {
          if (await dueUnderLease(turn)) return true;
        } catch (error) {
          await deps.store.leases.release(pollerLeaseName, deps.owner).catch(() => undefined);
          throw error;
        }
        await deps.store.leases.release(pollerLeaseName, deps.owner);
        return false;
      }
      // Another replica is ticking: for the schedule, that is this interval's read of the feed.
      if (turn.kind === 'scheduled') return false;
      if (await startedSince(turn.askedAt)) return false;
      if (Date.now() >= giveUpAt) {
        log.warn('the poller lease stayed taken; the next scheduled tick reads what the doorbell announced');
        return false;
      }
      await pause(waitMs);
    }
  }

  async function runTick(): Promise<void> {
    const started = performance.now();
    deps.status.lastTickStartedAt = deps.clock.now();
    try {
      const report = await deps.useCases.tick();
      deps.status.lastFailures = report.failures;
      outage.observe(report.problems.filter((problem) => problem.failure !== 'error'));
      log.debug(
        {
          actions: report.actions.length,
          applied: report.applied,
          pages: report.pages,
          events: report.events,
          failures: report.failures,
        },
        'poll tick finished',
      );
    } catch (error) {
      deps.status.lastFailures = ['tick'];
      log.error({ err: error }, 'poll tick failed');
    }
    await deps.store.inbound
      .pruneDeliveries(new Date(deps.clock.now().getTime() - deliveryMemoryMs))
      .catch((error: unknown) => log.warn({ err: error }, 'could not prune old webhook deliveries'));
    deps.status.lastTickFinishedAt = deps.clock.now();
    await deps.store.state.set(lastTickKey, deps.status.lastTickFinishedAt.toISOString(), deps.clock.now());
    deps.onTick?.((performance.now() - started) / 1_000);
  }

  const tick = coalesce(async () => {
    if (stopped) return;
    const turn: Turn = askedAt === null ? { kind: 'scheduled' } : { kind: 'doorbell', askedAt };
    askedAt = null;
    try {
      if (!(await takeTurn(turn))) return;
    } catch (error) {
      log.warn({ err: error }, 'could not take the poller lease; skipping this tick');
      return;
    }
    const renewal = setInterval(() => {
      acquire().catch((error: unknown) => log.warn({ err: error }, 'could not renew the poller lease'));
    }, leaseMs / 3);
    try {
      await runTick();
    } finally {
      clearInterval(renewal);
      await deps.store.leases.release(pollerLeaseName, deps.owner).catch(() => undefined);
    }
  });
  const ringNow = () => {
    askedAt = deps.clock.now();
    return tick();
  };
  let task: ReturnType<typeof cron.schedule> | undefined;
  return {
    staleAfterMs: Math.max(60_000, intervalMs * 3),
    start() {
      // Not awaited: coalesce already keeps ticks from overlapping, and a doorbell waiting for the lease must
      // not make node-cron report a blocked execution every interval.
      task = cron.schedule(deps.schedule, () => void tick(), {
        name: 'poll-opentrain',
        timezone: 'UTC',
        noOverlap: true,
      });
      void ringNow();
    },
    scheduledTick: () => tick(),
    tickNow: ringNow,
    ring() {
      ringNow().catch((error: unknown) => log.error({ err: error }, 'poll triggered by the webhook failed'));
    },
    async stop() {
      stopped = true;
      wake();
      if (task !== undefined) {
        await task.stop();
        await task.destroy();
      }
      await tick().catch(() => undefined); // waits for a tick in progress; starts none
    },
  };
}

/** The time between two runs of the schedule. */
export function intervalOf(schedule: string): number {
  const task = cron.createTask(schedule, () => undefined, { timezone: 'UTC' });
  const [first, second] = task.getNextRuns(2);
  void task.destroy();
  return first !== undefined && second !== undefined ? second.getTime() - first.getTime() : 60_000;
}

/** How often a continuing OpenTrain outage is summed up in the log. */
const outageSummaryMs = 10 * 60_000;

/**
 * An OpenTrain that is down or unreachable is one warning when it starts, a summary every ten minutes while it
 * lasts, and one line when it is back: not a stack trace per tick. Details go to the debug level.
 */
function createOutageLog(log: Logger) {
  let since: number | null = null;
  let ticks = 0;
  let summarised = 0;
  return {
    observe(problems: readonly { phase: string; failure: string; error: unknown }[]) {
      const now = Date.now();
      if (problems.length === 0) {
        if (since !== null) log.info({ failedTicks: ticks, forMs: now - since }, 'OpenTrain answers again');
        since = null;
        ticks = 0;
        return;
      }
      ticks++;
      const phases = problems.map((problem) => problem.phase);
      const failures = [...new Set(problems.map((problem) => problem.failure))];
      log.debug(
        { phases, failures, err: problems[0]?.error },
        'poll phases failed; the next tick retries them',
      );
      if (since === null) {
        since = now;
        summarised = now;
        log.warn({ phases, failures }, 'OpenTrain is not answering the poller; retrying every tick');
      } else if (now - summarised >= outageSummaryMs) {
        summarised = now;
        log.warn(
          { phases, failures, failedTicks: ticks, sinceMs: now - since },
          'OpenTrain is still not answering the poller',
        );
      }
    },
  };
}
