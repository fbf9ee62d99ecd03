import { z } from 'zod';
import { requestContractEnd, requestFunding, requestHire, requestRelease } from './actions.js';
import { getApproval } from './approvals.js';
import { badRequest } from './errors.js';
import { requireClaim, requireFeature, requirePaymentsWrite, requireScopes } from './gates.js';
import { jsonBody, type Reply, type Route, route } from './router.js';
import type { SimState } from './state.js';
import type { ApprovalRecord } from './types.js';
import { approvalView } from './views.js';

// The co-signed writes (202 + approval) and the approval read.

const messages = {
  fund: 'Funding request recorded. A signed-in human must confirm this approval in the OpenTrain app before any money moves.',
  release:
    'Release request recorded. A signed-in human must confirm this approval in the OpenTrain app before any money moves.',
  end: 'This contract has funded milestones, so a signed-in human must confirm ending it in the OpenTrain app.',
  hire: 'Hire request recorded. A signed-in human must confirm this approval in the OpenTrain app before the freelancer is hired and any money moves.',
};

function accepted(state: SimState, approval: ApprovalRecord, message: string): Reply {
  return { status: 202, body: { approval: approvalView(state, approval), message } };
}

const HireBody = z.object({
  milestone: z.object({
    name: z.string().trim().optional(),
    description: z.string().trim().optional(),
    amount: z.number().positive(),
    dueDate: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
  }),
});

function parseHireBody(raw: unknown): z.output<typeof HireBody>['milestone'] {
  const parsed = HireBody.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue === undefined ? 'milestone' : issue.path.join('.') || 'milestone';
    throw badRequest(field, issue?.message ?? 'Invalid hire request.');
  }
  const milestone = parsed.data.milestone;
  if (!milestone.name && !milestone.description) {
    throw badRequest(
      'milestone.name',
      'At least one of milestone.name or milestone.description is required.',
    );
  }
  return milestone;
}

export const paymentRoutes: Route[] = [
  route('POST', /^\/milestones\/(?<milestoneId>[^/]+)\/fund$/, ({ state, params }) => {
    requirePaymentsWrite(state, 'fund milestones');
    const { approval } = requestFunding(state, params.milestoneId ?? '');
    return accepted(state, approval, messages.fund);
  }),

  route('POST', /^\/milestones\/(?<milestoneId>[^/]+)\/approve$/, ({ state, params }) => {
    requirePaymentsWrite(state, 'approve milestones');
    const { approval } = requestRelease(state, params.milestoneId ?? '');
    return accepted(state, approval, messages.release);
  }),

  route('POST', /^\/contracts\/(?<contractId>[^/]+)\/end$/, ({ state, params }) => {
    requirePaymentsWrite(state, 'end contracts');
    const outcome = requestContractEnd(state, params.contractId ?? '');
    if ('ended' in outcome) {
      return { status: 200, body: { ok: true, contractId: outcome.ended.id, status: 'ended' } };
    }
    return accepted(state, outcome.approval, messages.end);
  }),

  route('POST', /^\/proposals\/(?<proposalId>[^/]+)\/hire$/, (ctx) => {
    const { state, params } = ctx;
    requireScopes(state, 'proposals:write');
    requireFeature(state, 'hiring');
    requireClaim(state, 'hire AI trainers');
    const proposalId = params.proposalId ?? '';
    const milestone = parseHireBody(jsonBody(ctx));
    const { approval } = requestHire(state, proposalId, {
      name: milestone.name || null,
      description: milestone.description || null,
      amount: milestone.amount,
      dueDate: milestone.dueDate ?? null,
    });
    return accepted(state, approval, messages.hire);
  }),

  route('GET', /^\/approvals\/(?<approvalId>[^/]+)$/, ({ state, params }) => {
    requireScopes(state, 'payments:read');
    const approval = getApproval(state, params.approvalId ?? '');
    return { status: 200, body: { approval: approvalView(state, approval) } };
  }),
];
