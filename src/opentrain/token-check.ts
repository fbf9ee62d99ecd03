import type { CallOptions, OpenTrainClient } from './client.js';
import { OpenTrainError, type OpenTrainFailure } from './errors.js';

/** What Countersign's token must carry: `payments:write` (funding), which implies `payments:read` (following). */
export const requiredScope = 'payments:write';

/**
 * What GET /auth/me says about the configured token, named for what a person must do:
 * - `ok`: nothing; the scopes are listed for the start-up log.
 * - `missing-payments-write`: mint a token with payments:read and payments:write (the token works, but
 *   every funding request would be refused); `scopes` is what it has now.
 * - `unauthorized`: OpenTrain does not accept the token at all (401, or 404 when its user is gone): replace it.
 * - `unreachable`: OpenTrain is down, slow or rate limiting; check again later, nothing is known yet.
 * - `unexpected`: OpenTrain answered in a way the docs do not describe; the token could not be checked.
 */
export type TokenVerdict =
  | { readonly kind: 'ok'; readonly scopes: readonly string[]; readonly tokenLabel: string | null }
  | { readonly kind: 'missing-payments-write'; readonly scopes: readonly string[] }
  | {
      readonly kind: 'unauthorized';
      readonly status: number | undefined;
      readonly requestId: string | undefined;
    }
  | {
      readonly kind: 'unreachable';
      readonly failure: OpenTrainFailure;
      readonly retryAfterMs: number | undefined;
    }
  | { readonly kind: 'unexpected'; readonly failure: OpenTrainFailure; readonly message: string };

const unreachableFailures = new Set<OpenTrainFailure>(['network', 'timeout', 'unavailable', 'rate-limited']);

/**
 * Asks OpenTrain who the token is (GET /auth/me) and whether it may fund milestones. Never throws for an
 * OpenTrain failure: each one is a verdict. One try by default, so a start-up check never waits out retries.
 */
export async function checkOpenTrainToken(
  client: Pick<OpenTrainClient, 'me'>,
  options: CallOptions = { retry: { attempts: 1 } },
): Promise<TokenVerdict> {
  try {
    const me = await client.me(options);
    if (!me.scopes.includes(requiredScope)) return { kind: 'missing-payments-write', scopes: me.scopes };
    return { kind: 'ok', scopes: me.scopes, tokenLabel: me.tokenLabel };
  } catch (error) {
    if (!(error instanceof OpenTrainError)) throw error;
    if (error.failure === 'unauthorized' || error.failure === 'not-found') {
      return { kind: 'unauthorized', status: error.status, requestId: error.requestId };
    }
    if (unreachableFailures.has(error.failure)) {
      return { kind: 'unreachable', failure: error.failure, retryAfterMs: error.retryAfterMs };
    }
    return { kind: 'unexpected', failure: error.failure, message: error.message };
  }
}
