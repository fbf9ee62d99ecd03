import type { Refusal } from '../domain/funding.js';
import type { OpenTrainError } from './errors.js';

/** Slack rejects a block over its limits, and the requester would hear nothing: every field is capped. */
function capped(value: string | undefined, max: number): string | null {
  if (value === undefined || value === '') return null;
  // Control characters (newlines included) would break the sentence they are put in.
  const flat = [...value].map((char) => (char < ' ' || char === '\u007f' ? ' ' : char)).join('');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function trustedLink(value: string | undefined, origin: string): string | null {
  if (value === undefined || value.length > 2_000) return null;
  try {
    // The origin carries the scheme: plain http only ever matches a loopback base (the config allows no other).
    const url = new URL(value);
    return url.origin === origin ? url.toString() : null;
  } catch {
    return null;
  }
}

/** What OpenTrain's refusal means for a person, reduced to capped facts safe to store and render. */
export function refusalOf(error: OpenTrainError, trustedOrigin: string): Refusal {
  const scopes = error
    .detailList('requiredScopes')
    .slice(0, 10)
    .map((scope) => capped(scope, 60))
    .filter((scope): scope is string => scope !== null);
  return {
    failure: error.failure,
    status: error.status ?? null,
    requestId: capped(error.requestId, 64),
    message: capped(error.message, 300) ?? '',
    reason: capped(error.detail('reason'), 60),
    retryAfterMs: error.retryAfterMs ?? null,
    milestoneStatus: capped(error.detail('status'), 40),
    contractId: capped(error.detail('contractId'), 64),
    requiredScopes: scopes,
    featureKey: capped(error.detail('featureKey'), 80),
    featureUnconfirmed: error.featureUnconfirmed,
    billingUrl: trustedLink(error.detail('billingUrl'), trustedOrigin),
    claimUrl: trustedLink(error.detail('claimUrl'), trustedOrigin),
  };
}
