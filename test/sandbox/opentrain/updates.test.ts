import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startSimulator } from './harness.js';

describe('GET /updates', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startSimulator();
  });
  afterEach(async () => {
    await h.close();
  });

  /** Each fund + decline makes one approval.confirmed event. */
  async function makeEvents(count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      const { body } = await h.call('POST', '/milestones/M-1001/fund');
      h.sim.decline(body.approval.id);
    }
  }

  it('answers an empty feed with nextCursor null when there is no cursor', async () => {
    const res = await h.call('GET', '/updates');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ events: [], nextCursor: null, hasMore: false });
  });

  it('pages oldest first across more events than the limit, with increasing numeric ids', async () => {
    await makeEvents(7);

    const first = await h.call('GET', '/updates?limit=3');
    const second = await h.call('GET', `/updates?limit=3&cursor=${first.body.nextCursor}`);
    const third = await h.call('GET', `/updates?limit=3&cursor=${second.body.nextCursor}`);
    const drained = await h.call('GET', `/updates?limit=3&cursor=${third.body.nextCursor}`);

    const ids = [...first.body.events, ...second.body.events, ...third.body.events].map((e) => e.id);
    expect(ids).toHaveLength(7);
    expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(7);
    expect(ids.every((id) => /^\d+$/.test(id))).toBe(true);
    expect([first.body.hasMore, second.body.hasMore, third.body.hasMore]).toEqual([true, true, false]);
    expect(first.body.nextCursor).toBe(first.body.events.at(-1).id);
    expect(third.body.events).toHaveLength(1);
    expect(drained.body).toEqual({ events: [], nextCursor: third.body.nextCursor, hasMore: false });
  });

  it('returns 50 events by default and accepts any limit up to the documented 200', async () => {
    await makeEvents(205);

    const byDefault = await h.call('GET', '/updates');
    const past100 = await h.call('GET', '/updates?limit=150');
    const max = await h.call('GET', '/updates?limit=200');
    const rest = await h.call('GET', `/updates?limit=200&cursor=${max.body.nextCursor}`);

    expect(byDefault.body.events).toHaveLength(50);
    expect(byDefault.body.hasMore).toBe(true);
    expect(past100.status).toBe(200);
    expect(past100.body.events).toHaveLength(150);
    expect(max.body.events).toHaveLength(200);
    expect(max.body.hasMore).toBe(true);
    expect(rest.body.events).toHaveLength(5);
    expect(rest.body.hasMore).toBe(false);
  });

  it('event records have the documented shape', async () => {
    await makeEvents(1);

    const { body } = await h.call('GET', '/updates');

    expect(body.events[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      type: 'approval.confirmed',
      apiVersion: 'v1',
      createdAt: expect.any(String),
      resourceId: expect.stringMatching(/^A-/),
      jobId: 'J-100',
      data: { approvalId: body.events[0].resourceId, status: 'declined' },
    });
  });

  it.each(['abc', '-1', '1.5', '12abc'])('rejects cursor=%s with 400 field cursor', async (cursor) => {
    const res = await h.call('GET', `/updates?cursor=${encodeURIComponent(cursor)}`);

    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'cursor' } });
  });

  it.each(['0', '201', '1000', 'ten', '-5', ''])('rejects limit=%s with 400 field limit', async (limit) => {
    const res = await h.call('GET', `/updates?limit=${limit}`);

    expect(res.status).toBe(400);
    expect(res.body.details).toMatchObject({ field: 'limit', min: 1, max: 200 });
  });

  it('needs one of the read scopes', async () => {
    h.sim.setAccount({ scopes: ['webhooks:manage'] });

    const res = await h.call('GET', '/updates');

    expect(res.status).toBe(403);
    expect(res.body.details.requiredScopes).toEqual(['proposals:read', 'messages:read', 'payments:read']);
  });
});
