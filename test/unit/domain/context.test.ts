import { describe, expect, it } from 'vitest';
import { contextRetryAt } from '../../../src/domain/context.js';
import { at, t0 } from '../../helpers/builders.js';

const minute = 60_000;

describe('contextRetryAt', () => {
  it('waits a minute at first, then half the time since tracking, an hour at most', () => {
    expect(contextRetryAt(t0, t0)).toEqual(at(minute));
    expect(contextRetryAt(t0, at(minute))).toEqual(at(2 * minute));
    expect(contextRetryAt(t0, at(10 * minute))).toEqual(at(15 * minute));
    expect(contextRetryAt(t0, at(600 * minute))).toEqual(at(660 * minute));
  });

  it('tries a few dozen times in the first day (hourly once it has waited two), not once a tick', () => {
    let now = t0;
    let tries = 0;
    while (now.getTime() < at(24 * 60 * minute).getTime()) {
      now = contextRetryAt(t0, now);
      tries++;
    }
    expect(tries).toBeGreaterThan(20);
    expect(tries).toBeLessThan(40);
  });
});
