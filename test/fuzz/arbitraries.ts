import fc from 'fast-check';
import { approvalStatuses, knownApprovalTypes, type TrackedApproval } from '../../src/domain/approval.js';
import { type Refusal, upstreamFailures } from '../../src/domain/funding.js';
import type { Approver, Route } from '../../src/domain/routing.js';
import { errorFromResponse, OpenTrainError } from '../../src/opentrain/errors.js';
import { refusalOf } from '../../src/opentrain/refusal.js';
import { ErrorEnvelope } from '../../src/opentrain/schema.js';
import type { AuditEntry } from '../../src/ports/store.js';
import { anyId, foreignWord, hostileLongText, hostileText, openTrainId } from '../helpers/fuzz.js';

export const origin = 'https://app.opentrain.ai';
export const permalinkPrefix = 'https://slack.test/archives/';

export const slackUserId = fc.stringMatching(/^[UW][A-Z0-9]{2,11}$/);
export const slackGroupId = fc.stringMatching(/^S[A-Z0-9]{2,11}$/);
export const slackChannelId = fc.stringMatching(/^[CGD][A-Z0-9]{2,11}$/);

/** Dates Slack and OpenTrain can both express: 2000 to 2100. */
export const instant = fc.date({
  min: new Date('2000-01-01T00:00:00Z'),
  max: new Date('2100-01-01T00:00:00Z'),
  noInvalidDate: true,
});

export const approver: fc.Arbitrary<Approver> = fc.oneof(
  slackUserId.map((id) => ({ kind: 'user' as const, id })),
  slackGroupId.map((id) => ({ kind: 'usergroup' as const, id })),
);

/** A link on OpenTrain's origin with any path, as the port lets through, sometimes too long for a button. */
const approvalUrl = fc.oneof(
  openTrainId('A').map((id) => `${origin}/approvals/${id}`),
  hostileText().map((path) => new URL(`${origin}/${path}`, origin).toString()),
  fc.integer({ min: 2_900, max: 3_200 }).map((n) => `${origin}/approvals/${'a'.repeat(n)}`),
);

const permalink = fc
  .tuple(slackChannelId, fc.stringMatching(/^\d{1,30}$/))
  .map(([channel, ts]) => `${permalinkPrefix}${channel}/p${ts}`);

const amount = fc.oneof(
  fc.double({ min: -1e12, max: 1e15, noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: 0, max: 1_000_000 }),
);

/** A tracked approval whose every free-text field is hostile: names and notes from people and OpenTrain. */
export const trackedApproval: fc.Arbitrary<TrackedApproval> = fc.record({
  // Ids are OpenTrain's, checked against the id grammar when its answer is read (schema.ts).
  id: openTrainId('A'),
  // The schema requires a type; an unknown one is worded generically.
  type: fc.oneof(
    fc.constantFrom(...knownApprovalTypes),
    foreignWord().filter((type) => type !== ''),
  ),
  status: fc.constantFrom(...approvalStatuses),
  // A status word OpenTrain chose (capped at 64 when read), carried while the approval is followed as pending.
  reportedStatus: fc.option(foreignWord().map((word) => word.slice(0, 64))),
  contractId: fc.option(openTrainId('C')),
  milestoneId: fc.option(openTrainId('M')),
  jobId: fc.option(openTrainId('J')),
  proposalId: fc.option(openTrainId('P')),
  approvalUrl,
  expiresAt: instant,
  resolvedAt: fc.option(instant),
  result: fc.option(
    fc.oneof(
      fc.record({ invoiceId: fc.oneof(hostileLongText(), fc.jsonValue()) }),
      fc.dictionary(fc.string(), fc.jsonValue()),
    ),
  ),
  createdAt: instant,
  workspaceId: fc.constant('T1'),
  requester: fc.oneof(
    fc.record({ kind: fc.constant('slack' as const), userId: slackUserId, teamId: fc.constant(null) }),
    // requestedBy (1 to 100 characters, trimmed) or an autofund rule's name.
    fc.record({
      kind: fc.constant('system' as const),
      name: hostileText().map((name) => name.trim().slice(0, 100) || 'billing-bot'),
    }),
  ),
  note: fc.option(hostileLongText().map((note) => note.slice(0, 500))),
  channelId: slackChannelId,
  approvers: fc.array(approver, { maxLength: 60 }),
  context: fc.option(
    fc.record({
      milestoneName: fc.option(hostileLongText()),
      milestoneNumber: fc.option(fc.integer()),
      amountUsd: fc.option(amount),
      contractTitle: fc.option(hostileLongText()),
      freelancerName: fc.option(hostileLongText()),
    }),
  ),
  version: fc.nat(),
  card: fc.record({
    version: fc.nat(),
    channelId: fc.option(slackChannelId),
    ts: fc.option(fc.stringMatching(/^\d{10}\.\d{6}$/)),
    permalink: fc.option(permalink),
  }),
  reminderFloorMs: fc.option(fc.nat()),
  trackedAt: instant,
  updatedAt: instant,
});

/** The people, groups and channels an approval names: the only ones its messages may mention. */
export function allowedFor(approval: TrackedApproval) {
  const users = approval.approvers.filter((a) => a.kind === 'user').map((a) => a.id);
  const usergroups = approval.approvers.filter((a) => a.kind === 'usergroup').map((a) => a.id);
  if (approval.requester.kind === 'slack') users.push(approval.requester.userId);
  const channels = [
    approval.channelId,
    ...(approval.card.channelId === null ? [] : [approval.card.channelId]),
  ];
  return { users, usergroups, channels, linkPrefixes: [`${origin}/`, permalinkPrefix] };
}

const reasons = [
  'account_claim_required',
  'milestone_not_fundable',
  'payment_method_required',
  'milestone_cancelled',
  'contract_ended',
  'contract_rate_missing',
];

/** A link OpenTrain might put in details: on its origin, on another, or not a link at all. */
const detailLink = fc.oneof(
  hostileText(4).map((path) => `${origin}/${path}`),
  fc.constantFrom('https://evil.example/claim', 'http://app.opentrain.ai/claim', 'javascript:alert(1)'),
  hostileText(),
);

/** An error body as OpenTrain documents it, with every field possibly hostile, overlong or the wrong type. */
export const errorEnvelope = fc.record(
  {
    error: fc.oneof(hostileLongText(), fc.jsonValue()),
    code: fc.oneof(fc.constantFrom('FORBIDDEN', 'CONFLICT', 'NOT_FOUND'), hostileText(), fc.jsonValue()),
    requestId: fc.oneof(hostileLongText(), fc.jsonValue()),
    details: fc.oneof(
      fc.record(
        {
          reason: fc.oneof(fc.constantFrom(...reasons), foreignWord()),
          status: fc.oneof(fc.constantFrom('ACTIVE_FUNDED', 'PAID'), foreignWord(), hostileLongText()),
          contractId: fc.oneof(anyId('C'), fc.jsonValue()),
          requiredScopes: fc.oneof(fc.array(fc.oneof(hostileLongText(), fc.jsonValue())), fc.jsonValue()),
          featureKey: fc.oneof(fc.constant('public_api_payments_write'), hostileLongText()),
          claimUrl: detailLink,
          billingUrl: detailLink,
          featureConfirmed: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    ),
  },
  { requiredKeys: [] },
);

/** A refusal as the port makes it from any failure OpenTrain could cause. */
export const refusal: fc.Arbitrary<Refusal> = fc
  .oneof(
    fc
      .tuple(
        fc.integer({ min: 400, max: 599 }),
        errorEnvelope,
        fc.option(fc.nat({ max: 10 * 86_400_000 }), { nil: undefined }),
      )
      .map(([status, envelope, retryAfterMs]) => {
        // As the client reads an error body: through the envelope schema, which drops fields of the wrong type.
        const parsed = ErrorEnvelope.safeParse(envelope);
        return errorFromResponse(status, parsed.success ? parsed.data : undefined, retryAfterMs);
      }),
    fc.tuple(fc.constantFrom(...upstreamFailures), hostileLongText(), errorEnvelope).map(
      ([failure, message, envelope]) =>
        new OpenTrainError(failure, message, {
          requestId: typeof envelope.requestId === 'string' ? envelope.requestId : undefined,
          details:
            typeof envelope.details === 'object' &&
            envelope.details !== null &&
            !Array.isArray(envelope.details)
              ? (envelope.details as Record<string, unknown>)
              : {},
        }),
    ),
  )
  .map((error) => refusalOf(error, origin));

export const route: fc.Arbitrary<Route> = fc.record({
  workspaceId: fc.constant('T1'),
  scope: fc.constantFrom('job' as const, 'contract' as const),
  targetId: openTrainId('J'),
  label: fc.option(hostileLongText()),
  channelId: slackChannelId,
  approvers: fc.array(approver, { maxLength: 30 }),
  autoFund: fc.boolean(),
  createdBy: slackUserId,
  updatedAt: instant,
});

export function allowedForRoutes(routes: readonly Route[]) {
  return {
    users: routes.flatMap((r) => r.approvers.filter((a) => a.kind === 'user').map((a) => a.id)),
    usergroups: routes.flatMap((r) => r.approvers.filter((a) => a.kind === 'usergroup').map((a) => a.id)),
    channels: routes.map((r) => r.channelId),
  };
}

/** Audit entries as the store returns them; actors are Slack people, OpenTrain, Countersign or a system. */
export const auditEntry: fc.Arbitrary<AuditEntry> = fc.record({
  id: fc.nat(),
  at: instant,
  approvalId: fc.option(openTrainId('A')),
  milestoneId: fc.option(openTrainId('M')),
  actor: fc.oneof(
    slackUserId.map((id) => `slack:${id}`),
    fc.constantFrom('opentrain', 'countersign'),
    hostileLongText().map((name) => `system:${name}`),
    hostileLongText().map((name) => `upstream:${name}`),
    hostileText(),
  ),
  action: fc.oneof(
    fc.constantFrom('requested', 'fund-failed', 'card-posted', 'confirmed', 'link-opened'),
    foreignWord(),
  ),
  detail: fc.option(
    fc.record(
      {
        failure: fc.oneof(fc.constantFrom(...upstreamFailures), foreignWord(), fc.jsonValue()),
        milestoneStatus: fc.oneof(foreignWord(), hostileLongText(), fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
    { nil: undefined },
  ),
});

/** Slack member ids among the actors, which history may mention. */
export function actorsOf(entries: readonly AuditEntry[]): string[] {
  return entries.flatMap((entry) => (entry.actor.startsWith('slack:') ? [entry.actor.slice(6)] : []));
}

/** The words, mentions and links a real command is made of, in any order and number. */
const commandToken = fc.oneof(
  fc.constantFrom('help', 'route', 'routes', 'set', 'add', 'list', 'ls', 'remove', 'rm', 'delete', 'history'),
  fc.constantFrom('autofund', '--autofund', 'auto-fund', 'job:', 'contract:'),
  openTrainId(),
  openTrainId('J').map((id) => `job:${id}`),
  openTrainId('C').map((id) => `contract:${id}`),
  slackChannelId.map((id) => `<#${id}|finance>`),
  slackUserId.map((id) => `<@${id}>`),
  slackGroupId.map((id) => `<!subteam^${id}|@finance>`),
  openTrainId().map((id) => `<https://app.opentrain.ai/contracts/C-1/milestones/${id}|link>`),
  openTrainId().map((id) => `https://app.opentrain.ai/c/C-1?milestoneId=${id}`),
  openTrainId('A').map((id) => `https://app.opentrain.ai/approvals/${id}`),
  hostileText(3),
);

export const commandText = fc.oneof(
  hostileLongText(),
  fc
    .tuple(fc.array(commandToken, { maxLength: 7 }), fc.constantFrom(' ', '  ', '\t', '\n', ' \u00a0'))
    .map(([tokens, gap]) => tokens.join(gap)),
  fc.string({ unit: 'binary', maxLength: 200 }),
);
