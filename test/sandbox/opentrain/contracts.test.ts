import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startSimulator } from './harness.js';

describe('contract reads, identity and capabilities', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startSimulator();
  });
  afterEach(async () => {
    await h.close();
  });

  it('GET /contracts/{id} has the documented shape and leaves cancelled milestones out', async () => {
    const res = await h.call('GET', '/contracts/C-501');

    expect(res.status).toBe(200);
    const { contract } = res.body;
    expect(contract).toMatchObject({
      id: 'C-501',
      status: 'active',
      title: 'Spanish Sentiment Labeling Contract',
      jobId: 'J-100',
      paymentType: 'FIXED_PRICE',
      hasActiveMilestone: true,
      freelancer: {
        userId: 'F-11',
        displayName: 'Maria G.',
        country: 'Spain',
        profilePath: '/profile/maria-g',
      },
      jobDmConversationId: 'CONV-9001',
      budget: { contractId: 'C-501', state: 'OK', fundedAmountUsd: 150, activeMilestone: { id: 'M-1003' } },
    });
    expect(contract.milestones.map((m: { id: string }) => m.id)).toEqual(['M-1001', 'M-1003']);
    expect(Object.keys(contract.milestones[0]).sort()).toEqual(
      [
        'id',
        'name',
        'description',
        'status',
        'amountUsd',
        'volume',
        'milestoneNumber',
        'dueDate',
        'pendingApproval',
        'needsReview',
        'invoiceId',
        'createdAt',
      ].sort(),
    );
    expect(contract.milestones[0]).toMatchObject({
      name: 'First labeling batch',
      status: 'NOT_FUNDED',
      amountUsd: 300,
      pendingApproval: false,
      invoiceId: null,
    });
  });

  it('GET /contracts lists newest first without budget, filtered by status and jobId', async () => {
    const all = await h.call('GET', '/contracts');
    const ended = await h.call('GET', '/contracts?status=ended');
    const forJob = await h.call('GET', '/contracts?jobId=J-200');

    expect(all.body.contracts.map((c: { id: string }) => c.id)).toEqual(['C-502', 'C-501', 'C-503']);
    expect(all.body.contracts[0]).not.toHaveProperty('budget');
    expect(all.body.contracts[0]).not.toHaveProperty('jobDmConversationId');
    expect(ended.body.contracts.map((c: { id: string }) => c.id)).toEqual(['C-503']);
    expect(forJob.body.contracts.map((c: { id: string }) => c.id)).toEqual(['C-502']);
  });

  it('rejects an unknown status filter and answers 404 for unknown jobs and contracts', async () => {
    const badStatus = await h.call('GET', '/contracts?status=paused');
    const unknownJob = await h.call('GET', '/contracts?jobId=J-999');
    const unknownContract = await h.call('GET', '/contracts/C-999');

    expect(badStatus.status).toBe(400);
    expect(badStatus.body.details).toMatchObject({ field: 'status', supportedStatuses: ['active', 'ended'] });
    expect(unknownJob.status).toBe(404);
    expect(unknownContract.status).toBe(404);
    expect(unknownContract.body.details).toEqual({ resource: 'contracts', contractId: 'C-999' });
  });

  it('a contract read expires a lapsed approval, so pendingApproval goes back to false', async () => {
    await h.call('POST', '/milestones/M-1002/fund');
    h.clock.advance(73 * 60 * 60 * 1000);

    const res = await h.call('GET', '/contracts/C-502');

    expect(res.body.contract.milestones[0].pendingApproval).toBe(false);
    expect(h.sim.snapshot().approvals[0]?.status).toBe('expired');
  });

  it('shows contracts added at runtime', async () => {
    h.sim.addContract({
      id: 'C-777',
      jobId: 'J-777',
      title: 'Audio Transcription',
      freelancer: { userId: 'F-77', displayName: 'Sam K.', country: 'Kenya', profilePath: '/profile/sam-k' },
      milestones: [{ id: 'M-7771', name: 'Batch 1', amountUsd: 90 }],
    });

    const res = await h.call('GET', '/contracts/C-777');
    const fund = await h.call('POST', '/milestones/M-7771/fund');

    expect(res.body.contract.milestones[0]).toMatchObject({
      id: 'M-7771',
      milestoneNumber: 1,
      amountUsd: 90,
    });
    expect(fund.status).toBe(202);
  });

  it('GET /auth/me describes the owner and the token scopes', async () => {
    const res = await h.call('GET', '/auth/me');

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      actor: { userId: 'U-42', fullName: 'Mira Chen', userType: 'EMPLOYER' },
      token: { scopes: ['payments:read', 'payments:write', 'webhooks:manage'], ownerOrganizationId: null },
      account: { kind: 'employer_organization', memberRole: 'OWNER' },
    });
  });

  it('GET /auth/me lists only the scopes the token has', async () => {
    h.sim.setAccount({ scopes: ['payments:read', 'webhooks:manage'] });

    const res = await h.call('GET', '/auth/me');
    const stranger = await h.call('GET', '/auth/me', { token: 'ot_pat_someone_else' });

    expect(res.body.token.scopes).toEqual(['payments:read', 'webhooks:manage']);
    expect(stranger.status).toBe(401);
    expect(stranger.body.code).toBe('UNAUTHORIZED');
  });

  it('GET /job-drafts/capabilities answers 403 with featureKey public_api_job_drafting when drafting is off', async () => {
    h.sim.setAccount({ features: { jobDrafting: false } });

    const res = await h.call('GET', '/job-drafts/capabilities');

    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({
      code: 'FORBIDDEN',
      details: { featureKey: 'public_api_job_drafting', mode: 'ALLOWLIST' },
    });
    expect(res.body.capabilities).toBeUndefined();
  });

  it('GET /job-drafts/capabilities reflects the account feature flags', async () => {
    h.sim.setAccount({ features: { webhooks: false } });

    const res = await h.call('GET', '/job-drafts/capabilities');

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ enabled: true, authBootstrap: 'token' });
    expect(res.body.capabilities).toMatchObject({ paymentsWrite: true, webhooks: false, hiring: true });
  });

  it('answers unknown routes with a 404 envelope', async () => {
    const res = await h.call('GET', '/milestones/M-1001');

    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'NOT_FOUND', requestId: expect.any(String) });
  });
});
