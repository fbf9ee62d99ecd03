import type { KnownBlock } from '@slack/types';
import type { Refusal } from '../../domain/funding.js';
import { code, contextLine, escapeText, link } from './format.js';

/** What the milestone's status means in words; OpenTrain documents only some of its values. */
const milestoneStates: Record<string, string> = {
  ACTIVE_FUNDED: 'is already funded',
  PAID: 'is already paid',
  PENDING_APPROVAL: 'is funded and waiting for your review of the work',
  DISPUTED: 'is in a dispute',
  CANCELLED: 'was cancelled',
  REFUNDED: 'was refunded',
};

/** OpenTrain's status in words; an own key only, so a status such as "constructor" is shown as it is. */
function stateWords(status: string): string | undefined {
  return Object.hasOwn(milestoneStates, status) ? milestoneStates[status] : undefined;
}

const outageWords = {
  'rate-limited': 'it is rate limiting us',
  unavailable: 'it answered with a server error',
  timeout: 'it did not answer in time',
  network: 'it could not be reached',
} as const;

function scopeFix(): string {
  return `An admin must mint a token with ${code('payments:read')} and ${code('payments:write')} in OpenTrain (Settings → API keys) and set ${code('OT_API_TOKEN')}.`;
}

/** One sentence per refusal, in plain words, saying what happened, that nothing was requested, and the fix. */
function sentenceFor(refusal: Refusal, milestoneId: string): string {
  const id = code(milestoneId);
  switch (refusal.failure) {
    case 'unauthorized':
      return `:lock: OpenTrain did not accept Countersign's API token, so nothing was requested. ${scopeFix()}`;
    case 'missing-scope': {
      const scopes = refusal.requiredScopes.length === 0 ? ['payments:write'] : refusal.requiredScopes;
      return `:lock: Countersign's OpenTrain token is missing the scope ${scopes.map(code).join(', ')}, so nothing was requested. ${scopeFix()}`;
    }
    case 'feature-disabled': {
      const feature = code(refusal.featureKey ?? 'public_api_payments_write');
      if (refusal.featureUnconfirmed) {
        return `:no_entry: OpenTrain refused to fund ${id} without saying why, and would not say which features the account has: payment requests through the API (feature ${feature}) may be switched off for this account. Nothing was requested. Ask OpenTrain support, or fund ${id} in the OpenTrain app.`;
      }
      return `:no_entry: Payment requests through the API are switched off for this OpenTrain account (feature ${feature}), so nothing was requested. Ask OpenTrain support to turn it on, or fund ${id} in the OpenTrain app.`;
    }
    case 'claim-required': {
      const claim = refusal.claimUrl === null ? '' : `: ${link(refusal.claimUrl, 'claim the account')}`;
      return `:lock: This OpenTrain account has not been claimed by a person yet, so it cannot fund milestones and nothing was requested. The account owner must claim it first${claim}.`;
    }
    case 'forbidden':
      return `:no_entry: OpenTrain would not let Countersign fund ${id} (${escapeText(refusal.message)}). Nothing was requested.`;
    case 'not-found':
      return `:mag: OpenTrain has no milestone ${id} on this account (or it belongs to another account), so nothing was requested. Check the id, or paste the milestone's link from OpenTrain.`;
    case 'not-fundable': {
      const status = refusal.milestoneStatus;
      const state =
        status === null ? 'is not waiting for funding' : (stateWords(status) ?? `is ${code(status)}`);
      return `:information_source: Milestone ${id} ${state}, so there is nothing to fund and nothing was requested.`;
    }
    case 'payment-method-required': {
      const where =
        refusal.billingUrl === null
          ? 'in OpenTrain billing settings'
          : `in ${link(refusal.billingUrl, 'billing settings')}`;
      return `:credit_card: OpenTrain needs a payment method on file before it can fund ${id}, so nothing was requested. An account owner can add a card ${where}, then run ${code(`/fund-milestone ${milestoneId}`)} again.`;
    }
    case 'milestone-cancelled':
      return `:no_entry: Milestone ${id} was cancelled, so it cannot be funded. Nothing was requested.`;
    case 'contract-ended': {
      const contract = refusal.contractId === null ? '' : ` ${code(refusal.contractId)}`;
      return `:no_entry: The contract${contract} for milestone ${id} has ended, so the milestone cannot be funded. Nothing was requested.`;
    }
    case 'conflict':
      return `:warning: OpenTrain could not fund ${id} right now (${escapeText(refusal.message)}). Nothing was requested.`;
    case 'bad-request':
      return `:warning: OpenTrain did not accept the request for ${id} (${escapeText(refusal.message)}). Nothing was requested.`;
    case 'rate-limited':
    case 'unavailable':
    case 'timeout':
    case 'network': {
      const wait =
        refusal.retryAfterMs === null
          ? 'in a minute'
          : `in ${Math.max(1, Math.ceil(refusal.retryAfterMs / 1_000))} s`;
      // A lost answer may hide a recorded request; asking again is safe because OpenTrain then returns it.
      return `:hourglass: OpenTrain is not answering right now (${outageWords[refusal.failure]}), so as far as Countersign can tell nothing was requested. Try ${code(`/fund-milestone ${milestoneId}`)} again ${wait}; asking again is safe: if OpenTrain did record it, you get that same approval and its card.`;
    }
    case 'bad-response':
      return `:warning: OpenTrain answered in a way Countersign does not understand, so nothing is being tracked for ${id}. Try again; if it keeps happening, tell whoever runs Countersign.`;
  }
}

/**
 * A refusal in words, plus OpenTrain's request id as a quiet reference line under it: support needs it,
 * the person reading does not.
 */
export function refusalText(
  refusal: Refusal,
  milestoneId: string,
): { sentence: string; reference: KnownBlock[] } {
  const sentence = sentenceFor(refusal, milestoneId);
  const reference =
    refusal.requestId === null ? [] : [contextLine(`OpenTrain request id ${code(refusal.requestId)}`)];
  return { sentence, reference };
}

/** A few words on why a funding request was refused, for `history`. */
export function refusalReason(failure: string, milestoneStatus?: string | null): string {
  switch (failure) {
    case 'not-fundable':
      return milestoneStatus ? (stateWords(milestoneStatus) ?? `status ${milestoneStatus}`) : 'not fundable';
    case 'payment-method-required':
      return 'no payment method on file';
    case 'claim-required':
      return 'account not claimed';
    case 'missing-scope':
      return 'token lacks payments:write';
    case 'feature-disabled':
      return 'API payments switched off';
    case 'unauthorized':
      return 'token not accepted';
    case 'not-found':
      return 'no such milestone';
    case 'milestone-cancelled':
      return 'milestone cancelled';
    case 'contract-ended':
      return 'contract ended';
    case 'rate-limited':
    case 'unavailable':
    case 'timeout':
    case 'network':
      return 'OpenTrain not answering';
    default:
      return failure.replace(/-/g, ' ');
  }
}
