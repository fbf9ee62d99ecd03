import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Harness, ids, replyContaining, startHarness, waitForCard } from './harness.js';

describe('GET /metrics', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  const scrape = async () => {
    const response = await fetch(`${h.service.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return response.text();
  };
  /** The value of one series, e.g. `countersign_opentrain_requests_total{method="POST /milestones/{id}/fund",outcome="ok"}`. */
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('counts what a funding request did, under the names dashboards rely on', async () => {
    await h.command('M-1001');
    await waitForCard(h, ids.financeApprovals);
    await replyContaining(h, ids.alice, 'Funding requested');
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    h.opentrain.confirm(approvalId);
    await h.service.pollNow();

    const text = await scrape();

    expect(value(text, 'countersign_command_ack_seconds_count{command="/fund-milestone"}')).toBe(1);
    expect(
      value(text, 'countersign_opentrain_requests_total{method="POST /milestones/{id}/fund",outcome="ok"}'),
    ).toBe(1);
    expect(
      value(text, 'countersign_slack_requests_total{method="chat.postMessage",outcome="ok"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(value(text, 'countersign_decision_seconds_count{status="confirmed"}')).toBe(1);
    expect(value(text, 'countersign_poll_tick_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'countersign_poll_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(text, 'countersign_approvals{status="confirmed"}')).toBe(1);
    expect(value(text, 'countersign_approvals{status="pending"}')).toBe(0);
    expect(value(text, 'countersign_queue_depth')).toBe(0);
    expect(value(text, 'countersign_queue_oldest_seconds')).toBe(0);
    for (const name of [
      'countersign_slack_rate_limited_seconds_total',
      'countersign_reminders_sent_total',
      'process_resident_memory_bytes',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });

  it('adds up the Retry-After Slack asked for', async () => {
    h.slack.injectFault({ method: 'chat.postMessage', status: 429, retryAfter: 7 });

    await h.command('M-1001');

    await vi.waitFor(async () => {
      expect(value(await scrape(), 'countersign_slack_rate_limited_seconds_total')).toBe(7);
    });
  });
});
