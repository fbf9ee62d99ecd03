import { z } from 'zod';

/**
 * One method's allowance, as a token bucket: `burst` calls may go at once (default `limit`), after which calls are
 * admitted at `limit` per `windowMs`. A call over the allowance is answered HTTP 429 with `Retry-After`: the whole
 * seconds until the bucket admits one more call (at least 1), and it does not use up the allowance.
 * `per: 'workspace'` is Slack's tiers (per method, per workspace, per app); `per: 'channel'` keeps one bucket per
 * conversation, like chat.postMessage's "about one message per second per channel, short bursts tolerated".
 * Parsed with zod so a control surface can pass JSON.
 */
export const RateLimitSpec = z.object({
  method: z.string().min(1),
  limit: z.number().int().positive(),
  windowMs: z.number().int().positive(),
  burst: z.number().int().positive().optional(),
  per: z.enum(['workspace', 'channel']).default('workspace'),
});
export type RateLimitSpecInput = z.input<typeof RateLimitSpec>;
export type RateLimit = z.output<typeof RateLimitSpec>;

const perMinute = (method: string, limit: number): RateLimitSpecInput => ({
  method,
  limit,
  windowMs: 60_000,
});

/**
 * Slack's published allowances for the methods Countersign calls (tiers from Slack's method pages and the Java
 * SDK's MethodsRateLimits): Tier 2 is 20, Tier 3 50 and Tier 4 100 per minute; chat.postMessage is about one
 * per second per channel with a short burst. Slack says "+" after each figure; these are the floors.
 */
export const slackRateLimits: readonly RateLimitSpecInput[] = [
  { method: 'chat.postMessage', limit: 1, windowMs: 1_000, burst: 3, per: 'channel' },
  perMinute('chat.update', 50),
  perMinute('chat.delete', 50),
  perMinute('chat.postEphemeral', 100),
  perMinute('conversations.history', 50),
  perMinute('conversations.replies', 50),
  perMinute('conversations.open', 50),
  perMinute('conversations.info', 50),
  perMinute('conversations.members', 100),
  perMinute('users.info', 100),
  perMinute('usergroups.users.list', 20),
  perMinute('views.publish', 100),
];

export interface RateLimitCounters {
  /** HTTP 429 answers for this method, from a limit or from an injected fault. */
  rateLimited: number;
  /** Calls that arrived while a Retry-After the fake had sent for this method (and channel) was still running. */
  sentInsideRetryAfter: number;
}

export interface RateLimits {
  set(specs: readonly RateLimitSpecInput[]): void;
  clear(): void;
  configured(): RateLimit[];
  /** Call on every arrival, before anything is answered: counts calls made inside an announced Retry-After. */
  noteArrival(method: string, channel: string | undefined): void;
  /**
   * Takes one call from the method's allowance. When none is left it answers the Retry-After seconds for the 429
   * and records that 429 and its window (per channel for a per-channel limit).
   */
  take(method: string, channel: string | undefined): number | undefined;
  /** Records a 429 sent for the whole method (an injected fault) and the Retry-After it announced. */
  announce(method: string, retryAfterSec: number): void;
  counters(): Record<string, RateLimitCounters>;
  /** Forgets limits, buckets, announced windows and counters. */
  reset(): void;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * `nowMs` must be real elapsed time (monotonic milliseconds), not the fake's business clock: Slack's limiter runs
 * on Slack's own clock and a client sleeps Retry-After in real time, while the sandbox's shiftable clock jumps
 * hours at a time. A "+71 h" must neither refill a bucket nor end a Retry-After window.
 */
export function createRateLimits(nowMs: () => number, onChange: () => void): RateLimits {
  let limits: RateLimit[] = [];
  const buckets = new Map<string, Bucket>();
  const windowsUntil = new Map<string, number>();
  const counts = new Map<string, RateLimitCounters>();

  const keyOf = (method: string, channel: string | undefined) =>
    channel === undefined ? method : `${method} ${channel}`;

  function counter(method: string): RateLimitCounters {
    const existing = counts.get(method);
    if (existing !== undefined) return existing;
    const created = { rateLimited: 0, sentInsideRetryAfter: 0 };
    counts.set(method, created);
    return created;
  }

  function take(method: string, channel: string | undefined): number | undefined {
    const limit = limits.find((candidate) => candidate.method === method);
    if (limit === undefined) return undefined;
    const key = keyOf(method, limit.per === 'channel' ? (channel ?? '') : undefined);
    const capacity = limit.burst ?? limit.limit;
    const now = nowMs();
    const bucket = buckets.get(key) ?? { tokens: capacity, updatedAt: now };
    bucket.tokens = Math.min(
      capacity,
      bucket.tokens + ((now - bucket.updatedAt) * limit.limit) / limit.windowMs,
    );
    bucket.updatedAt = now;
    buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    const waitMs = ((1 - bucket.tokens) * limit.windowMs) / limit.limit;
    const retryAfterSec = Math.max(1, Math.ceil(waitMs / 1000));
    announce(method, key, retryAfterSec);
    return retryAfterSec;
  }

  function announce(method: string, key: string, retryAfterSec: number): void {
    counter(method).rateLimited += 1;
    windowsUntil.set(key, Math.max(windowsUntil.get(key) ?? -Infinity, nowMs() + retryAfterSec * 1000));
  }

  return {
    set(specs) {
      limits = specs.map((spec) => RateLimitSpec.parse(spec));
      buckets.clear();
      onChange();
    },
    clear() {
      limits = [];
      buckets.clear();
      onChange();
    },
    configured: () => limits.map((limit) => ({ ...limit })),
    noteArrival(method, channel) {
      const now = nowMs();
      const keys = channel === undefined ? [method] : [method, keyOf(method, channel)];
      if (keys.some((key) => (windowsUntil.get(key) ?? -Infinity) > now))
        counter(method).sentInsideRetryAfter += 1;
    },
    take,
    announce: (method, retryAfterSec) => announce(method, method, retryAfterSec),
    counters: () => Object.fromEntries([...counts].map(([method, value]) => [method, { ...value }])),
    reset() {
      limits = [];
      buckets.clear();
      windowsUntil.clear();
      counts.clear();
      onChange();
    },
  };
}
