import type { FundOutcome } from '../domain/funding.js';
import type { SlackFailureInfo } from '../ports/slack.js';

/** Why an effect is tried again: how soon depends on it (delivery/retry-policy.ts). */
export type RetryReason =
  | 'rate-limited'
  | 'unavailable'
  | 'not-in-channel'
  | 'channel-not-found'
  | 'message-not-found'
  | 'expired-url'
  | 'rejected'
  /** OpenTrain is down or slow. */
  | 'upstream'
  /** Something this effect waits for has not happened yet (a thread reply waits for its card). */
  | 'waiting';

/** What carrying out an effect came to; the queue runner records it. */
export type EffectResult =
  /** `result`: what a funding request came to, kept with it so a repeat of the request is answered alike. */
  | { readonly kind: 'done'; readonly result?: FundOutcome }
  | { readonly kind: 'dropped'; readonly reason: string }
  | {
      readonly kind: 'retry';
      readonly reason: RetryReason;
      readonly error: string;
      readonly retryAfterMs?: number;
      /** The failed attempt may have landed all the same: look before sending again. */
      readonly uncertain: boolean;
    }
  | { readonly kind: 'failed'; readonly error: string };

export const done: EffectResult = { kind: 'done' };

/** A Slack failure: retried when it may heal by itself, failed for good otherwise (unless `always`). */
export function slackRetry(info: SlackFailureInfo, options: { always?: boolean } = {}): EffectResult {
  const heals = info.failure === 'rate-limited' || info.failure === 'unavailable';
  if (!heals && options.always !== true) return { kind: 'failed', error: info.code };
  return {
    kind: 'retry',
    reason: info.failure,
    error: info.code,
    ...(info.retryAfterMs === undefined ? {} : { retryAfterMs: info.retryAfterMs }),
    uncertain: info.uncertain,
  };
}
