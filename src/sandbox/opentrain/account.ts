import type { AccountPatch, AccountSettings } from './types.js';

/**
 * A claimed account with a human-minted token that can do everything the bot needs. Auto-issued tokens never
 * carry payments:write or webhooks:manage (Gap 10), so this stands for the token a human made in Settings.
 */
export function defaultAccount(): AccountSettings {
  return {
    claimed: true,
    scopes: ['payments:read', 'payments:write', 'webhooks:manage'],
    features: { paymentsWrite: true, webhooks: true, hiring: true, jobDrafting: true },
    paymentMethod: true,
    milestoneActionsRequireClaim: true,
  };
}

/** Shallow merge, except `features`, which merges one level deeper so a patch can flip a single flag. */
export function mergeAccount(base: AccountSettings, patch: AccountPatch = {}): AccountSettings {
  const merged: AccountSettings = { ...base, features: { ...base.features }, scopes: [...base.scopes] };
  if (patch.claimed !== undefined) merged.claimed = patch.claimed;
  if (patch.scopes !== undefined) merged.scopes = [...patch.scopes];
  if (patch.paymentMethod !== undefined) merged.paymentMethod = patch.paymentMethod;
  if (patch.milestoneActionsRequireClaim !== undefined) {
    merged.milestoneActionsRequireClaim = patch.milestoneActionsRequireClaim;
  }
  for (const key of ['paymentsWrite', 'webhooks', 'hiring', 'jobDrafting'] as const) {
    const value = patch.features?.[key];
    if (value !== undefined) merged.features[key] = value;
  }
  return merged;
}
