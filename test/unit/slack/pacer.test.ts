import { describe, expect, it } from 'vitest';
import { type Admission, createPacer, paceKey } from '../../../src/slack/pacer.js';

function world() {
  let nowMs = 1_000_000;
  const pacer = createPacer({ now: () => nowMs, calmMs: 10_000 });
  return {
    pacer,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

function go(admission: Admission) {
  if (admission.kind !== 'go') throw new Error(`expected go, got held for ${admission.waitMs} ms`);
  return admission;
}

describe('pacer', () => {
  it('sends one call of a method at a time, the next once the one before is answered', async () => {
    const { pacer } = world();
    const first = go(await pacer.admit('chat.update'));
    const order: string[] = [];
    const second = pacer.admit('chat.update').then((admission) => {
      order.push('second');
      return admission;
    });
    // Other methods, and posts to other channels, go side by side.
    go(await pacer.admit('views.publish'));
    go(await pacer.admit(paceKey('chat.postMessage', 'C1')));
    go(await pacer.admit(paceKey('chat.postMessage', 'C2')));
    await Promise.resolve();
    expect(order).toEqual([]);
    first.done();
    go(await second).done();
    expect(order).toEqual(['second']);
  });

  it('refuses every call of the method, unsent, until Retry-After has passed', async () => {
    const { pacer, advance } = world();
    go(await pacer.admit('chat.update')).done({ retryAfterMs: 2_000 });
    expect(await pacer.admit('chat.update')).toEqual({ kind: 'held', waitMs: 2_000 });
    expect(await pacer.admit('chat.update', { background: true })).toEqual({ kind: 'held', waitMs: 2_000 });
    advance(1_500);
    expect(await pacer.admit('chat.update')).toEqual({ kind: 'held', waitMs: 500 });
    // Other methods are limited on their own.
    expect((await pacer.admit('views.publish')).kind).toBe('go');
    advance(500);
    expect((await pacer.admit('chat.update')).kind).toBe('go');
  });

  it('refuses the calls waiting in line when the one ahead of them is answered 429', async () => {
    const { pacer, advance } = world();
    go(await pacer.admit('chat.update')).done({ retryAfterMs: 1_000 });
    advance(1_000);
    const first = go(await pacer.admit('chat.update'));
    const waiting = [pacer.admit('chat.update'), pacer.admit('chat.update')];
    first.done({ retryAfterMs: 3_000 });
    first.done(); // answering twice changes nothing
    expect(await Promise.all(waiting)).toEqual([
      { kind: 'held', waitMs: 3_000 },
      { kind: 'held', waitMs: 3_000 },
    ]);
  });

  it('refuses background calls until a minute after the last 429, and sends them once calm', async () => {
    const { pacer, advance } = world();
    go(await pacer.admit('chat.update')).done({ retryAfterMs: 1_000 });
    advance(1_000);
    expect(await pacer.admit('chat.update', { background: true })).toEqual({ kind: 'held', waitMs: 10_000 });
    go(await pacer.admit('chat.update')).done();
    advance(10_000);
    expect((await pacer.admit('chat.update', { background: true })).kind).toBe('go');
  });

  it('never has two calls of a method in flight, however answers and new calls interleave', async () => {
    const { pacer } = world();
    let inFlight = 0;
    let most = 0;
    const one = async () => {
      const admission = go(await pacer.admit('chat.update'));
      inFlight++;
      most = Math.max(most, inFlight);
      await Promise.resolve();
      inFlight--;
      admission.done();
    };
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? Promise.resolve().then(one) : one())),
    );
    expect(most).toBe(1);
  });

  it('spaces posts to a channel answered 429 a second apart until calm, and no other method', async () => {
    const { pacer, advance } = world();
    const c1 = paceKey('chat.postMessage', 'C1');
    go(await pacer.admit(c1)).done();
    go(await pacer.admit(c1)).done();
    go(await pacer.admit(c1)).done({ retryAfterMs: 1_000 });
    advance(1_000);
    go(await pacer.admit(c1)).done();
    advance(300);
    expect(await pacer.admit(c1)).toEqual({ kind: 'held', waitMs: 700 });
    expect((await pacer.admit(paceKey('chat.postMessage', 'C2'))).kind).toBe('go');
    go(await pacer.admit('chat.update')).done({ retryAfterMs: 1_000 });
    advance(1_000);
    go(await pacer.admit('chat.update')).done();
    expect((await pacer.admit('chat.update')).kind).toBe('go');
    advance(700);
    go(await pacer.admit(c1)).done();
    advance(10_000);
    go(await pacer.admit(c1)).done();
    expect((await pacer.admit(c1)).kind).toBe('go');
  });

  it('limits chat.postMessage per channel and every other method per workspace', () => {
    expect(paceKey('chat.postMessage', 'C1')).not.toBe(paceKey('chat.postMessage', 'C2'));
    expect(paceKey('chat.update', 'C1')).toBe(paceKey('chat.update', 'C2'));
  });
});
