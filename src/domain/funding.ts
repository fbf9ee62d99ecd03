import type { Requester, WorkspaceId } from './approval.js';

/**
 * Every way an OpenTrain call can fail, named for what a person has to do about it. The fund endpoint's 409
 * catalog and the three 403 gates each get their own name because each needs a different fix.
 */
export const upstreamFailures = [
  'unauthorized',
  'missing-scope',
  'feature-disabled',
  'claim-required',
  'forbidden',
  'not-found',
  'not-fundable',
  'payment-method-required',
  'milestone-cancelled',
  'contract-ended',
  'conflict',
  'bad-request',
  'rate-limited',
  'unavailable',
  'timeout',
  'network',
  'bad-response',
] as const;
export type UpstreamFailure = (typeof upstreamFailures)[number];

const transient = new Set<UpstreamFailure>(['rate-limited', 'unavailable', 'timeout', 'network']);

/** Worth trying again later: OpenTrain was busy, down or unreachable, and nothing says the request was wrong. */
export function isTransientFailure(failure: UpstreamFailure): boolean {
  return transient.has(failure);
}

/** The milestone moved on by itself (funded, cancelled, its contract ended): nothing for anyone to do. */
export function movedOn(failure: UpstreamFailure): boolean {
  return failure === 'not-fundable' || failure === 'milestone-cancelled' || failure === 'contract-ended';
}

/**
 * What OpenTrain said when it refused, reduced to the facts a reply needs and capped in length, so it can be
 * stored with the request and rendered into Slack later without ever overflowing a block.
 */
export interface Refusal {
  readonly failure: UpstreamFailure;
  readonly status: number | null;
  /** OpenTrain's request id, for support. */
  readonly requestId: string | null;
  /** OpenTrain's own wording, for the rare refusals we have no words of our own for. */
  readonly message: string;
  /** OpenTrain's `details.reason` (account_claim_required, milestone_not_fundable, …). */
  readonly reason: string | null;
  readonly retryAfterMs: number | null;
  /** The milestone's status, on a 409 milestone_not_fundable. */
  readonly milestoneStatus: string | null;
  readonly contractId: string | null;
  readonly requiredScopes: readonly string[];
  readonly featureKey: string | null;
  /** A feature-disabled refusal that OpenTrain could not confirm (its capabilities probe was refused too). */
  readonly featureUnconfirmed: boolean;
  /** Links into OpenTrain, only ever on OpenTrain's own origin. */
  readonly billingUrl: string | null;
  readonly claimUrl: string | null;
}

/** Where the card goes when no route and no FUND_CHANNEL names a channel. */
export interface FallbackChannel {
  readonly id: string;
  readonly via: 'invoking-channel' | 'requested-channel';
}

/** The person who asked in Slack, for private replies (a response_url stays usable for 30 minutes). */
export interface ReplyTarget {
  readonly userId: string;
  readonly responseUrl: string | null;
  readonly requestedAt: Date;
}

/** A request to fund a milestone, from a slash command, an upstream system or an autofund rule. */
export interface FundingRequest {
  readonly workspaceId: WorkspaceId;
  /** Who asked: a person in Slack, another system over the API, or an autofund rule (retried through outages). */
  readonly via: 'slack' | 'upstream' | 'autofund';
  readonly milestoneId: string;
  readonly note: string | null;
  readonly requester: Requester;
  /** Who caused it, for the audit log: 'slack:U123', 'upstream:<name>', 'system:autofund rule …'. */
  readonly actor: string;
  readonly fallbackChannel: FallbackChannel | null;
  readonly replyTo: ReplyTarget | null;
  /** For an autofund rule: the channel to tell when OpenTrain refuses. */
  readonly noticeChannelId: string | null;
}

/** Why a card could not be posted yet, as far as the requester needs to know. */
export type CardProblem = 'not-in-channel' | 'channel-not-found' | 'delayed';

/** How a funding request ended; stored with the request so a repeat of it can be answered the same way. */
export type FundOutcome =
  /** `ours` is false when someone else's request already tracks the approval: no second card. */
  | {
      readonly kind: 'tracked';
      readonly approvalId: string;
      readonly ours: boolean;
      readonly cardProblem: CardProblem | null;
    }
  /** OpenTrain recorded the approval, but no route, FUND_CHANNEL or channel says where its card goes. */
  | { readonly kind: 'unrouted'; readonly approvalId: string; readonly approvalUrl: string }
  | { readonly kind: 'refused'; readonly refusal: Refusal }
  /**
   * Cut off while asking OpenTrain, and retried only once an approval that call may have created could have
   * lapsed unseen: nothing was asked again (see mayAskAgain), and whoever asked is told to check and ask anew.
   */
  | { readonly kind: 'unconfirmed' };
