import type { CustomRoute } from '@slack/bolt';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import { sendJson } from './io.js';

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

/**
 * GET /healthz: the process answers. GET /readyz: the store answers and the poller finished a tick recently
 * (OpenTrain being down does not make the bot unready: it still answers commands and explains the outage).
 */
export function healthRoutes(deps: {
  store: Store;
  status: PollerStatus;
  clock: Clock;
  /** A tick older than this means the poller is stuck. */
  staleAfterMs: number;
}): CustomRoute[] {
  return [
    { path: '/healthz', method: 'GET', handler: (_req, res) => sendJson(res, 200, { ok: true }) },
    {
      path: '/readyz',
      method: 'GET',
      handler: (_req, res) => {
        void (async () => {
          let storeOk = true;
          try {
            await deps.store.ping();
          } catch {
            storeOk = false;
          }
          const finished = deps.status.lastTickFinishedAt;
          const ageMs = finished === null ? null : deps.clock.now().getTime() - finished.getTime();
          const pollerOk = ageMs !== null && ageMs <= deps.staleAfterMs;
          sendJson(res, storeOk && pollerOk ? 200 : 503, {
            ok: storeOk && pollerOk,
            store: storeOk ? 'ok' : 'unreachable',
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
