import { ApiError, missingScopes } from './errors.js';
import type { SimState } from './state.js';
import type { AccountFeatures } from './types.js';

// The three independent gates (scope, feature flag, claim), checked in that order after the token.

/** The claim page, on the app's own origin like every link OpenTrain hands out. */
const claimPath = '/claim';

export const featureKeys: Record<keyof AccountFeatures, string> = {
  paymentsWrite: 'public_api_payments_write',
  webhooks: 'public_api_webhooks',
  hiring: 'public_api_hiring',
  jobDrafting: 'public_api_job_drafting',
};

/**
 * `details.mode` of a feature-disabled 403. The docs name the field but not its values; the capabilities probe
 * reports the rollout as ALL or ALLOWLIST, and an account a flag is off for is one its allowlist leaves out.
 */
export const disabledFeatureMode = 'ALLOWLIST';

/** `:write` implies the matching `:read`. */
export function hasScope(state: SimState, scope: string): boolean {
  const scopes = state.account.scopes;
  if (scopes.includes(scope)) return true;
  return scope.endsWith(':read') && scopes.includes(scope.replace(/:read$/, ':write'));
}

export function requireScopes(state: SimState, ...required: string[]): void {
  const missing = required.filter((scope) => !hasScope(state, scope));
  if (missing.length > 0) throw missingScopes(missing);
}

export function requireAnyScope(state: SimState, anyOf: string[]): void {
  if (anyOf.some((scope) => hasScope(state, scope))) return;
  throw missingScopes(anyOf, `This endpoint needs at least one of these scopes: ${anyOf.join(', ')}.`);
}

/**
 * A disabled feature answers 403 with `details.featureKey` and `details.mode`: the shape the docs give for the
 * one gate they document in full (the capabilities probe), used for every flag, with no `reason`.
 */
export function requireFeature(state: SimState, feature: keyof AccountFeatures): void {
  if (state.account.features[feature]) return;
  throw new ApiError(403, `The ${featureKeys[feature]} feature is not enabled for this account.`, {
    featureKey: featureKeys[feature],
    mode: disabledFeatureMode,
  });
}

/** `action` completes "A human must claim this agent account before it can <action>." */
export function requireClaim(state: SimState, action: string): void {
  if (state.account.claimed) return;
  throw new ApiError(403, `A human must claim this agent account before it can ${action}.`, {
    reason: 'account_claim_required',
    action,
    claimUrl: state.appUrl(claimPath),
  });
}

/** Scope, flag and claim for fund / approve / end contract. */
export function requirePaymentsWrite(state: SimState, action: string): void {
  requireScopes(state, 'payments:write');
  requireFeature(state, 'paymentsWrite');
  if (state.account.milestoneActionsRequireClaim) requireClaim(state, action);
}
