import type { Clock } from '../clock.js';
import { approvalStatuses } from '../domain/approval.js';
import type { ServiceMetrics } from '../metrics.js';
import type { ApprovalsPort, OutboxPort } from '../ports/store.js';
import type { Route } from './server.js';

export interface MetricsRouteDeps {
  readonly clock: Clock;
  /** When the last tick finished, on any replica. */
  readonly lastTick: () => Promise<Date | null>;
  readonly outbox: Pick<OutboxPort, 'stats'>;
  readonly approvals: Pick<ApprovalsPort, 'countByStatus'>;
}

/**
 * Counting approvals by status reads every tracked row (40 ms of the event loop at 100,000 on SQLite): it is
 * done at most this often, however often /metrics is scraped (Prometheus's default is every 15 s).
 */
export const approvalCountsMaxAgeMs = 15_000;

type Counts = Awaited<ReturnType<ApprovalsPort['countByStatus']>>;

/** The latest count of approvals by status, recounted when older than the max age, one count at a time. */
function cachedCounts(deps: MetricsRouteDeps, maxAgeMs: number): () => Promise<Counts> {
  let last: { at: number; counts: Promise<Counts> } | undefined;
  return () => {
    const at = performance.now();
    if (last === undefined || at - last.at >= maxAgeMs) {
      const counts = deps.approvals.countByStatus();
      last = { at, counts };
      // A failed count is not kept: the next scrape counts again.
      counts.catch(() => {
        if (last?.counts === counts) last = undefined;
      });
    }
    return last.counts;
  };
}

/** The gauges read from the store at each scrape: poll lag, the queue, approvals by status. */
async function refreshGauges(
  metrics: ServiceMetrics,
  deps: MetricsRouteDeps,
  countApprovals: () => Promise<Counts>,
): Promise<void> {
  const now = deps.clock.now();
  const [finished, queue, counts] = await Promise.all([
    deps.lastTick(),
    deps.outbox.stats(now),
    countApprovals(),
  ]);
  if (finished !== null) metrics.gauges.pollLag.set((now.getTime() - finished.getTime()) / 1_000);
  metrics.gauges.queueDepth.set(queue.pending);
  const oldest = queue.oldestDueAt === null ? 0 : (now.getTime() - queue.oldestDueAt.getTime()) / 1_000;
  metrics.gauges.queueOldest.set(oldest);
  for (const status of approvalStatuses) metrics.gauges.approvals.set({ status }, counts[status] ?? 0);
}

/** GET /metrics: Prometheus's text format, for the operator's dashboards (names in README → Deploying). */
export function metricsRoute(
  metrics: ServiceMetrics,
  deps: MetricsRouteDeps,
  options: { readonly approvalCountsMaxAgeMs?: number } = {},
): Route {
  const countApprovals = cachedCounts(deps, options.approvalCountsMaxAgeMs ?? approvalCountsMaxAgeMs);
  return {
    path: '/metrics',
    method: 'GET',
    handler: (_req, res) => {
      void (async () => {
        // A failing store still lets everything else be scraped.
        await refreshGauges(metrics, deps, countApprovals).catch(() => undefined);
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
