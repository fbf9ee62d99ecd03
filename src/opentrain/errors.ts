import { isTransientFailure, type UpstreamFailure } from '../domain/funding.js';
import type { ErrorEnvelope } from './schema.js';

/**
 * Every way an OpenTrain call can fail, named for what a person has to do about it (the domain's list).
 *
 * `feature-disabled` carries the flag in `details.featureKey`. It is certain when OpenTrain's 403 named the
 * flag or its capabilities said it is off; when a bare 403 came back and the capabilities could not be read
 * (the probe answers 403 itself when job drafting is off), it is only likely: `featureUnconfirmed` says so.
 */
export type OpenTrainFailure = UpstreamFailure;

export class OpenTrainError extends Error {
  override readonly name = 'OpenTrainError';
  readonly failure: OpenTrainFailure;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  readonly details: Readonly<Record<string, unknown>>;
  /** From Retry-After on a 429 or 503, when OpenTrain sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    failure: OpenTrainFailure,
    message: string,
    extra: {
      status?: number;
      code?: string;
      requestId?: string;
      details?: Record<string, unknown>;
      retryAfterMs?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: extra.cause });
    this.failure = failure;
    this.status = extra.status;
    this.code = extra.code;
    this.requestId = extra.requestId;
    this.details = extra.details ?? {};
    this.retryAfterMs = extra.retryAfterMs;
  }

  /** Worth trying again later: OpenTrain was busy, down or unreachable, and nothing says the request was wrong. */
  get transient(): boolean {
    return isTransientFailure(this.failure);
  }

  detail(key: string): string | undefined {
    const value = this.details[key];
    return typeof value === 'string' ? value : undefined;
  }

  /** A link from `details` (claimUrl, billingUrl), only when it is https: it ends up as a link in Slack. */
  detailLink(key: string): string | undefined {
    const value = this.detail(key);
    return value !== undefined && /^https:\/\/[^\s<>|]+$/.test(value) ? value : undefined;
  }

  /**
   * A feature-disabled failure that OpenTrain did not confirm: the write got a bare 403 and the capabilities
   * probe could not be read, so "API payments may be off" is the best explanation, not a certainty.
   */
  get featureUnconfirmed(): boolean {
    return this.failure === 'feature-disabled' && this.details.featureConfirmed === false;
  }

  detailList(key: string): string[] {
    const value = this.details[key];
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  }
}

const reasonFailures: Record<string, OpenTrainFailure> = {
  account_claim_required: 'claim-required',
  milestone_not_fundable: 'not-fundable',
  payment_method_required: 'payment-method-required',
  milestone_cancelled: 'milestone-cancelled',
  contract_ended: 'contract-ended',
};

/** Maps a non-2xx answer to its failure. `envelope` is undefined when the body was not the documented envelope. */
export function errorFromResponse(
  status: number,
  envelope: ErrorEnvelope | undefined,
  retryAfterMs: number | undefined,
): OpenTrainError {
  const details = envelope?.details ?? {};
  const reason = typeof details.reason === 'string' ? details.reason : undefined;
  const extra = {
    status,
    code: envelope?.code,
    requestId: envelope?.requestId,
    details,
    retryAfterMs,
  };
  const message = envelope?.error ?? `OpenTrain answered HTTP ${status}`;
  // An own key only: a reason such as "constructor" must not find Object's.
  const byReason =
    reason !== undefined && Object.hasOwn(reasonFailures, reason) ? reasonFailures[reason] : undefined;
  if (byReason !== undefined) return new OpenTrainError(byReason, message, extra);
  if (status === 401) return new OpenTrainError('unauthorized', message, extra);
  if (status === 403) {
    if (Array.isArray(details.requiredScopes)) return new OpenTrainError('missing-scope', message, extra);
    // A disabled feature's 403 names it in details.featureKey (with details.mode), and has no reason. A bare
    // 403 is checked against GET /job-drafts/capabilities by the client.
    if (typeof details.featureKey === 'string') return new OpenTrainError('feature-disabled', message, extra);
    return new OpenTrainError('forbidden', message, extra);
  }
  if (status === 404) return new OpenTrainError('not-found', message, extra);
  if (status === 409) return new OpenTrainError('conflict', message, extra);
  if (status === 429) return new OpenTrainError('rate-limited', message, extra);
  if (status >= 500) return new OpenTrainError('unavailable', message, extra);
  return new OpenTrainError('bad-request', message, extra);
}

/** Retry-After is seconds or an HTTP date; anything else is ignored. */
export function parseRetryAfter(value: string | string[] | undefined, now: Date): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Math.round(Number(text) * 1_000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}
