import { backoffDelay } from '../backoff.js';
import type { RetryReason } from '../use-cases/effect-result.js';

/**
 * The one retry policy for every effect. Slack and OpenTrain outages heal in seconds to minutes; a channel
 * the bot is not in heals when someone invites it, so it is retried on a slow, steady beat; a deleted card is
 * re-posted at once; a Retry-After is always honoured.
 */
export function retryDelay(
  reason: RetryReason,
  attempts: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const attempt = Math.max(0, attempts - 1);
  switch (reason) {
    case 'rate-limited':
      return retryAfterMs ?? backoffDelay(attempt, { baseMs: 2_000, maxMs: 60_000 }, random);
    case 'unavailable':
    case 'expired-url':
    case 'upstream':
      return retryAfterMs ?? backoffDelay(attempt, { baseMs: 1_000, maxMs: 5 * 60_000 }, random);
    case 'not-in-channel':
    case 'channel-not-found':
      return backoffDelay(attempt, { baseMs: 30_000, maxMs: 5 * 60_000 }, random);
    case 'message-not-found':
      return 0;
    case 'rejected':
      return backoffDelay(attempt, { baseMs: 60_000, maxMs: 30 * 60_000 }, random);
    case 'waiting':
      return backoffDelay(attempt, { baseMs: 2_000, maxMs: 10 * 60_000 }, random);
  }
}
