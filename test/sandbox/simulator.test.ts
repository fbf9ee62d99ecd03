import { afterEach, describe, expect, it } from 'vitest';
import { ShiftableClock } from '../../src/clock.js';
import { createOpenTrainSimulator } from '../../src/sandbox/opentrain/simulator.js';
import { type Harness, startSimulator } from './opentrain/harness.js';

describe('the OpenTrain simulator /updates page cap', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** Each fund + decline makes one approval.confirmed event. */
  async function makeEvents(harness: Harness, count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      const { body } = await harness.call('POST', '/milestones/M-1001/fund');
      harness.sim.decline(body.approval.id);
    }
  }

  /** Follows nextCursor while hasMore; returns the event ids of each page. */
  async function drain(harness: Harness, limit: number): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    for (;;) {
      const query: string = cursor === null ? `limit=${limit}` : `limit=${limit}&cursor=${cursor}`;
      const { status, body } = await harness.call('GET', `/updates?${query}`);
      expect(status).toBe(200);
      pages.push(body.events.map((event: { id: string }) => event.id));
      if (!body.hasMore) return pages;
      cursor = body.nextCursor;
    }
  }

  it('caps every page below the requested limit, and paging still yields each event once, in order', async () => {
    h = await startSimulator({ updatesMaxPageSize: 2 });
    await makeEvents(h, 5);

    const pages = await drain(h, 100);

    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    const ids = pages.flat();
    expect(ids).toEqual(h.sim.snapshot().events.map((event) => event.id));
    expect(new Set(ids).size).toBe(5);
  });

  it('sets hasMore false on a last page that is exactly full, so no empty page is needed', async () => {
    h = await startSimulator({ updatesMaxPageSize: 2 });
    await makeEvents(h, 4);

    const pages = await drain(h, 100);

    expect(pages.map((page) => page.length)).toEqual([2, 2]);
  });

  it('applies the smaller of limit and the cap', async () => {
    h = await startSimulator({ updatesMaxPageSize: 3 });
    await makeEvents(h, 4);

    const small = await h.call('GET', '/updates?limit=1');
    const byDefault = await h.call('GET', '/updates');

    expect(small.body.events).toHaveLength(1);
    expect(byDefault.body.events).toHaveLength(3);
    expect(byDefault.body.hasMore).toBe(true);
  });

  it('keeps the documented limits when no cap is set: up to 200, default 50 (the docs state none)', async () => {
    h = await startSimulator();
    await makeEvents(h, 55);

    const byDefault = await h.call('GET', '/updates');
    const max = await h.call('GET', '/updates?limit=200');
    const over = await h.call('GET', '/updates?limit=201');

    expect(h.sim.updatesMaxPageSize).toBeUndefined();
    expect(byDefault.body.events).toHaveLength(50);
    expect(max.body.events).toHaveLength(55);
    expect(over.status).toBe(400);
  });

  it('can be set and lifted at run time', async () => {
    h = await startSimulator();
    await makeEvents(h, 3);

    h.sim.updatesMaxPageSize = 1;
    const capped = await h.call('GET', '/updates?limit=100');
    h.sim.updatesMaxPageSize = undefined;
    const lifted = await h.call('GET', '/updates?limit=100');

    expect(capped.body.events).toHaveLength(1);
    expect(capped.body.hasMore).toBe(true);
    expect(lifted.body.events).toHaveLength(3);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a cap of %s', async (cap) => {
    expect(() => createOpenTrainSimulator({ clock: new ShiftableClock(), updatesMaxPageSize: cap })).toThrow(
      RangeError,
    );
    h = await startSimulator();
    const sim = h.sim;
    expect(() => {
      sim.updatesMaxPageSize = cap;
    }).toThrow(RangeError);
  });
});
