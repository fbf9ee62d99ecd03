import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { approvalCountsMaxAgeMs, metricsRoute } from '../../../src/http/metrics.js';
import { createMetrics } from '../../../src/metrics.js';
import { t0 } from '../../helpers/builders.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});

/** A /metrics route over a store whose approval count is counted, served on loopback. */
async function serve(options: { maxAgeMs?: number; failFirst?: boolean } = {}) {
  let counts = 0;
  let pending = 7;
  const route = metricsRoute(
    createMetrics(),
    {
      clock: { now: () => t0 },
      lastTick: async () => null,
      outbox: { stats: async () => ({ pending: 0, due: 0, oldestDueAt: null }) },
      approvals: {
        countByStatus: async () => {
          counts++;
          if (options.failFirst === true && counts === 1) throw new Error('database is locked');
          return { pending };
        },
      },
    },
    options.maxAgeMs === undefined ? {} : { approvalCountsMaxAgeMs: options.maxAgeMs },
  );
  const server = createServer((req, res) => route.handler(req, res));
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  const scrape = async () => {
    const text = await (await fetch(url)).text();
    const line = text.split('\n').find((l) => l.startsWith('countersign_approvals{status="pending"} '));
    return Number(line?.split(' ')[1]);
  };
  return {
    scrape,
    counted: () => counts,
    setPending: (n: number) => {
      pending = n;
    },
  };
}

describe('GET /metrics', () => {
  it('counts approvals once for many scrapes inside the max age', async () => {
    const route = await serve();

    const values = [];
    for (let n = 0; n < 20; n++) values.push(await route.scrape());

    expect(approvalCountsMaxAgeMs).toBe(15_000);
    expect(values).toEqual(Array(20).fill(7));
    expect(route.counted()).toBe(1);
  });

  it('counts again once the last count is older than the max age', async () => {
    const route = await serve({ maxAgeMs: 0 });
    await route.scrape();
    route.setPending(9);

    const value = await route.scrape();

    expect(value).toBe(9);
    expect(route.counted()).toBe(2);
  });

  it('does not keep a failed count: the next scrape counts again', async () => {
    const route = await serve({ failFirst: true });
    await route.scrape();

    const value = await route.scrape();

    expect(value).toBe(7);
    expect(route.counted()).toBe(2);
  });
});
