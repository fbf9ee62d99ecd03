import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacHeader } from '../helpers/hmac-header.js';
import { botMessages, type Harness, ids, opentrainCalls, startHarness } from './harness.js';

const secret = 'upstream-secret-for-the-reliability-tests-0123';

async function post(h: Harness, request: Record<string, unknown>) {
  const body = JSON.stringify(request);
  const response = await fetch(`${h.service.url}/api/fund-requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-countersign-signature': hmacHeader(secret, body) },
    body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

// Issue 9: an upstream idempotencyKey reused for a different milestone answered 202 with the first approval.
describe('an upstream idempotencyKey reused for another milestone', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      UPSTREAM_SECRET: secret,
      FUND_CHANNEL: ids.financeApprovals,
      POLL_SCHEDULE: '0 0 1 1 *',
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers 409 naming the first milestone, and asks OpenTrain nothing for the second', async () => {
    const first = await post(h, { milestoneId: 'M-1001', idempotencyKey: 'po-4711' });
    expect(first.status).toBe(202);

    const reused = await post(h, { milestoneId: 'M-1002', idempotencyKey: 'po-4711' });

    expect(reused.status).toBe(409);
    expect(reused.json).toMatchObject({ error: 'idempotency_key_reused' });
    expect(String(reused.json.message)).toContain('M-1001');
    expect(reused.json).not.toHaveProperty('approvalId');
    expect(opentrainCalls(h, 'POST', '/milestones/M-1002/fund')).toEqual([]);
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
  });

  it('answers 409 too once the first approval ended, and the same key for the same milestone still answers 202', async () => {
    const first = await post(h, { milestoneId: 'M-1002', idempotencyKey: 'po-4712' });
    expect(first.status).toBe(202);
    h.opentrain.decline(String(first.json.approvalId));
    await h.service.pollNow();

    const reused = await post(h, { milestoneId: 'M-1001', idempotencyKey: 'po-4712' });
    const repeated = await post(h, { milestoneId: 'M-1002', idempotencyKey: 'po-4712' });

    expect(reused.status).toBe(409);
    expect(reused.json).toMatchObject({ error: 'idempotency_key_reused' });
    expect(repeated.status).toBe(202);
    expect(repeated.json).toMatchObject({
      approvalId: first.json.approvalId,
      duplicate: true,
      status: 'declined',
    });
    expect(opentrainCalls(h, 'POST', '/milestones/M-1002/fund')).toHaveLength(1);
  });
});
