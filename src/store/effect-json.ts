import { z } from 'zod';
import { approvalStatuses } from '../domain/approval.js';
import type { Effect } from '../domain/effects.js';
import { type FundOutcome, upstreamFailures } from '../domain/funding.js';

/*
 * The stored form of an effect: JSON with ISO dates, parsed back through these schemas (never cast), so a row
 * written by another version either parses or fails loudly with the field at fault. Shared by every adapter.
 */

const IsoDate = z.iso.datetime().transform((text) => new Date(text));
const Id = z.string().min(1).max(256);

const Requester = z.union([
  z.object({ kind: z.literal('slack'), userId: Id, teamId: z.string().nullable() }),
  z.object({ kind: z.literal('system'), name: z.string().max(200) }),
]);

const ReplyTarget = z.object({ userId: Id, responseUrl: z.string().nullable(), requestedAt: IsoDate });

const Refusal = z.object({
  failure: z.enum(upstreamFailures),
  status: z.number().nullable(),
  requestId: z.string().nullable(),
  message: z.string(),
  reason: z.string().nullable().default(null),
  retryAfterMs: z.number().nullable(),
  milestoneStatus: z.string().nullable(),
  contractId: z.string().nullable(),
  requiredScopes: z.array(z.string()),
  featureKey: z.string().nullable(),
  featureUnconfirmed: z.boolean().default(false),
  billingUrl: z.string().nullable(),
  claimUrl: z.string().nullable(),
});

const FundingRequest = z.object({
  workspaceId: z.string(),
  via: z.enum(['slack', 'upstream', 'autofund']),
  milestoneId: Id,
  note: z.string().nullable(),
  requester: Requester,
  actor: z.string(),
  fallbackChannel: z.object({ id: Id, via: z.enum(['invoking-channel', 'requested-channel']) }).nullable(),
  replyTo: ReplyTarget.nullable(),
  noticeChannelId: z.string().nullable(),
});

const CardProblem = z.enum(['not-in-channel', 'channel-not-found', 'delayed']);
const Scope = z.enum(['job', 'contract']);

const Reply = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('working'), milestoneId: Id }),
  z.object({ kind: z.literal('requester-refused') }),
  z.object({ kind: z.literal('permission-check-failed') }),
  z.object({ kind: z.literal('funding-requested'), approvalId: Id, cardProblem: CardProblem.nullable() }),
  z.object({ kind: z.literal('already-pending'), approvalId: Id }),
  z.object({ kind: z.literal('unrouted'), milestoneId: Id }),
  z.object({ kind: z.literal('refused'), milestoneId: Id, refusal: Refusal }),
  z.object({ kind: z.literal('internal-error'), milestoneId: Id }),
  z.object({ kind: z.literal('unconfirmed'), milestoneId: Id }),
  z.object({ kind: z.literal('routes') }),
  z.object({ kind: z.literal('route-saved'), scope: Scope, targetId: Id }),
  z.object({
    kind: z.literal('route-removed'),
    targetId: Id,
    removed: z.object({ scope: Scope, targetId: Id, channelId: Id }).nullable(),
  }),
  z.object({ kind: z.literal('route-unknown'), targetId: Id, why: z.enum(['not-found', 'unreachable']) }),
  z.object({ kind: z.literal('not-admin') }),
  z.object({ kind: z.literal('text'), text: z.string() }),
]);

const TerminalStatus = z.enum(approvalStatuses).exclude(['pending']);

const Direct = z.discriminatedUnion('about', [
  z.object({ about: z.literal('reminder'), offsetMs: z.number() }),
  z.object({ about: z.literal('outcome'), status: TerminalStatus }),
  z.object({ about: z.literal('card-arrived') }),
]);

const Notice = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('autofund-refused'), ruleName: z.string(), milestoneId: Id, refusal: Refusal }),
  z.object({ kind: z.literal('autofund-unconfirmed'), ruleName: z.string(), milestoneId: Id }),
  z.object({ kind: z.literal('text'), text: z.string() }),
]);

const EffectJson = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fund'), request: FundingRequest }),
  z.object({ kind: z.literal('card'), approvalId: Id }),
  z.object({ kind: z.literal('homes'), approvalId: Id }),
  z.object({ kind: z.literal('home'), userId: Id }),
  z.object({ kind: z.literal('reply'), to: ReplyTarget, reply: Reply }),
  z.object({ kind: z.literal('dm'), approvalId: Id, userId: Id, message: Direct }),
  z.object({ kind: z.literal('thread'), approvalId: Id, purpose: z.enum(['outcome', 'reminder']) }),
  z.object({ kind: z.literal('notice'), channelId: Id, notice: Notice }),
]) satisfies z.ZodType<Effect, unknown>;

/** JSON text for the payload column; Dates become ISO strings. */
export function serializeEffect(effect: Effect): string {
  return JSON.stringify(effect);
}

export function parseEffect(text: string): Effect {
  return EffectJson.parse(JSON.parse(text));
}

/** Stored results and progress are the effect's own business: any JSON value, or null. */
export function parseJsonValue(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown);
}

const FundOutcomeJson = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('tracked'),
    approvalId: Id,
    ours: z.boolean(),
    cardProblem: CardProblem.nullable(),
  }),
  z.object({ kind: z.literal('unrouted'), approvalId: Id, approvalUrl: z.string() }),
  z.object({ kind: z.literal('refused'), refusal: Refusal }),
  z.object({ kind: z.literal('unconfirmed') }),
]) satisfies z.ZodType<FundOutcome, unknown>;

/** A finished funding request's outcome, as stored with it; undefined for anything else. */
export function parseFundOutcome(value: unknown): FundOutcome | undefined {
  const parsed = FundOutcomeJson.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
