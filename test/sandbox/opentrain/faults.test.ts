import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Harness, startSimulator, uuidPattern } from './harness.js';

describe('injected faults', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startSimulator();
  });
  afterEach(async () => {
    await h.close();
  });

  it('answers 429 RATE_LIMITED with Retry-After once, then the real answer', async () => {
    h.sim.injectFault({ method: 'POST', path: '/milestones/M-1001/fund', status: 429, retryAfter: 7 });

    const limited = await h.call('POST', '/milestones/M-1001/fund');
    const real = await h.call('POST', '/milestones/M-1001/fund');

    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.body).toEqual({
      error: expect.any(String),
      code: 'RATE_LIMITED',
      requestId: expect.any(String),
    });
    expect(limited.body.requestId).toMatch(uuidPattern);
    expect(real.status).toBe(202);
    expect(h.sim.snapshot().approvals).toHaveLength(1);
    expect(h.sim.requests.map((r) => [r.status, r.fault])).toEqual([
      [429, 'status'],
      [202, null],
    ]);
  });

  it('answers 5xx with INTERNAL_ERROR, matching a RegExp path as many times as asked', async () => {
    h.sim.injectFault({ path: /^\/approvals\//, status: 503, times: 2 });

    const answers = [];
    for (let i = 0; i < 3; i += 1) answers.push(await h.call('GET', '/approvals/A-1'));
    const other = await h.call('GET', '/contracts');

    expect(answers.map((a) => a.status)).toEqual([503, 503, 404]);
    expect(answers[0]?.body).toEqual({
      error: expect.any(String),
      code: 'INTERNAL_ERROR',
      requestId: expect.stringMatching(uuidPattern),
    });
    expect(other.status).toBe(200);
    expect(h.sim.requests[0]?.status).toBe(503);
  });

  it('uses a custom body when given one, and Infinity keeps a fault armed', async () => {
    h.sim.injectFault({
      path: '/updates',
      status: 500,
      body: { oops: true },
      times: Number.POSITIVE_INFINITY,
    });

    const a = await h.call('GET', '/updates');
    const b = await h.call('GET', '/updates');
    h.sim.clearFaults();
    const c = await h.call('GET', '/updates');

    expect([a.body, b.body]).toEqual([{ oops: true }, { oops: true }]);
    expect(c.status).toBe(200);
  });

  it('slows a real answer down by latencyMs', async () => {
    h.sim.injectFault({ path: '/contracts', latencyMs: 150 });

    const started = performance.now();
    const res = await h.call('GET', '/contracts');
    const elapsed = performance.now() - started;

    expect(res.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(h.sim.requests[0]).toMatchObject({ status: 200, fault: 'latency' });
  });

  it('rewrites the real answer with rewrite, after handling the request for real', async () => {
    h.sim.injectFault({
      method: 'POST',
      path: '/milestones/M-1001/fund',
      rewrite: (body) => {
        const envelope = body as { approval: { milestoneId: string; approvalUrl: string } };
        envelope.approval.milestoneId = 'M-1002';
        envelope.approval.approvalUrl = 'https://opentrain.evil.example/approve';
        return envelope;
      },
    });

    const rewritten = await h.call('POST', '/milestones/M-1001/fund');

    expect(rewritten.status).toBe(202);
    expect(rewritten.body.approval).toMatchObject({
      milestoneId: 'M-1002',
      approvalUrl: 'https://opentrain.evil.example/approve',
    });
    const [recorded] = h.sim.snapshot().approvals;
    expect(recorded).toMatchObject({ milestoneId: 'M-1001' });
    expect(recorded?.approvalUrl).not.toContain('evil');
    expect(h.sim.requests[0]).toMatchObject({ status: 202, fault: 'rewrite' });
  });

  it('leaves an armed rewrite out of the snapshot, which is plain data', () => {
    h.sim.injectFault({ path: '/contracts', rewrite: (body) => body });

    expect(h.sim.snapshot().faults).toEqual([{ path: '/contracts', times: 1 }]);
  });

  it('resets the connection', async () => {
    h.sim.injectFault({ method: 'POST', drop: 'reset' });

    const call = h.call('POST', '/milestones/M-1001/fund');

    await expect(call).rejects.toThrow();
    expect(h.sim.snapshot().approvals).toEqual([]);
    expect(h.sim.requests[0]).toMatchObject({ status: null, fault: 'reset' });
  });

  it('hangs until the client gives up, and close() still ends a hung request promptly', async () => {
    h.sim.injectFault({ path: '/contracts', drop: 'hang', times: 2 });

    const abandoned = fetch(`${h.baseUrl}/contracts`, { signal: AbortSignal.timeout(100) });
    await expect(abandoned).rejects.toThrow();
    const hung = fetch(`${h.baseUrl}/contracts`);
    await vi.waitFor(() => expect(h.sim.requests).toHaveLength(2));
    await h.sim.close();

    await expect(hung).rejects.toThrow();
    expect(h.sim.requests.map((r) => r.fault)).toEqual(['hang', 'hang']);
  });

  it('can be driven over HTTP through /_sim/faults', async () => {
    const put = await fetch(`${h.sim.origin}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        pathPattern: '^/milestones/.*/fund$',
        status: 429,
        retryAfter: 3,
        times: 'Infinity',
      }),
    });
    const listed = (await (await fetch(`${h.sim.origin}/_sim/faults`)).json()) as { faults: unknown[] };
    const limited = await h.call('POST', '/milestones/M-1002/fund');
    await fetch(`${h.sim.origin}/_sim/faults`, { method: 'DELETE' });
    const real = await h.call('POST', '/milestones/M-1002/fund');

    expect(put.status).toBe(201);
    expect(listed.faults[0]).toMatchObject({
      path: { pattern: expect.stringContaining('fund') },
      times: 'Infinity',
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(real.status).toBe(202);
  });

  it('rejects an invalid fault over HTTP with a 400 naming the field', async () => {
    const res = await fetch(`${h.sim.origin}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ drop: 'explode' }),
    });

    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ details: { field: 'drop' } });
  });

  it('notifies onChange listeners of state changes', async () => {
    const kinds: string[] = [];
    const stop = h.sim.onChange((change) => kinds.push(change.kind));

    await h.call('POST', '/milestones/M-1001/fund');
    stop();
    await h.call('POST', '/milestones/M-1002/fund');

    expect(kinds).toEqual(['approval', 'request']);
  });
});
