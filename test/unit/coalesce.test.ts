import { describe, expect, it } from 'vitest';
import { coalesce } from '../../src/coalesce.js';

function deferred() {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('coalesce', () => {
  it('never overlaps runs and folds a burst of calls into one follow-up run', async () => {
    const gates = [deferred(), deferred()];
    let runs = 0;
    let active = 0;
    let maxActive = 0;
    const run = coalesce(async () => {
      const gate = gates[runs++];
      active++;
      maxActive = Math.max(maxActive, active);
      await gate?.promise;
      active--;
    });

    const first = run();
    const burst = [run(), run(), run()];
    gates[0]?.resolve();
    await first;
    gates[1]?.resolve();
    await Promise.all(burst);

    expect(runs).toBe(2);
    expect(maxActive).toBe(1);
  });

  it('runs again after a failed run', async () => {
    let runs = 0;
    const run = coalesce(async () => {
      runs++;
      if (runs === 1) throw new Error('boom');
    });

    await expect(run()).rejects.toThrow('boom');
    await run();

    expect(runs).toBe(2);
  });
});
