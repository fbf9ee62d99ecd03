import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import type { SlackFailure } from '../ports/slack.js';

export class SlackCallError extends Error {
  override readonly name = 'SlackCallError';
  readonly failure: SlackFailure;
  /** Slack's own error code (`not_in_channel`) or the HTTP status. */
  readonly code: string;
  readonly retryAfterMs: number | undefined;
  /** False when the call never left this process (a held method), so it cannot have landed. */
  readonly sent: boolean;

  constructor(
    failure: SlackFailure,
    code: string,
    options: { retryAfterMs?: number; cause?: unknown; sent?: boolean } = {},
  ) {
    super(`Slack call failed: ${code}`, { cause: options.cause });
    this.failure = failure;
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
    this.sent = options.sent ?? true;
  }

  get transient(): boolean {
    return this.failure === 'rate-limited' || this.failure === 'unavailable';
  }

  /**
   * The call may have landed all the same: Slack may commit a post and lose the answer (a timeout, a cut
   * connection, a 5xx). A definite answer (rate limited, not in channel, invalid) means it did not.
   */
  get uncertain(): boolean {
    return this.sent && this.failure === 'unavailable';
  }
}

const platformFailures: Record<string, SlackFailure> = {
  not_in_channel: 'not-in-channel',
  channel_not_found: 'channel-not-found',
  is_archived: 'channel-not-found',
  message_not_found: 'message-not-found',
  ratelimited: 'rate-limited',
  internal_error: 'unavailable',
  fatal_error: 'unavailable',
  service_unavailable: 'unavailable',
  request_timeout: 'unavailable',
};

export function toSlackCallError(error: unknown): SlackCallError {
  if (error instanceof SlackCallError) return error;
  if (error instanceof WebAPIRateLimitedError) {
    return new SlackCallError('rate-limited', 'ratelimited', {
      retryAfterMs: error.retryAfter * 1_000,
      cause: error,
    });
  }
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error;
    return new SlackCallError(platformFailures[code] ?? 'rejected', code, { cause: error });
  }
  if (error instanceof WebAPIHTTPError) {
    const failure = error.statusCode === 429 || error.statusCode >= 500 ? 'unavailable' : 'rejected';
    return new SlackCallError(failure, `http_${error.statusCode}`, { cause: error });
  }
  if (error instanceof WebAPIRequestError) {
    return new SlackCallError('unavailable', 'request_failed', { cause: error });
  }
  return new SlackCallError('unavailable', error instanceof Error ? error.name : 'unknown', { cause: error });
}
