import type { Clock } from '../clock.js';
import type { ServiceMetrics } from '../metrics.js';
import type { PollerStatus } from './health.js';
import type { Route } from './server.js';

/** GET /metrics: Prometheus's text format, for the operator's dashboards (names in README → Operating it). */
export function metricsRoute(metrics: ServiceMetrics, deps: { status: PollerStatus; clock: Clock }): Route {
  return {
    path: '/metrics',
    method: 'GET',
    handler: (_req, res) => {
      void (async () => {
        const finished = deps.status.lastTickFinishedAt;
        if (finished !== null)
          metrics.gauges.pollLag.set((deps.clock.now().getTime() - finished.getTime()) / 1_000);
        const body = await metrics.registry.metrics();
        res
          .writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' })
          .end(body);
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    },
  };
}
