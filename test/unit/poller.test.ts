import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createPollerStatus } from '../../src/http/health.js';
import { createPoller, type Poller, pollerLeaseName } from '../../src/poller.js';
import type { Store } from '../../src/ports/store.js';
import type { TickReport } from '../../src/use-cases/poll-tick.js';
import { createMemoryStore } from '../helpers/memory-store.js';
import { silentLog, TestClock } from '../helpers/test-clock.js';

/*
 * The poller across replicas: several pollers on one store read OpenTrain's feed at one replica's rate, a
 * doorbell still brings a prompt tick, and a dead holder's lease is taken over within seconds. Each "replica"
 * is a poller with its own owner on a shared store; the tick use case only records who ran it.
 */

const schedule = '*/2 * * * * *';
const intervalMs = 2_000;

const report: TickReport = {
  actions: [],
  applied: 0,
  failures: [],
  problems: [],
  pages: 1,
  events: 0,
  approvalReads: 0,
};

interface Replica {
  readonly name: string;
  readonly poller: Poller;
}

function replica(
  name: string,
  store: Pick<Store, 'inbound' | 'leases' | 'state'>,
  clock: TestClock,
  ticks: string[],
  during: () => Promise<void> | void = () => {},
): Replica {
  const poller = createPoller({
    useCases: {
      tick: async () => {
        ticks.push(name);
        await during();
        return report;
      },
    },
    store,
    status: createPollerStatus(),
    clock,
    log: silentLog(),
    schedule,
    owner: name,
  });
  return { name, poller };
}

type Ports = Pick<Store, 'inbound' | 'leases' | 'state'>;

/** Every method of `port` goes through `wrap`. */
function wrapPort<T extends object>(port: T, wrap: (call: () => Promise<unknown>) => Promise<unknown>): T {
  return new Proxy(port, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        wrap(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}

function wrapStore(store: Ports, wrap: (call: () => Promise<unknown>) => Promise<unknown>): Ports {
  return {
    inbound: wrapPort(store.inbound, wrap),
    leases: wrapPort(store.leases, wrap),
    state: wrapPort(store.state, wrap),
  };
}

/**
 * A replica on a slow connection: each call is carried out at once, but its answer reaches the replica only
 * once `until` settles (what a busy pool or a long round trip does to a replica whose schedule fired too).
 */
function answersHeldUntil(store: Ports, until: Promise<void>): Ports {
  return wrapStore(store, async (call) => {
    const answer = call();
    await until;
    return answer;
  });
}

/** Every call waits up to `maxMs` before it is carried out and again before its answer arrives. */
function jittered(store: Ports, maxMs: number): Ports {
  return wrapStore(store, async (call) => {
    await sleep(Math.random() * maxMs);
    const answer = await call();
    await sleep(Math.random() * maxMs);
    return answer;
  });
}

/** Resolves with `promise`, or rejects when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the poller on several replicas', () => {
  it('reads the feed once when the other replicas saw no tick yet but got the lease only after it was released', async () => {
    // The old check read "the last tick" before taking the lease: a replica whose read came before the
    // ticking replica recorded its tick, and whose lease request came after that replica let go, ticked
    // again in the same interval. Three replicas on busy connections read /updates three times an interval.
    const store = createMemoryStore();
    const clock = new TestClock();
    const ticks: string[] = [];
    let released = () => {};
    const firstReleased = new Promise<void>((resolve) => {
      released = resolve;
    });
    const firstStore: Ports = {
      ...store,
      leases: {
        ...store.leases,
        async release(name, owner) {
          await store.leases.release(name, owner);
          released();
        },
      },
    };
    const late: Promise<void>[] = [];
    const others = ['b', 'c'].map((name) =>
      replica(name, answersHeldUntil(store, firstReleased), clock, ticks),
    );
    const first = replica('a', firstStore, clock, ticks, () => {
      // Their schedules fire while a's tick runs; their store calls are carried out now, answered later.
      for (const other of others) late.push(other.poller.scheduledTick());
    });

    await first.poller.scheduledTick();
    await within(Promise.all(late), 2_000, 'the other replicas’ scheduled ticks');

    expect(ticks).toEqual(['a']);
  });

  it('reads the feed once an interval over ten intervals, whichever replica gets there first', async () => {
    const store = createMemoryStore();
    const clock = new TestClock();
    const ticks: string[] = [];
    const replicas = ['a', 'b', 'c'].map((name) =>
      replica(name, jittered(store, 4), clock, ticks, () => sleep(Math.random() * 5)),
    );

    for (let round = 0; round < 10; round++) {
      await Promise.all(
        replicas.map(async (r) => {
          await sleep(Math.random() * 6); // each replica's schedule fires a little apart
          await r.poller.scheduledTick();
        }),
      );
      clock.advance(intervalMs);
    }

    expect(ticks).toHaveLength(10);
  });

  it('still reads the feed at every interval on one replica', async () => {
    const clock = new TestClock();
    const ticks: string[] = [];
    const only = replica('a', createMemoryStore(), clock, ticks);
    for (let round = 0; round < 5; round++) {
      await only.poller.scheduledTick();
      clock.advance(intervalMs);
    }
    expect(ticks).toHaveLength(5);
  });

  it('ticks for a doorbell rung on one replica while another is ticking, as soon as that tick ends', async () => {
    const store = createMemoryStore();
    const clock = new TestClock();
    const ticks: string[] = [];
    let rung: Promise<void> | undefined;
    const b = replica('b', store, clock, ticks);
    const a = replica('a', store, clock, ticks, async () => {
      // The news arrives after a's tick read the feed: b's doorbell must not be lost to a's lease.
      clock.advance(10);
      rung = b.poller.tickNow();
      await sleep(100);
    });

    await a.poller.scheduledTick();
    const releasedAt = Date.now();
    await within(rung ?? Promise.resolve(), 1_000, 'the doorbell tick');

    expect(ticks).toEqual(['a', 'b']);
    expect(Date.now() - releasedAt).toBeLessThan(1_000);
  });

  it('does not tick for a doorbell when a tick that began after it was rung already read the feed', async () => {
    const store = createMemoryStore();
    const clock = new TestClock();
    const ticks: string[] = [];
    let rung: Promise<void> | undefined;
    let again: Promise<void> | undefined;
    const b = replica('b', store, clock, ticks);
    const a = replica('a', store, clock, ticks, () => {
      if (rung !== undefined) return;
      clock.advance(10);
      rung = b.poller.tickNow(); // waits for a's lease
      clock.advance(10);
      again = a.poller.tickNow(); // a's own doorbell: its next tick begins after b's was rung
    });

    await a.poller.scheduledTick();
    await within(Promise.all([rung, again]), 2_000, 'both doorbells');

    expect(ticks).toEqual(['a', 'a']);
  });

  it('a burst of doorbells rung on every replica reads the feed once when they all came before the tick began', async () => {
    const store = createMemoryStore();
    const clock = new TestClock();
    const ticks: string[] = [];
    const replicas = ['a', 'b', 'c'].map((name) => replica(name, jittered(store, 3), clock, ticks));
    const rung = replicas.map((r) => {
      clock.advance(1);
      return r.poller.tickNow();
    });
    clock.advance(1); // the first tick begins after the last doorbell (each store call is a few ms away)
    await Promise.all(rung);
    expect(ticks).toHaveLength(1);
  });

  it('takes over the lease of a replica that died holding it, within seconds, for the schedule and for a doorbell', async () => {
    const store = createMemoryStore();
    const clock = new TestClock();
    const ticks: string[] = [];
    await store.leases.acquire(pollerLeaseName, 'dead-replica', clock.now(), 15_000);
    const b = replica('b', store, clock, ticks);

    await b.poller.scheduledTick();
    expect(ticks).toEqual([]); // the lease is still the dead replica's

    const rung = b.poller.tickNow();
    await sleep(100);
    clock.advance(15_000); // its lease lapses
    await within(rung, 1_000, 'the doorbell after the lease lapsed');
    expect(ticks).toEqual(['b']);

    clock.advance(intervalMs);
    await b.poller.scheduledTick();
    expect(ticks).toEqual(['b', 'b']);
  });

  it('stops at once while a doorbell waits for a lease held elsewhere', async () => {
    const store = createMemoryStore();
    const clock = new TestClock();
    const ticks: string[] = [];
    await store.leases.acquire(pollerLeaseName, 'other', clock.now(), 15_000);
    const b = replica('b', store, clock, ticks);
    const rung = b.poller.tickNow();
    await sleep(20);
    await within(b.poller.stop(), 500, 'stop');
    await within(rung, 500, 'the waiting doorbell');
    expect(ticks).toEqual([]);
  });
});
