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
  /** Runs a tick now, coalesced with one in progress; the webhook doorbell calls it without waiting. */
  tickNow(): Promise<void>;
  ring(): void;
  /** Stops the schedule and waits for a tick in progress. */
  stop(): Promise<void>;
}

/** The lease that makes one replica the poller for a tick; renewed while the tick runs. */
const leaseName = 'poller';
const leaseMs = 15_000;
/** Where the last tick of any replica is recorded, for readiness and for the other replicas' schedules. */
export const lastTickKey = 'poller-last-tick';

/**
 * The node-cron schedule (UTC, no overlap) that runs the poll tick use case, and the webhook doorbell. With
 * several replicas on one database, one tick runs at a time across all of them (a lease, taken over within
 * seconds when its holder dies), and a scheduled tick is skipped when another replica ticked this interval,
 * so OpenTrain's /updates is read at one replica's rate. A doorbell always ticks (unless one is running).
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
  let asked = false;

  /** Another replica ticked less than half an interval ago: this scheduled tick would read the feed twice. */
  async function tickedElsewhereLately(): Promise<boolean> {
    const last = await deps.store.state.get(lastTickKey);
    return last !== null && deps.clock.now().getTime() - Date.parse(last) < intervalMs / 2;
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
    const wasAsked = asked;
    asked = false;
    try {
      if (!wasAsked && (await tickedElsewhereLately())) return;
      if (!(await deps.store.leases.acquire(leaseName, deps.owner, deps.clock.now(), leaseMs))) return;
    } catch (error) {
      log.warn({ err: error }, 'could not take the poller lease; skipping this tick');
      return;
    }
    const renewal = setInterval(() => {
      deps.store.leases
        .acquire(leaseName, deps.owner, deps.clock.now(), leaseMs)
        .catch((error: unknown) => log.warn({ err: error }, 'could not renew the poller lease'));
    }, leaseMs / 3);
    try {
      await runTick();
    } finally {
      clearInterval(renewal);
      await deps.store.leases.release(leaseName, deps.owner).catch(() => undefined);
    }
  });
  const askedTick = () => {
    asked = true;
    return tick();
  };
  let task: ReturnType<typeof cron.schedule> | undefined;
  return {
    staleAfterMs: Math.max(60_000, intervalMs * 3),
    start() {
      task = cron.schedule(deps.schedule, () => tick(), {
        name: 'poll-opentrain',
        timezone: 'UTC',
        noOverlap: true,
      });
      void askedTick();
    },
    tickNow: askedTick,
    ring() {
      askedTick().catch((error: unknown) =>
        log.error({ err: error }, 'poll triggered by the webhook failed'),
      );
    },
    async stop() {
      stopped = true;
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
