/** What the use cases report for the operator's dashboards; the adapter (src/metrics.ts) is Prometheus. */
export interface Metrics {
  /** A reminder DM reached Slack. */
  reminderSent(): void;
  /** An approval was decided (confirmed, declined or expired), this long after it was requested. */
  decided(status: string, seconds: number): void;
}

/** For tests and tools that report nothing. */
export const noMetrics: Metrics = { reminderSent: () => {}, decided: () => {} };
