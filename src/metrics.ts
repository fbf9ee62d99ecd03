import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Metrics } from './ports/metrics.js';

/** Seconds buckets for things a person waits on: an ack (3 s limit), a tick. */
const fastBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10];
/** Seconds buckets for a human decision: minutes to days (an approval lives about 72 h). */
const decisionBuckets = [60, 300, 900, 3_600, 4 * 3_600, 12 * 3_600, 24 * 3_600, 48 * 3_600, 72 * 3_600];

/**
 * Everything /metrics shows, under names dashboards can rely on (README → Deploying and docs/deployment.md →
 * Metrics list them; test/unit/deploy.test.ts keeps both lists true). One registry per service, so tests can
 * start several bots in one process.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metric = { registers: [registry] };
  const gauges = {
    pollLag: new Gauge({
      name: 'countersign_poll_lag_seconds',
      help: 'Seconds since the last poll tick finished',
      ...metric,
    }),
    queueDepth: new Gauge({
      name: 'countersign_queue_depth',
      help: 'Side effects waiting on the queue',
      ...metric,
    }),
    queueOldest: new Gauge({
      name: 'countersign_queue_oldest_seconds',
      help: 'How long the longest-waiting due side effect has waited',
      ...metric,
    }),
    approvals: new Gauge({
      name: 'countersign_approvals',
      help: 'Tracked approvals by status',
      labelNames: ['status'],
      ...metric,
    }),
  };
  const commandAck = new Histogram({
    name: 'countersign_command_ack_seconds',
    help: 'Time from a slash command arriving to its answer',
    labelNames: ['command'],
    buckets: fastBuckets,
    ...metric,
  });
  const opentrainRequests = new Counter({
    name: 'countersign_opentrain_requests_total',
    help: 'OpenTrain API calls by endpoint and outcome',
    labelNames: ['method', 'outcome'],
    ...metric,
  });
  const slackRequests = new Counter({
    name: 'countersign_slack_requests_total',
    help: 'Slack Web API calls by method and outcome',
    labelNames: ['method', 'outcome'],
    ...metric,
  });
  const slackRateLimited = new Counter({
    name: 'countersign_slack_rate_limited_seconds_total',
    help: 'Seconds of Retry-After Slack asked for',
    ...metric,
  });
  const pollTick = new Histogram({
    name: 'countersign_poll_tick_seconds',
    help: 'How long a poll tick took',
    buckets: fastBuckets,
    ...metric,
  });
  const remindersSent = new Counter({
    name: 'countersign_reminders_sent_total',
    help: 'Reminder DMs sent',
    ...metric,
  });
  const decisions = new Histogram({
    name: 'countersign_decision_seconds',
    help: 'Time from a funding request to its decision (confirmed, declined or expired)',
    labelNames: ['status'],
    buckets: decisionBuckets,
    ...metric,
  });
  const useCases: Metrics = {
    reminderSent: () => remindersSent.inc(),
    decided: (status, seconds) => decisions.observe({ status }, Math.max(0, seconds)),
  };
  return {
    registry,
    gauges,
    useCases,
    commandAnswered: (command: string, seconds: number) => commandAck.observe({ command }, seconds),
    opentrainCall: (method: string, outcome: string) => opentrainRequests.inc({ method, outcome }),
    slackCall: (method: string, outcome: string, retryAfterMs?: number) => {
      slackRequests.inc({ method, outcome });
      if (retryAfterMs !== undefined) slackRateLimited.inc(retryAfterMs / 1_000);
    },
    tickTook: (seconds: number) => pollTick.observe(seconds),
  };
}

export type ServiceMetrics = ReturnType<typeof createMetrics>;
