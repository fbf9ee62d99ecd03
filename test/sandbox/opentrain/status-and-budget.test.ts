import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiResponse, type Harness, startSimulator } from './harness.js';

async function control(h: Harness, path: string, body: unknown): Promise<Omit<ApiResponse, 'headers'>> {
  const res = await fetch(`${h.sim.origin}/_sim${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('an approval status outside the documented four', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startSimulator();
  });
  afterEach(async () => {
    await h.close();
  });

  it('is reported by GET /approvals/{id} and, when asked, by an approval.confirmed event', async () => {
    const { body } = await h.call('POST', '/milestones/M-1001/fund');
    const id = body.approval.id;

    const set = await control(h, `/approvals/${id}/status`, { status: 'on_hold', event: true });
    const read = await h.call('GET', `/approvals/${id}`);
    const feed = await h.call('GET', '/updates');

    expect(set.status).toBe(200);
    expect(read.body.approval).toMatchObject({ id, status: 'on_hold', resolvedAt: null, result: null });
    expect(feed.body.events.at(-1)).toMatchObject({
      type: 'approval.confirmed',
      resourceId: id,
      data: { approvalId: id, status: 'on_hold' },
    });
  });

  it('stays pending underneath: a confirmation still works and replaces the word', async () => {
    const { body } = await h.call('POST', '/milestones/M-1001/fund');
    const id = body.approval.id;
    h.sim.reportStatus(id, 'under_review');
    const eventsBefore = h.sim.snapshot().events.length;

    const again = await h.call('POST', '/milestones/M-1001/fund');
    const confirmed = h.sim.confirm(id);

    expect(again.body.approval).toMatchObject({ id, status: 'under_review' });
    expect(h.sim.snapshot().events.length).toBeGreaterThan(eventsBefore);
    expect(confirmed.status).toBe('confirmed');
    expect((await h.call('GET', `/approvals/${id}`)).body.approval.status).toBe('confirmed');
  });

  it('goes back to the real status with pending, and refuses the documented words and resolved approvals', async () => {
    const { body } = await h.call('POST', '/milestones/M-1002/fund');
    const id = body.approval.id;
    h.sim.reportStatus(id, 'on_hold');

    h.sim.reportStatus(id, 'pending');
    const documented = await control(h, `/approvals/${id}/status`, { status: 'declined' });
    const malformed = await control(h, `/approvals/${id}/status`, { status: 'On Hold!' });
    h.sim.decline(id);
    const resolved = await control(h, `/approvals/${id}/status`, { status: 'on_hold' });

    expect(h.sim.snapshot().approvals.find((a) => a.id === id)?.status).toBe('declined');
    expect(documented.status).toBe(400);
    expect(documented.body.error).toContain('Use confirm, decline or expire');
    expect(malformed.status).toBe(400);
    expect(malformed.body.details.field).toBe('status');
    expect(resolved.status).toBe(409);
  });
});

describe('contract budgets and contract.budget_state_changed', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startSimulator();
    h.sim.addContract({
      id: 'C-900',
      jobId: 'J-900',
      title: 'Audio transcription, hourly',
      paymentType: 'PAY_PER_HOUR',
      rateUsd: 20,
      freelancer: { userId: 'F-90', displayName: 'Noor K.', country: 'Egypt' },
    });
  });
  afterEach(async () => {
    await h.close();
  });

  it('emits the documented event when usage crosses 80 % and again at 100 %, and not in between', async () => {
    h.sim.recordUsage('C-900', { fundedVolume: 40, consumedVolume: 10 });
    h.sim.recordUsage('C-900', { consumedVolume: 32 });
    h.sim.recordUsage('C-900', { consumedVolume: 36 });
    const depleted = await control(h, '/contracts/C-900/usage', { consumedVolume: 40 });

    const { body } = await h.call('GET', '/updates');
    const budgetEvents = body.events.filter(
      (e: { type: string }) => e.type === 'contract.budget_state_changed',
    );
    expect(budgetEvents).toHaveLength(2);
    expect(budgetEvents[0]).toMatchObject({
      resourceId: 'C-900',
      jobId: 'J-900',
      data: {
        contractId: 'C-900',
        previousState: 'OK',
        state: 'LOW',
        paymentType: 'PAY_PER_HOUR',
        fundedVolume: 40,
        consumedVolume: 32,
        remainingVolume: 8,
        consumedFraction: 0.8,
      },
    });
    expect(Object.keys(budgetEvents[0].data).sort()).toEqual(
      [
        'consumedFraction',
        'consumedVolume',
        'contractId',
        'fundedVolume',
        'paymentType',
        'previousState',
        'remainingVolume',
        'state',
      ].sort(),
    );
    expect(budgetEvents[1].data).toMatchObject({
      previousState: 'LOW',
      state: 'DEPLETED',
      remainingVolume: 0,
    });
    expect(depleted.body.contract.budget).toMatchObject({ state: 'DEPLETED', consumed: { hours: 40 } });
  });

  it('shows the budget on GET /contracts/{id}', async () => {
    h.sim.recordUsage('C-900', { fundedVolume: 50, consumedVolume: 5 });

    const { body } = await h.call('GET', '/contracts/C-900');

    expect(body.contract.budget).toMatchObject({
      contractId: 'C-900',
      paymentType: 'PAY_PER_HOUR',
      state: 'OK',
      fundedVolume: 50,
      consumedVolume: 5,
      remainingVolume: 45,
      consumedFraction: 0.1,
      lastUsageAt: expect.any(String),
    });
  });

  it('keeps fixed-price contracts OK, as documented, by refusing usage on them', async () => {
    const refused = await control(h, '/contracts/C-501/usage', { consumedVolume: 3 });

    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain('fixed-price');
    expect((await h.call('GET', '/contracts/C-501')).body.contract.budget.state).toBe('OK');
  });
});
