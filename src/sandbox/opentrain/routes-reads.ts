import { refreshApprovals } from './approvals.js';
import { badRequest, notFound } from './errors.js';
import { hasScope, requireAnyScope, requireFeature, requireScopes } from './gates.js';
import { type Route, route } from './router.js';
import type { SimState } from './state.js';
import { contractStatuses, type EventRecord, eventScopes } from './types.js';
import { contractView } from './views.js';

// Contracts, the /updates feed, and the identity and capability probes.

/**
 * /updates limit: 1 to 200 as documented; the default is not stated (Gap 5), so 50, the docs' example. A page
 * may still hold fewer than `limit` events when the simulator is told to cap pages (state.updatesMaxPageSize).
 */
const defaultLimit = 50;
const maxLimit = 200;

/** Reading a contract shows pendingApproval, so its milestones' approvals get the lazy-expiry check first. */
function refreshForContract(state: SimState, contractId: string): void {
  refreshApprovals(state, (a) => a.contractId === contractId);
}

function pageEvents(state: SimState, query: URLSearchParams): Record<string, unknown> {
  const cursorParam = query.get('cursor');
  const limitParam = query.get('limit');
  // An empty `cursor=` is treated like a missing one: start from the beginning.
  const cursor = cursorParam === null || cursorParam === '' ? null : cursorParam;
  if (cursor !== null && !/^\d{1,15}$/.test(cursor)) {
    throw badRequest('cursor', 'cursor must be a nextCursor value returned by this endpoint.');
  }
  let limit = defaultLimit;
  if (limitParam !== null) {
    limit = /^\d{1,4}$/.test(limitParam) ? Number(limitParam) : Number.NaN;
    if (!(limit >= 1 && limit <= maxLimit)) {
      throw badRequest('limit', `limit must be an integer from 1 to ${maxLimit}.`, { min: 1, max: maxLimit });
    }
  }
  // Events the token cannot read are silently filtered out, as documented. A cursor past the newest event (or
  // from another simulator run) just yields nothing: retention is "full backlog from any cursor".
  const after = cursor === null ? 0 : Number(cursor);
  const visible: EventRecord[] = state.events.filter(
    (e) => Number(e.id) > after && hasScope(state, eventScopes[e.type]),
  );
  const events = visible.slice(0, Math.min(limit, state.updatesMaxPageSize ?? limit));
  const last = events.at(-1);
  return {
    events,
    // With no events the input cursor is echoed (null when there was none), so callers can always store it.
    nextCursor: last === undefined ? cursor : last.id,
    hasMore: visible.length > events.length,
  };
}

function capabilities(state: SimState): Record<string, unknown> {
  const { features } = state.account;
  return {
    featureKey: 'public_api_job_drafting',
    namespace: 'job-drafts',
    rolloutMode: 'ALL',
    actorIsAdmin: false,
    // Flags the simulator does not model are reported as on.
    capabilities: {
      draftImport: true,
      draftCreate: true,
      draftUpdate: true,
      draftUrlRead: true,
      publish: true,
      hiring: features.hiring,
      messagingWrites: true,
      team: true,
      paymentsWrite: features.paymentsWrite,
      credits: true,
      webhooks: features.webhooks,
    },
    draft: { importFormats: ['json', 'markdown'], updateKeys: ['title', 'description', 'pay'], enums: {} },
    authBootstrap: 'token',
    enabled: true,
  };
}

export const readRoutes: Route[] = [
  route('GET', /^\/contracts$/, ({ state, query }) => {
    requireScopes(state, 'payments:read');
    const status = query.get('status');
    if (status !== null && !(contractStatuses as readonly string[]).includes(status)) {
      throw badRequest('status', 'status must be active or ended.', {
        supportedStatuses: [...contractStatuses],
      });
    }
    const jobId = query.get('jobId');
    if (jobId !== null && !state.jobs.has(jobId)) throw notFound('jobs', 'jobId', jobId);
    const contracts = [...state.contracts.values()]
      .filter((c) => (status === null || c.status === status) && (jobId === null || c.jobId === jobId))
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
    for (const c of contracts) refreshForContract(state, c.id);
    return { status: 200, body: { contracts: contracts.map((c) => contractView(state, c, false)) } };
  }),

  route('GET', /^\/contracts\/(?<contractId>[^/]+)$/, ({ state, params }) => {
    requireScopes(state, 'payments:read');
    const contractId = params.contractId ?? '';
    const contract = state.contracts.get(contractId);
    if (contract === undefined) throw notFound('contracts', 'contractId', contractId);
    refreshForContract(state, contract.id);
    return { status: 200, body: { contract: contractView(state, contract, true) } };
  }),

  route('GET', /^\/updates$/, ({ state, query }) => {
    requireAnyScope(state, ['proposals:read', 'messages:read', 'payments:read']);
    return { status: 200, body: pageEvents(state, query) };
  }),

  route('GET', /^\/auth\/me$/, ({ state }) => {
    const { owner } = state;
    return {
      status: 200,
      body: {
        actor: {
          userId: owner.userId,
          email: owner.email,
          firstName: owner.firstName,
          lastName: owner.lastName,
          fullName: `${owner.firstName} ${owner.lastName}`.trim(),
          userType: 'EMPLOYER',
        },
        token: {
          id: owner.tokenId,
          label: owner.tokenLabel,
          scopes: [...state.account.scopes],
          ownerOrganizationId: null,
        },
        account: {
          kind: 'employer_organization',
          organizationId: owner.organizationId,
          ownerUserId: owner.userId,
          memberRole: 'OWNER',
        },
      },
    };
  }),

  // No scope needed, but the probe is part of job drafting: with that flag off it answers 403 (featureKey
  // public_api_job_drafting), and a client cannot read the other flags at all.
  route('GET', /^\/job-drafts\/capabilities$/, ({ state }) => {
    requireFeature(state, 'jobDrafting');
    return { status: 200, body: capabilities(state) };
  }),
];
