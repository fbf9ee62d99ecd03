import { describe, expect, it } from 'vitest';
import { retryDelay } from '../../../src/delivery/retry-policy.js';
import type { RetryReason } from '../../../src/use-cases/effect-result.js';

const second = 1_000;
const minute = 60 * second;

// Half of each delay is fixed and half random: the jitter at 0 gives the shortest wait, at 1 the longest.
const shortest = () => 0;
const longest = () => 1;

describe('retryDelay', () => {
  it.each<{ reason: RetryReason; attempts: number; retryAfterMs?: number; from: number; to: number }>([
    { reason: 'rate-limited', attempts: 1, from: 1 * second, to: 2 * second },
    { reason: 'rate-limited', attempts: 3, from: 4 * second, to: 8 * second },
    { reason: 'rate-limited', attempts: 20, from: 30 * second, to: minute },
    { reason: 'unavailable', attempts: 1, from: 500, to: second },
    { reason: 'unavailable', attempts: 20, from: 2.5 * minute, to: 5 * minute },
    { reason: 'expired-url', attempts: 2, from: second, to: 2 * second },
    { reason: 'upstream', attempts: 1, from: 500, to: second },
    { reason: 'not-in-channel', attempts: 1, from: 15 * second, to: 30 * second },
    { reason: 'not-in-channel', attempts: 20, from: 2.5 * minute, to: 5 * minute },
    { reason: 'channel-not-found', attempts: 2, from: 30 * second, to: minute },
    { reason: 'rejected', attempts: 1, from: 30 * second, to: minute },
    { reason: 'rejected', attempts: 20, from: 15 * minute, to: 30 * minute },
    { reason: 'waiting', attempts: 1, from: second, to: 2 * second },
    { reason: 'waiting', attempts: 20, from: 5 * minute, to: 10 * minute },
  ])('waits $from to $to ms after attempt $attempts failed as $reason', ({ reason, attempts, from, to }) => {
    expect(retryDelay(reason, attempts, undefined, shortest)).toBe(from);
    expect(retryDelay(reason, attempts, undefined, longest)).toBe(to);
  });

  it.each<RetryReason>(['rate-limited', 'unavailable', 'expired-url', 'upstream'])(
    'honours a Retry-After exactly for %s',
    (reason) => {
      expect(retryDelay(reason, 7, 42 * second, longest)).toBe(42 * second);
      expect(retryDelay(reason, 1, 0, longest)).toBe(0);
    },
  );

  it.each<RetryReason>(['not-in-channel', 'channel-not-found', 'rejected', 'waiting'])(
    'keeps its own pace for %s whatever Retry-After says',
    (reason) => {
      expect(retryDelay(reason, 1, 10, shortest)).toBe(retryDelay(reason, 1, undefined, shortest));
    },
  );

  it('posts a deleted card again at once', () => {
    expect(retryDelay('message-not-found', 5, undefined, longest)).toBe(0);
  });

  it('treats a first attempt that reports no attempts at all like the first', () => {
    expect(retryDelay('unavailable', 0, undefined, longest)).toBe(
      retryDelay('unavailable', 1, undefined, longest),
    );
  });
});
