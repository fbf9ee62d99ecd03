import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Requester } from '../domain/approval.js';
import { effectKeys } from '../domain/effects.js';
import type { FundingRequest, Refusal } from '../domain/funding.js';
import { openTrainIdPattern } from '../domain/opentrain-id.js';
import type { Logger } from '../logger.js';
import type { FundNowOutcome } from '../use-cases/fund-now.js';
import type { UseCases } from '../use-cases/use-cases.js';
import { BodyTooLargeError, readRawBody, sendJson } from './io.js';
import type { Route } from './server.js';
import { verifyBody } from './signature.js';

export const fundRequestsPath = '/api/fund-requests';
const maxBodyBytes = 16 * 1024;

/** Messages a client can act on: which field, and what was expected of it (zod's defaults name neither). */
const text = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'required' : 'expected a string') });
const openTrainId = (what: string) => text().regex(openTrainIdPattern, `must be an OpenTrain ${what} id`);

const common = {
  requestedBy: text().trim().min(1, 'must not be empty').max(100, 'at most 100 characters').optional(),
  note: text().trim().max(500, 'at most 500 characters').optional(),
  channel: text()
    .regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel ID such as C0123ABCD')
    .optional(),
};
const MilestoneRequest = z.strictObject({
  milestoneId: openTrainId('milestone'),
  idempotencyKey: text().min(1, 'must not be empty').max(200, 'at most 200 characters').optional(),
  ...common,
});
const ApprovalRequest = z.strictObject({ approvalId: openTrainId('approval'), ...common });
type FundRequest = z.infer<typeof MilestoneRequest> | z.infer<typeof ApprovalRequest>;

type Fields = Record<string, string>;

/** Why an unknown key is there, when a likely mistake explains it. */
const unknownFieldHints = new Map([
  ['idempotencyKey', 'not accepted with approvalId: the same approvalId twice is already one card'],
]);

/**
 * Picks the shape by the id that is present, then validates that shape alone, so `fields` names the field
 * that is wrong. (A union would report a body that fits neither shape as one "(body)" error.)
 */
function parseRequest(json: unknown): { ok: true; request: FundRequest } | { ok: false; fields: Fields } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, fields: { '(body)': 'must be a JSON object' } };
  }
  const hasMilestone = 'milestoneId' in json;
  const hasApproval = 'approvalId' in json;
  if (hasMilestone && hasApproval) {
    const both = 'send exactly one of milestoneId and approvalId';
    return { ok: false, fields: { milestoneId: both, approvalId: both } };
  }
  if (!hasMilestone && !hasApproval) {
    return {
      ok: false,
      fields: {
        '(body)':
          'send milestoneId (Countersign requests the funding) or approvalId (an approval that already exists)',
      },
    };
  }
  const parsed = hasMilestone ? MilestoneRequest.safeParse(json) : ApprovalRequest.safeParse(json);
  if (parsed.success) return { ok: true, request: parsed.data };
  // A Map, then own properties: a key such as "__proto__" is reported like any other.
  const fields = new Map<string, string>();
  const add = (field: string, message: string) => {
    if (!fields.has(field)) fields.set(field, message);
  };
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add(key, unknownFieldHints.get(key) ?? 'unknown field');
    } else {
      add(issue.path.join('.') || '(body)', issue.message);
    }
  }
  return { ok: false, fields: Object.fromEntries(fields) };
}

type Answer = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

export interface UpstreamDeps {
  readonly useCases: UseCases;
  readonly clock: Clock;
  readonly log: Logger;
  readonly secret: string;
}

/**
 * POST /api/fund-requests: other systems ask Countersign to request funding for a milestone, or to follow an
 * approval they created themselves. HMAC-signed like OpenTrain's webhooks; answered once the card is posted.
 */
export function fundRequestsRoute(deps: UpstreamDeps): Route {
  return {
    path: fundRequestsPath,
    method: 'POST',
    handler: (req, res) => {
      void (async () => {
        let answer: Answer;
        try {
          const body = await readRawBody(req, maxBodyBytes);
          const header = req.headers['x-countersign-signature'];
          const verdict = verifyBody(
            deps.secret,
            typeof header === 'string' ? header : undefined,
            body,
            deps.clock.now(),
          );
          if (!verdict.ok) {
            deps.log.warn({ problem: verdict.problem }, 'upstream request refused: bad signature');
            answer = { status: 401, body: { error: 'invalid_signature', problem: verdict.problem } };
          } else {
            answer = await handle(deps, body, verdict.signature);
          }
        } catch (error) {
          if (error instanceof BodyTooLargeError) {
            answer = { status: 413, body: { error: 'body_too_large', limitBytes: maxBodyBytes } };
          } else {
            deps.log.error({ err: error }, 'upstream request failed');
            answer = { status: 500, body: { error: 'internal_error' } };
          }
        }
        sendJson(res, answer.status, answer.body, answer.headers);
      })();
    },
  };
}

async function handle(deps: UpstreamDeps, raw: Buffer, signature: string): Promise<Answer> {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return { status: 400, body: { error: 'invalid_json', message: 'The body must be a JSON object.' } };
  }
  const parsed = parseRequest(json);
  if (!parsed.ok) {
    return {
      status: 400,
      body: {
        error: 'invalid_request',
        message:
          'Send either {"milestoneId": …} or {"approvalId": …}, with optional requestedBy, note, channel.',
        fields: parsed.fields,
      },
    };
  }
  const { request } = parsed;
  const requester = requesterOf(request.requestedBy);
  const base = {
    workspaceId: deps.useCases.workspaceId,
    requester,
    note: request.note ?? null,
    actor: `upstream:${request.requestedBy ?? 'unnamed'}`,
    fallbackChannel:
      request.channel === undefined ? null : ({ id: request.channel, via: 'requested-channel' } as const),
  };
  if ('approvalId' in request) return describe(await deps.useCases.followNow(request.approvalId, base));
  const funding: FundingRequest = {
    ...base,
    via: 'upstream',
    milestoneId: request.milestoneId,
    replyTo: null,
    noticeChannelId: null,
  };
  // Without an idempotencyKey, a replay of the same signed bytes could ask again after the first approval
  // ended: the signature names the request, so a replay is refused. A client retrying on purpose signs again.
  const key =
    request.idempotencyKey === undefined
      ? effectKeys.upstreamSignature(signature)
      : effectKeys.upstream(request.idempotencyKey);
  const outcome = await deps.useCases.fundNow(key, funding, {
    idempotencyKey: request.idempotencyKey !== undefined,
  });
  return describe(outcome);
}

/** A Slack member id as requestedBy gets reminders and the outcome by DM; anything else is a system's name. */
function requesterOf(requestedBy: string | undefined): Requester {
  if (requestedBy !== undefined && /^[UW][A-Z0-9]{2,}$/.test(requestedBy)) {
    return { kind: 'slack', userId: requestedBy, teamId: null };
  }
  return { kind: 'system', name: requestedBy ?? 'an upstream system' };
}

function describe(outcome: FundNowOutcome): Answer {
  switch (outcome.kind) {
    case 'no-channel':
      return {
        status: 422,
        body: {
          error: 'no_channel',
          message: 'No route, FUND_CHANNEL or "channel" says where the card goes; nothing was requested.',
        },
      };
    case 'unrouted':
      return {
        status: 422,
        body: {
          error: 'no_channel',
          message:
            'OpenTrain recorded the approval, but no route matches its job or contract and no FUND_CHANNEL is set. Send the request again with "channel" to have it tracked.',
          approvalId: outcome.approvalId,
          approvalUrl: outcome.approvalUrl,
        },
      };
    case 'in-progress':
      return {
        status: 409,
        body: { error: 'in_progress', message: 'A request with this idempotencyKey is still running.' },
      };
    case 'key-conflict':
      return {
        status: 409,
        body: {
          error: 'idempotency_key_reused',
          message: `This idempotencyKey was already used for milestone ${outcome.milestoneId}; use a new key for another milestone.`,
        },
      };
    case 'replayed':
      return {
        status: 409,
        body: {
          error: 'replayed',
          message:
            'This exact signed request was already received; sign it again, or send an idempotencyKey, to retry.',
        },
      };
    case 'refused':
      return fromRefusal(outcome.refusal);
    case 'unconfirmed':
      return {
        status: 409,
        body: {
          error: 'unconfirmed',
          message:
            'Countersign was cut off while asking OpenTrain and its answer was lost; by the time it could retry, any approval OpenTrain made may have expired unseen, so it did not ask again. If the milestone still needs funding, send a new request with a new idempotencyKey.',
        },
      };
    case 'tracked': {
      const { approval } = outcome;
      const problem = outcome.cardError === null ? undefined : cardProblemOf(outcome.cardError);
      return {
        status: 202,
        body: {
          approvalId: approval.id,
          type: approval.type,
          status: approval.status,
          // A status word OpenTrain reported outside the four known ones (the approval is followed as pending).
          ...(approval.reportedStatus === null ? {} : { reportedStatus: approval.reportedStatus }),
          approvalUrl: approval.approvalUrl,
          expiresAt: approval.expiresAt.toISOString(),
          duplicate: outcome.duplicate,
          card:
            approval.card.ts === null
              ? null
              : {
                  channel: approval.card.channelId,
                  ts: approval.card.ts,
                  permalink: approval.card.permalink,
                },
          ...(problem === undefined ? {} : { cardProblem: problem }),
        },
      };
    }
  }
}

/** Slack's error code for the card's last attempt, in the words the API has always used. */
function cardProblemOf(code: string): string {
  if (code === 'not_in_channel') return 'not-in-channel';
  if (code === 'channel_not_found' || code === 'is_archived') return 'channel-not-found';
  if (code === 'ratelimited' || code === 'held') return 'rate-limited';
  return 'unavailable';
}

/** OpenTrain's refusal, mapped to the status that tells the caller what to do. */
function fromRefusal(refusal: Refusal): Answer {
  const details = Object.fromEntries(
    Object.entries({
      reason: refusal.reason,
      status: refusal.milestoneStatus,
      contractId: refusal.contractId,
      featureKey: refusal.featureKey,
      claimUrl: refusal.claimUrl,
      billingUrl: refusal.billingUrl,
      requiredScopes: refusal.requiredScopes.length === 0 ? null : refusal.requiredScopes,
    }).filter(([, value]) => value !== null),
  );
  const body = {
    error: refusal.failure,
    message: refusal.message,
    ...(refusal.requestId === null ? {} : { opentrainRequestId: refusal.requestId }),
    ...(Object.keys(details).length === 0 ? {} : { details }),
  };
  const retryAfter: Record<string, string> =
    refusal.retryAfterMs === null ? {} : { 'retry-after': String(Math.ceil(refusal.retryAfterMs / 1_000)) };
  switch (refusal.failure) {
    case 'not-found':
      return { status: 404, body };
    case 'not-fundable':
    case 'milestone-cancelled':
    case 'contract-ended':
    case 'payment-method-required':
    case 'conflict':
      return { status: 409, body };
    case 'bad-request':
      return { status: 400, body };
    case 'missing-scope':
    case 'feature-disabled':
    case 'claim-required':
    case 'forbidden':
      // OpenTrain refused Countersign's own token or account: the caller cannot fix that by retrying.
      return { status: 403, body };
    case 'rate-limited':
      return { status: 429, body, headers: retryAfter };
    case 'unavailable':
    case 'timeout':
    case 'network':
      return { status: 503, body, headers: retryAfter };
    case 'unauthorized':
    case 'bad-response':
      return { status: 502, body };
  }
}
