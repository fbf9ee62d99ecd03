import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startSimulator, uuidPattern } from './harness.js';

const hours = 60 * 60 * 1000;

describe('POST /milestones/{id}/fund', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startSimulator();
  });
  afterEach(async () => {
    await h.close();
  });

  it('records a pending milestone_fund approval and answers 202 in the documented shape', async () => {
    const before = h.clock.now().getTime();

    const res = await h.call('POST', '/milestones/M-1001/fund');

    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const { approval, message } = res.body;
    expect(Object.keys(approval).sort()).toEqual(
      [
        'approvalUrl',
        'contractId',
        'createdAt',
        'expiresAt',
        'id',
        'jobId',
        'milestoneId',
        'proposalId',
        'resolvedAt',
        'result',
        'status',
        'type',
      ].sort(),
    );
    expect(approval).toMatchObject({
      type: 'milestone_fund',
      status: 'pending',
      contractId: 'C-501',
      milestoneId: 'M-1001',
      jobId: 'J-100',
      proposalId: null,
      resolvedAt: null,
      result: null,
    });
    expect(approval.id).toMatch(/^A-\d+$/);
    expect(approval.approvalUrl).toBe(`${h.sim.origin}/approvals/${approval.id}`);
    const createdAt = Date.parse(approval.createdAt);
    expect(createdAt).toBeGreaterThanOrEqual(before);
    expect(Date.parse(approval.expiresAt) - createdAt).toBe(72 * hours);
    expect(message).toContain('A signed-in human must confirm');
  });

  it('returns the same approval while it is pending, and marks the milestone pendingApproval', async () => {
    const first = await h.call('POST', '/milestones/M-1001/fund');

    const second = await h.call('POST', '/milestones/M-1001/fund');
    const contract = await h.call('GET', '/contracts/C-501');

    expect(second.status).toBe(202);
    expect(second.body.approval).toEqual(first.body.approval);
    expect(h.sim.snapshot().approvals).toHaveLength(1);
    const milestone = contract.body.contract.milestones.find((m: { id: string }) => m.id === 'M-1001');
    expect(milestone).toMatchObject({ status: 'NOT_FUNDED', pendingApproval: true });
  });

  it('creates a new approval once the previous one was declined', async () => {
    const first = await h.call('POST', '/milestones/M-1001/fund');
    h.sim.decline(first.body.approval.id);

    const second = await h.call('POST', '/milestones/M-1001/fund');

    expect(second.status).toBe(202);
    expect(second.body.approval.id).not.toBe(first.body.approval.id);
    expect(second.body.approval.status).toBe('pending');
  });

  it('never hands back a lapsed approval as pending: it expires it and creates a new one', async () => {
    const first = await h.call('POST', '/milestones/M-1001/fund');
    h.clock.advance(72 * hours + 1);

    const second = await h.call('POST', '/milestones/M-1001/fund');
    const old = await h.call('GET', `/approvals/${first.body.approval.id}`);

    expect(second.body.approval.id).not.toBe(first.body.approval.id);
    expect(old.body.approval).toMatchObject({ status: 'expired', resolvedAt: first.body.approval.expiresAt });
  });

  it('accepts only its own bearer token', async () => {
    const missing = await h.call('POST', '/milestones/M-1001/fund', { token: null });
    const wrong = await h.call('POST', '/milestones/M-1001/fund', { token: 'ot_pat_nope' });

    for (const res of [missing, wrong]) {
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'UNAUTHORIZED', error: expect.any(String) });
      expect(res.body.requestId).toMatch(uuidPattern);
    }
    expect(missing.body.requestId).not.toBe(wrong.body.requestId);
  });

  it('answers 403 with requiredScopes when the token lacks payments:write', async () => {
    h.sim.setAccount({ scopes: ['payments:read'] });

    const res = await h.call('POST', '/milestones/M-1001/fund');

    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'FORBIDDEN', details: { requiredScopes: ['payments:write'] } });
  });

  it('answers 403 naming the feature (details.featureKey and mode) when public_api_payments_write is off', async () => {
    h.sim.setAccount({ features: { paymentsWrite: false } });

    const res = await h.call('POST', '/milestones/M-1001/fund');
    const capabilities = await h.call('GET', '/job-drafts/capabilities');

    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'FORBIDDEN', requestId: expect.any(String) });
    expect(res.body.details).toEqual({ featureKey: 'public_api_payments_write', mode: 'ALLOWLIST' });
    expect(capabilities.body.capabilities.paymentsWrite).toBe(false);
  });

  it('answers 403 account_claim_required for an unclaimed account, unless the claim gate is switched off', async () => {
    h.sim.setAccount({ claimed: false });

    const res = await h.call('POST', '/milestones/M-1001/fund');
    h.sim.setAccount({ milestoneActionsRequireClaim: false });
    const relaxed = await h.call('POST', '/milestones/M-1001/fund');

    expect(res.status).toBe(403);
    expect(res.body.details).toEqual({
      reason: 'account_claim_required',
      action: 'fund milestones',
      claimUrl: `${new URL(h.baseUrl).origin}/claim`,
    });
    expect(relaxed.status).toBe(202);
  });

  it('checks the scope before the feature flag and the flag before the claim', async () => {
    h.sim.setAccount({ scopes: [], claimed: false, features: { paymentsWrite: false } });
    const scope = await h.call('POST', '/milestones/M-1001/fund');
    h.sim.setAccount({ scopes: ['payments:write'] });
    const feature = await h.call('POST', '/milestones/M-1001/fund');

    expect(scope.body.details.requiredScopes).toEqual(['payments:write']);
    expect(feature.status).toBe(403);
    expect(feature.body.details.featureKey).toBe('public_api_payments_write');
  });

  it('answers 404 for an unknown milestone', async () => {
    const res = await h.call('POST', '/milestones/M-9999/fund');

    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({
      code: 'NOT_FOUND',
      details: { resource: 'milestones', milestoneId: 'M-9999' },
    });
  });

  it.each([
    ['M-1003', { reason: 'milestone_not_fundable', status: 'ACTIVE_FUNDED' }],
    ['M-1004', { reason: 'milestone_cancelled' }],
    ['M-1005', { reason: 'contract_ended', contractId: 'C-503' }],
  ])('answers 409 for %s with %o', async (milestoneId, details) => {
    const res = await h.call('POST', `/milestones/${milestoneId}/fund`);

    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CONFLICT');
    expect(res.body.details).toEqual(details);
  });

  it('answers 409 payment_method_required with a billingUrl when no payment method is on file', async () => {
    h.sim.setAccount({ paymentMethod: false });

    const res = await h.call('POST', '/milestones/M-1002/fund');

    expect(res.status).toBe(409);
    expect(res.body.details).toEqual({
      reason: 'payment_method_required',
      billingUrl: `${new URL(h.baseUrl).origin}/settings/billing`,
    });
  });

  it('logs every request so a test can prove what reached OpenTrain', async () => {
    await h.call('POST', '/milestones/M-1001/fund');
    await h.call('GET', '/contracts?status=active');

    expect(h.sim.requests.map((r) => [r.method, r.path, r.query, r.status])).toEqual([
      ['POST', '/milestones/M-1001/fund', '', 202],
      ['GET', '/contracts', 'status=active', 200],
    ]);
  });
});
