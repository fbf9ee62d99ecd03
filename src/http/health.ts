import type { Clock } from '../clock.js';
import type { RunnerHealth } from '../delivery/runner.js';
import type { HealthPort, OutboxPort } from '../ports/store.js';
import { sendJson } from './io.js';
import type { Route } from './server.js';

/** What the poller last did, kept in memory for the readiness probe. */
export interface PollerStatus {
  lastTickStartedAt: Date | null;
  lastTickFinishedAt: Date | null;
  /** Phases of the last tick that failed, e.g. ['feed'] while OpenTrain is down. */
  lastFailures: readonly string[];
}

export function createPollerStatus(): PollerStatus {
  return { lastTickStartedAt: null, lastTickFinishedAt: null, lastFailures: [] };
}

/** Due work this overdue, with nothing moving for this long, means the queue is stuck. */
const stuckAfterMs = 60_000;

export interface HealthDeps {
  readonly health: HealthPort;
  readonly outbox: Pick<OutboxPort, 'nextDueAt'>;
  readonly runner: { health(): RunnerHealth };
  readonly status: PollerStatus;
  readonly clock: Clock;
  /** A tick older than this means the poller is stuck. */
  readonly staleAfterMs: number;
  readonly stopping: () => boolean;
  /** In Socket Mode, whether the WebSocket to Slack is open; always true over HTTP. */
  readonly slackConnected: () => boolean;
  /** When the last tick finished, on any replica. */
  readonly lastTick: () => Promise<Date | null>;
}

async function storeState(deps: HealthDeps): Promise<'ok' | 'unreachable' | 'not-writable'> {
  try {
    await deps.health.ping();
  } catch {
    return 'unreachable';
  }
  try {
    await deps.health.probeWrite(deps.clock.now());
    return 'ok';
  } catch {
    return 'not-writable';
  }
}

/** The queue makes progress unless store calls keep failing, or due work waits while nothing moves. */
async function workerState(deps: HealthDeps): Promise<{ ok: boolean; problem: string | null }> {
  const health = deps.runner.health();
  if (!health.ok) return { ok: false, problem: health.problem };
  const next = await deps.outbox.nextDueAt().catch(() => null);
  const overdueMs = next === null ? 0 : deps.clock.now().getTime() - next.getTime();
  const idleMs =
    health.lastProgressAt === null ? Number.POSITIVE_INFINITY : Date.now() - health.lastProgressAt.getTime();
  if (overdueMs > stuckAfterMs && idleMs > stuckAfterMs) {
    return { ok: false, problem: `due work has waited ${Math.round(overdueMs / 1_000)} s and nothing moved` };
  }
  return { ok: true, problem: null };
}

/**
 * GET /healthz: the process answers. GET /readyz: the store answers and takes writes, the queue makes
 * progress and the poller finished a tick recently (OpenTrain being down does not make the bot unready: it
 * still answers commands and explains the outage). Not ready from the moment shutdown begins.
 */
export function healthRoutes(deps: HealthDeps): Route[] {
  return [
    { path: '/healthz', method: 'GET', handler: (_req, res) => sendJson(res, 200, { ok: true }) },
    {
      path: '/readyz',
      method: 'GET',
      handler: (_req, res) => {
        void (async () => {
          if (deps.stopping()) return sendJson(res, 503, { ok: false, stopping: true });
          const [store, worker] = await Promise.all([storeState(deps), workerState(deps)]);
          const finished = await deps.lastTick().catch(() => deps.status.lastTickFinishedAt);
          const ageMs = finished === null ? null : deps.clock.now().getTime() - finished.getTime();
          const pollerOk = ageMs !== null && ageMs <= deps.staleAfterMs;
          const slack = deps.slackConnected() ? 'connected' : 'disconnected';
          const ok = store === 'ok' && worker.ok && pollerOk && slack === 'connected';
          sendJson(res, ok ? 200 : 503, {
            ok,
            store,
            worker,
            slack,
            poller: {
              ok: pollerOk,
              lastTickFinishedAt: finished?.toISOString() ?? null,
              lastTickAgeMs: ageMs,
              failingPhases: deps.status.lastFailures,
            },
          });
        })();
      },
    },
  ];
}
