import type { CustomRoute } from '@slack/bolt';
import { z } from 'zod';
import type { Approval, Requester } from '../approvals/types.js';
import type { JobDeps } from '../jobs/deps.js';
import { auditFundFailure, type TrackHooks, type TrackOutcome, trackAndPost } from '../jobs/track.js';
import { OpenTrainError } from '../opentrain/errors.js';
import { BodyTooLargeError, readRawBody, sendJson } from './io.js';
import { verifyBody } from './signature.js';

export const fundRequestsPath = '/api/fund-requests';
const maxBodyBytes = 16 * 1024;
/** How long a request holds its idempotency key: longer than the slowest OpenTrain call with its retries. */
const keyLockMs = 10 * 60_000;

/** Messages a client can act on: which field, and what was expected of it (zod's defaults name neither). */
const text = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'required' : 'expected a string') });
const openTrainId = (what: string) =>
  text().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, `must be an OpenTrain ${what} id`);

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

/**
 * POST /api/fund-requests: other systems ask Countersign to request funding for a milestone, or to follow an
 * approval they created themselves. HMAC-signed like OpenTrain's webhooks; answers once the card is posted.
 */
export function fundRequestsRoute(deps: JobDeps, secret: string, hooks: TrackHooks): CustomRoute {
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
            secret,
            typeof header === 'string' ? header : undefined,
            body,
            deps.clock.now(),
          );
          if (!verdict.ok) {
            deps.log.warn({ problem: verdict.problem }, 'upstream request refused: bad signature');
            answer = { status: 401, body: { error: 'invalid_signature', problem: verdict.problem } };
          } else {
            answer = await handle(deps, hooks, body, verdict.signature);
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

async function handle(deps: JobDeps, hooks: TrackHooks, raw: Buffer, signature: string): Promise<Answer> {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return { status: 400, body: { error: 'invalid_json', message: 'The body must be a JSON object.' } };
  }
  const parsed = parseRequest(json);
  if (!parsed.ok) {
    const { fields } = parsed;
    return {
      status: 400,
      body: {
        error: 'invalid_request',
        message:
          'Send either {"milestoneId": …} or {"approvalId": …}, with optional requestedBy, note, channel.',
        fields,
      },
    };
  }
  const { request } = parsed;
  const requester = requesterOf(request.requestedBy);
  const base = {
    requester,
    note: request.note ?? null,
    actor: `upstream:${request.requestedBy ?? 'unnamed'}`,
    fallbackChannel:
      request.channel === undefined ? undefined : { id: request.channel, via: 'requested-channel' as const },
  };
  if ('approvalId' in request) return followApproval(deps, hooks, request.approvalId, base);
  // Without an idempotencyKey, a replay of the same signed bytes could ask again after the first approval
  // ended; refuse it. A client retrying on purpose signs again (a new t), or sends an idempotencyKey.
  if (request.idempotencyKey === undefined) {
    const fresh = await deps.store.recordDelivery(`upstream-signature:${signature}`, deps.clock.now());
    if (!fresh) {
      return {
        status: 409,
        body: {
          error: 'replayed',
          message:
            'This exact signed request was already received; sign it again, or send an idempotencyKey, to retry.',
        },
      };
    }
  }
  return requestFunding(deps, hooks, request, base);
}

async function requestFunding(
  deps: JobDeps,
  hooks: TrackHooks,
  request: Extract<FundRequest, { milestoneId: string }>,
  base: Parameters<typeof trackAndPost>[2],
): Promise<Answer> {
  if (base.fallbackChannel === undefined && deps.settings.fundChannel === undefined) {
    // Only a route could place the card; without any, refuse before OpenTrain records anything.
    if ((await deps.store.listRoutes()).length === 0) return noChannel(undefined);
  }
  const key = request.idempotencyKey === undefined ? undefined : `upstream:${request.idempotencyKey}`;
  let holder = '';
  if (key !== undefined) {
    const claim = await deps.store.claimUpstreamKey(key, deps.clock.now(), keyLockMs);
    if (claim.state === 'new') holder = claim.holder;
    if (claim.state === 'busy') {
      return {
        status: 409,
        body: { error: 'in_progress', message: 'A request with this idempotencyKey is still running.' },
      };
    }
    if (claim.state === 'done') {
      const approval = await deps.store.getApproval(claim.approvalId);
      if (approval !== undefined)
        return describe({ kind: 'tracked', approval, ours: false, card: null }, approval);
    }
  }
  try {
    const remote = await deps.opentrain.fundMilestone(request.milestoneId);
    const outcome = await trackAndPost(deps, remote, base, hooks);
    if (key !== undefined) {
      await deps.store.finishUpstreamKey(
        key,
        holder,
        outcome.kind === 'tracked' ? outcome.approval.id : null,
        deps.clock.now(),
      );
    }
    if (outcome.kind === 'unrouted') await auditUnrouted(deps, remote, base.actor);
    return describe(outcome, remote);
  } catch (error) {
    if (key !== undefined) await deps.store.finishUpstreamKey(key, holder, null, deps.clock.now());
    if (!(error instanceof OpenTrainError)) throw error;
    await auditFundFailure(deps, request.milestoneId, base.actor, error);
    return fromOpenTrainError(error);
  }
}

async function followApproval(
  deps: JobDeps,
  hooks: TrackHooks,
  approvalId: string,
  base: Parameters<typeof trackAndPost>[2],
): Promise<Answer> {
  try {
    const remote = await deps.opentrain.getApproval(approvalId);
    const outcome = await trackAndPost(deps, remote, base, hooks);
    if (outcome.kind === 'unrouted') await auditUnrouted(deps, remote, base.actor);
    return describe(outcome, remote);
  } catch (error) {
    if (!(error instanceof OpenTrainError)) throw error;
    return fromOpenTrainError(error);
  }
}

async function auditUnrouted(deps: JobDeps, approval: Approval, actor: string): Promise<void> {
  const detail = { jobId: approval.jobId, contractId: approval.contractId };
  await deps.store.appendAudit(
    [{ approvalId: approval.id, milestoneId: approval.milestoneId, actor, action: 'unrouted', detail }],
    deps.clock.now(),
  );
}

/** A Slack member id as requestedBy gets reminders and the outcome by DM; anything else is a system's name. */
function requesterOf(requestedBy: string | undefined): Requester {
  if (requestedBy !== undefined && /^[UW][A-Z0-9]{2,}$/.test(requestedBy)) {
    return { kind: 'slack', userId: requestedBy, teamId: null };
  }
  return { kind: 'system', name: requestedBy ?? 'an upstream system' };
}

function noChannel(approval: Approval | undefined): Answer {
  return {
    status: 422,
    body: {
      error: 'no_channel',
      message:
        approval === undefined
          ? 'No route, FUND_CHANNEL or "channel" says where the card goes; nothing was requested.'
          : 'OpenTrain recorded the approval, but no route matches its job or contract and no FUND_CHANNEL is set. Send the request again with "channel" to have it tracked.',
      ...(approval === undefined ? {} : { approvalId: approval.id, approvalUrl: approval.approvalUrl }),
    },
  };
}

function describe(outcome: TrackOutcome, remote: Approval): Answer {
  if (outcome.kind === 'unrouted') return noChannel(remote);
  const { approval, card } = outcome;
  return {
    status: 202,
    body: {
      approvalId: approval.id,
      type: approval.type,
      status: approval.status,
      approvalUrl: approval.approvalUrl,
      expiresAt: approval.expiresAt.toISOString(),
      duplicate: !outcome.ours,
      card:
        approval.card.ts === null
          ? null
          : { channel: approval.card.channelId, ts: approval.card.ts, permalink: approval.card.permalink },
      ...(card?.kind === 'failed' ? { cardProblem: card.failure } : {}),
    },
  };
}

/** OpenTrain's refusal, mapped to the status that tells the caller what to do. */
function fromOpenTrainError(error: OpenTrainError): Answer {
  const body = {
    error: error.failure,
    message: error.message,
    ...(error.requestId === undefined ? {} : { opentrainRequestId: error.requestId }),
    ...(Object.keys(error.details).length === 0 ? {} : { details: error.details }),
  };
  const retryAfter: Record<string, string> =
    error.retryAfterMs === undefined ? {} : { 'retry-after': String(Math.ceil(error.retryAfterMs / 1_000)) };
  switch (error.failure) {
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
