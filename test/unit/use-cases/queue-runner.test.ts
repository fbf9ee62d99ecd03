import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRunner, type Handler, type Handlers, type Runner } from '../../../src/delivery/runner.js';
import { type EffectKind, effectKeys, noticeEffect } from '../../../src/domain/effects.js';
import type { ClaimedEffect } from '../../../src/ports/store.js';
import type { EffectResult } from '../../../src/use-cases/effect-result.js';
import { t0 } from '../../helpers/builders.js';
import { faulty } from '../../helpers/faulty.js';
import { createMemoryStore } from '../../helpers/memory-store.js';
import { silentLog, TestClock } from '../../helpers/test-clock.js';

/*
 * The runner against the in-memory store, with small handlers that record what they were given. Timers are
 * faked only where the runner's own timers are the subject (waking, renewing); elsewhere drain() is awaited.
 */

const kinds: readonly EffectKind[] = ['fund', 'card', 'homes', 'home', 'reply', 'dm', 'thread', 'notice'];
const done: EffectResult = { kind: 'done' };

const runners: Runner[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(runners.splice(0).map((runner) => runner.stop(0)));
});

/** A notice effect, the simplest kind; its key is notice:<name>. */
function notice(name: string) {
  return noticeEffect(name, 'T1', 'C0ROUTE', { kind: 'text', text: name });
}

const keyOf = (name: string) => effectKeys.notice(name);

/** A piece of work that runs until the test lets it finish. */
function gate() {
  let release: () => void = () => {};
  let started: () => void = () => {};
  const whenStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    started: whenStarted,
    release: () => release(),
    wait: () => {
      started();
      return released;
    },
  };
}

/** Awaits the event loop until `condition` holds (never sleeps on a clock). */
async function until(condition: () => boolean | Promise<boolean>, turns = 1_000): Promise<void> {
  for (let turn = 0; turn < turns; turn++) {
    if (await condition()) return;
    await nextTurn();
  }
  throw new Error('the condition never held');
}

function aQueue(options: { concurrency?: number; leaseMs?: number } = {}) {
  const clock = new TestClock(t0);
  const store = createMemoryStore();
  const outbox = faulty(store.outbox);
  const seen: ClaimedEffect[] = [];
  let running = 0;
  let mostAtOnce = 0;
  let handle: Handler<EffectKind> = async () => done;
  const recording: Handler<EffectKind> = async (claimed, context) => {
    seen.push(claimed);
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    try {
      return await handle(claimed, context);
    } finally {
      running--;
    }
  };
  const handlers = Object.fromEntries(kinds.map((kind) => [kind, recording])) as unknown as Handlers;
  const runner = createRunner({ outbox, handlers, clock, log: silentLog(), owner: 'replica-1', ...options });
  runners.push(runner);
  return {
    clock,
    store,
    outbox,
    runner,
    seen,
    mostAtOnce: () => mostAtOnce,
    handleWith(next: Handler<EffectKind>) {
      handle = next;
    },
    enqueue: (...names: string[]) => store.outbox.enqueue(names.map(notice), clock.now()),
    state: async (name: string) => (await store.outbox.find(keyOf(name)))?.state,
  };
}

describe('the queue runner', () => {
  it('runs every due effect with the handler of its kind and records what each came to', async () => {
    const queue = aQueue();
    const results: Record<string, EffectResult> = {
      [keyOf('a')]: done,
      [keyOf('b')]: { kind: 'dropped', reason: 'approval not tracked' },
      [keyOf('c')]: { kind: 'failed', error: 'invalid_blocks' },
    };
    queue.handleWith(async (claimed) => results[claimed.key] ?? done);
    await queue.enqueue('a', 'b', 'c');

    await queue.runner.drain();

    const records = await Promise.all(['a', 'b', 'c'].map((name) => queue.store.outbox.find(keyOf(name))));
    expect(records.map((record) => [record?.state, record?.lastError])).toEqual([
      ['done', null],
      ['dropped', 'approval not tracked'],
      ['failed', 'invalid_blocks'],
    ]);
    expect(queue.seen.map((claimed) => claimed.effect.kind)).toEqual(['notice', 'notice', 'notice']);
  });

  it('tries a retried effect again when the retry policy says, and not before', async () => {
    const queue = aQueue();
    queue.handleWith(async (claimed) =>
      claimed.attempts === 1
        ? {
            kind: 'retry',
            reason: 'rate-limited',
            error: 'ratelimited',
            retryAfterMs: 5_000,
            uncertain: false,
          }
        : done,
    );
    await queue.enqueue('a');

    await queue.runner.drain();

    expect(await queue.store.outbox.find(keyOf('a'))).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastError: 'ratelimited',
    });
    expect(await queue.store.outbox.nextDueAt()).toEqual(new Date(t0.getTime() + 5_000));

    queue.clock.advance(5_000);
    await queue.runner.drain();

    expect(await queue.state('a')).toBe('done');
    expect(queue.seen.map((claimed) => claimed.attempts)).toEqual([1, 2]);
  });

  it('tells the next attempt when the failed one may have landed', async () => {
    const queue = aQueue();
    queue.handleWith(async (claimed) =>
      claimed.attempts === 1
        ? { kind: 'retry', reason: 'unavailable', error: 'request_timeout', retryAfterMs: 0, uncertain: true }
        : done,
    );
    await queue.enqueue('a');

    await queue.runner.drain();

    expect(queue.seen.map((claimed) => claimed.uncertainSince)).toEqual([null, t0]);
  });

  it('hands the next attempt the progress an earlier one recorded', async () => {
    const queue = aQueue();
    queue.handleWith(async (claimed, context) => {
      if (claimed.attempts > 1) return done;
      await context.checkpoint({ phase: 'asked', approvalId: 'A-1' });
      return { kind: 'retry', reason: 'upstream', error: 'unavailable', retryAfterMs: 0, uncertain: false };
    });
    await queue.enqueue('a');

    await queue.runner.drain();

    expect(queue.seen.map((claimed) => claimed.progress)).toEqual([
      null,
      { phase: 'asked', approvalId: 'A-1' },
    ]);
  });

  it('survives a handler throwing: that effect fails with the error, the others still run', async () => {
    const queue = aQueue();
    queue.handleWith(async (claimed) => {
      if (claimed.key === keyOf('a')) throw new TypeError('cannot read properties of undefined');
      return done;
    });
    await queue.enqueue('a', 'b');

    await queue.runner.drain();

    expect(await queue.store.outbox.find(keyOf('a'))).toMatchObject({
      state: 'failed',
      lastError: 'TypeError: cannot read properties of undefined',
    });
    expect(await queue.state('b')).toBe('done');
  });

  it('survives the store failing to hand out work, and runs it once the store answers', async () => {
    const queue = aQueue();
    await queue.enqueue('a', 'b');
    queue.outbox.failNext('claim', { times: 2 });

    await queue.runner.drain();

    expect([await queue.state('a'), await queue.state('b')]).toEqual(['done', 'done']);
    expect(queue.runner.health()).toMatchObject({ ok: true, problem: null });
  });

  it('survives the store failing to record a result: the effect runs again once its lease is out, as uncertain', async () => {
    const queue = aQueue({ leaseMs: 10_000 });
    await queue.enqueue('a');
    queue.outbox.failNext('finish');

    await queue.runner.drain();

    expect(await queue.state('a')).toBe('pending');
    expect(queue.seen).toHaveLength(1);

    queue.clock.advance(10_001);
    await queue.runner.drain();

    expect(await queue.state('a')).toBe('done');
    expect(queue.seen.map((claimed) => claimed.uncertainSince)).toEqual([null, t0]);
  });

  it('runs no more effects at once than its concurrency', async () => {
    const queue = aQueue({ concurrency: 2 });
    const work = gate();
    queue.handleWith(async () => {
      await work.wait();
      return done;
    });
    await queue.enqueue('a', 'b', 'c');
    queue.runner.kick();
    await until(() => queue.seen.length === 2);

    const heldBack = await queue.state('c');
    work.release();
    await queue.runner.drain();

    expect(heldBack).toBe('pending');
    expect(queue.mostAtOnce()).toBe(2);
    expect(queue.seen).toHaveLength(3);
  });

  it('runs one effect key at a time, even when its lease ran out while it was running', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const queue = aQueue({ leaseMs: 3_000 });
    const first = gate();
    queue.handleWith(async (claimed) => {
      if (claimed.attempts === 1) await first.wait();
      return done;
    });
    await queue.enqueue('a');
    queue.runner.kick();
    await first.started;
    queue.clock.advance(3_001);

    queue.runner.kick();
    await until(async () => (await queue.store.outbox.find(keyOf('a')))?.attempts === 2);
    await nextTurn();

    expect(queue.seen).toHaveLength(1);
    first.release();
    await until(async () => queue.seen.length === 2 && (await queue.state('a')) === 'done');
    expect(queue.mostAtOnce()).toBe(1);
    expect(queue.seen[1]?.uncertainSince).toEqual(t0);
  });
});

describe('the queue runner waking and renewing', () => {
  it('wakes by itself a second after the store failed, and runs the work', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const queue = aQueue();
    await queue.enqueue('a');
    queue.outbox.failNext('claim');
    queue.runner.kick();
    await until(() => queue.outbox.count('claim') === 1);
    await nextTurn();

    await vi.advanceTimersByTimeAsync(1_000);

    await until(async () => (await queue.state('a')) === 'done');
    expect(queue.outbox.count('claim')).toBeGreaterThanOrEqual(2);
  });

  it('wakes by itself when a retry falls due, without being kicked', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const queue = aQueue();
    queue.handleWith(async (claimed) =>
      claimed.attempts === 1
        ? {
            kind: 'retry',
            reason: 'rate-limited',
            error: 'ratelimited',
            retryAfterMs: 2_000,
            uncertain: false,
          }
        : done,
    );
    await queue.enqueue('a');
    queue.runner.kick();
    await until(() => queue.outbox.count('retry') === 1);
    await nextTurn();

    queue.clock.advance(2_000);
    await vi.advanceTimersByTimeAsync(2_000);

    await until(async () => (await queue.state('a')) === 'done');
    expect(queue.seen).toHaveLength(2);
  });

  it('renews the lease of the work in hand, so no other replica takes it over', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const queue = aQueue({ leaseMs: 3_000 });
    const work = gate();
    queue.handleWith(async () => {
      await work.wait();
      return done;
    });
    await queue.enqueue('a');
    queue.runner.kick();
    await work.started;

    queue.clock.advance(2_500);
    await vi.advanceTimersByTimeAsync(1_000);
    await until(() => queue.outbox.count('renew') >= 1);
    await nextTurn();
    queue.clock.advance(1_500);
    const takenOver = await queue.store.outbox.claim({
      owner: 'replica-2',
      now: queue.clock.now(),
      leaseMs: 3_000,
      limit: 10,
    });

    expect(takenOver).toEqual([]);
    work.release();
    await until(async () => (await queue.state('a')) === 'done');
  });

  it('reports the store as failing once it has failed for over five seconds, and healthy again after', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const queue = aQueue();
    await queue.enqueue('a');
    queue.outbox.failNext('claim', { times: 1_000 });
    queue.runner.kick();
    await until(() => queue.outbox.count('claim') === 1);
    const early = queue.runner.health();

    await vi.advanceTimersByTimeAsync(6_000);
    const failing = queue.runner.health();
    queue.outbox.recover();
    await vi.advanceTimersByTimeAsync(1_000);
    await until(async () => (await queue.state('a')) === 'done');

    expect(early.ok).toBe(true);
    expect(failing).toMatchObject({ ok: false, problem: 'claiming effects: SQLITE_IOERR: disk I/O error' });
    expect(queue.runner.health()).toMatchObject({ ok: true, problem: null });
  });
});

describe('runNow', () => {
  it('runs that one effect here and now and returns what it came to', async () => {
    const queue = aQueue();
    queue.handleWith(async (claimed) =>
      claimed.key === keyOf('b') ? { kind: 'dropped', reason: 'approval not tracked' } : done,
    );
    await queue.enqueue('a', 'b');

    const result = await queue.runner.runNow(keyOf('b'));

    expect(result).toEqual({ kind: 'dropped', reason: 'approval not tracked' });
    expect(queue.seen[0]?.key).toBe(keyOf('b'));
    expect(await queue.state('b')).toBe('dropped');
  });

  it.each<{
    when: string;
    enqueued: boolean;
    arrange: (queue: ReturnType<typeof aQueue>) => Promise<unknown>;
  }>([
    { when: 'nothing is queued under the key', enqueued: false, arrange: async () => {} },
    {
      when: 'another replica holds it',
      enqueued: true,
      arrange: (queue) =>
        queue.store.outbox.claim({ owner: 'replica-2', now: queue.clock.now(), leaseMs: 15_000, limit: 1 }),
    },
    {
      when: 'it is not due yet',
      enqueued: true,
      arrange: async (queue) => {
        const [claimed] = await queue.store.outbox.claim({
          owner: 'x',
          now: queue.clock.now(),
          leaseMs: 1,
          limit: 1,
        });
        if (claimed === undefined) throw new Error('nothing to claim');
        await queue.store.outbox.retry(claimed, 'x', {
          error: 'later',
          nextAttemptAt: new Date(t0.getTime() + 60_000),
          uncertain: false,
        });
      },
    },
  ])('runs nothing and answers undefined when $when', async ({ enqueued, arrange }) => {
    const queue = aQueue();
    if (enqueued) await queue.enqueue('a');
    await arrange(queue);

    expect(await queue.runner.runNow(keyOf('a'))).toBeUndefined();
    expect(queue.seen).toEqual([]);
  });

  it('throws when the store cannot hand the effect out', async () => {
    const queue = aQueue();
    await queue.enqueue('a');
    queue.outbox.failNext('claim');

    await expect(queue.runner.runNow(keyOf('a'))).rejects.toThrow('disk I/O error');
  });
});

describe('stop', () => {
  it('waits for the work in hand, then takes nothing more', async () => {
    const queue = aQueue();
    const work = gate();
    queue.handleWith(async () => {
      await work.wait();
      return done;
    });
    await queue.enqueue('a');
    queue.runner.kick();
    await work.started;
    let stopped = false;

    const stopping = queue.runner.stop().then(() => {
      stopped = true;
    });
    await nextTurn();
    const stoppedEarly = stopped;
    await queue.enqueue('b');
    work.release();
    await stopping;
    queue.runner.kick();
    await nextTurn();

    expect(stoppedEarly).toBe(false);
    expect(await queue.state('a')).toBe('done');
    expect(await queue.state('b')).toBe('pending');
    expect(queue.seen).toHaveLength(1);
  });
});
