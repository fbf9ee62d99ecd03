import { ApiError, missingScopes } from './errors.js';
import type { SimState } from './state.js';
import type { AccountFeatures } from './types.js';

// The three independent gates (scope, feature flag, claim), checked in that order after the token.

const claimUrl = 'https://app.opentrain.ai/claim';

const featureKeys: Record<keyof AccountFeatures, string> = {
  paymentsWrite: 'public_api_payments_write',
  webhooks: 'public_api_webhooks',
  hiring: 'public_api_hiring',
};

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
 * The feature-disabled 403's details are undocumented (Gap 14), so the simulator sends none: a client has to
 * do what the docs advise and ask GET /job-drafts/capabilities, rather than lean on a shape we made up.
 */
export function requireFeature(state: SimState, feature: keyof AccountFeatures): void {
  if (state.account.features[feature]) return;
  throw new ApiError(403, `The ${featureKeys[feature]} feature is not enabled for this account.`);
}

/** `action` completes "A human must claim this agent account before it can <action>." */
export function requireClaim(state: SimState, action: string): void {
  if (state.account.claimed) return;
  throw new ApiError(403, `A human must claim this agent account before it can ${action}.`, {
    reason: 'account_claim_required',
    action,
    claimUrl,
  });
}

/** Scope, flag and claim for fund / approve / end contract. */
export function requirePaymentsWrite(state: SimState, action: string): void {
  requireScopes(state, 'payments:write');
  requireFeature(state, 'paymentsWrite');
  if (state.account.milestoneActionsRequireClaim) requireClaim(state, action);
}
