import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startSimulator } from './harness.js';

const hours = 60 * 60 * 1000;

describe('approvals', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startSimulator();
  });
  afterEach(async () => {
    await h.close();
  });

  async function fund(milestoneId = 'M-1001'): Promise<{ id: string; expiresAt: string }> {
    return (await h.call('POST', `/milestones/${milestoneId}/fund`)).body.approval;
  }

  async function updates(): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
    return (await h.call('GET', '/updates')).body.events;
  }

  it('flips a lapsed approval to expired when it is read, with resolvedAt = expiresAt, and emits the event', async () => {
    const approval = await fund();
    h.clock.advance(72 * hours - 1000);
    const stillPending = await h.call('GET', `/approvals/${approval.id}`);
    h.clock.advance(2000);
    expect(await updates()).toEqual([]);

    const read = await h.call('GET', `/approvals/${approval.id}`);

    expect(stillPending.body.approval.status).toBe('pending');
    expect(read.status).toBe(200);
    expect(read.body.approval).toMatchObject({
      status: 'expired',
      resolvedAt: approval.expiresAt,
      result: null,
    });
    const events = await updates();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'approval.confirmed',
      apiVersion: 'v1',
      resourceId: approval.id,
      jobId: 'J-100',
      data: { approvalId: approval.id, status: 'expired' },
    });
    const again = await h.call('GET', `/approvals/${approval.id}`);
    expect(again.body.approval.status).toBe('expired');
    expect(await updates()).toHaveLength(1);
  });

  it('confirming a fund approval funds the milestone and reports invoice and payment intent', async () => {
    const approval = await fund();

    const confirmed = h.sim.confirm(approval.id);
    const read = await h.call('GET', `/approvals/${approval.id}`);
    const contract = await h.call('GET', '/contracts/C-501');

    expect(confirmed.status).toBe('confirmed');
    expect(read.body.approval).toMatchObject({
      status: 'confirmed',
      resolvedAt: expect.any(String),
      result: { invoiceId: expect.stringMatching(/^INV-/), paymentIntentId: expect.stringMatching(/^PI-/) },
    });
    const milestone = contract.body.contract.milestones.find((m: { id: string }) => m.id === 'M-1001');
    expect(milestone).toMatchObject({
      status: 'ACTIVE_FUNDED',
      pendingApproval: false,
      invoiceId: read.body.approval.result.invoiceId,
    });
    expect((await updates()).map((e) => [e.type, e.data])).toEqual([
      ['milestone.status_changed', { milestoneId: 'M-1001', contractId: 'C-501', status: 'ACTIVE_FUNDED' }],
      ['approval.confirmed', { approvalId: approval.id, status: 'confirmed' }],
    ]);
  });

  it('declining leaves the milestone alone and emits approval.confirmed with status declined', async () => {
    const approval = await fund();

    h.sim.decline(approval.id);
    const read = await h.call('GET', `/approvals/${approval.id}`);

    expect(read.body.approval).toMatchObject({
      status: 'declined',
      result: null,
      resolvedAt: expect.any(String),
    });
    expect(h.sim.snapshot().milestones.find((m) => m.id === 'M-1001')?.status).toBe('NOT_FUNDED');
    expect((await updates()).map((e) => e.data)).toEqual([{ approvalId: approval.id, status: 'declined' }]);
  });

  it('refuses to resolve an approval twice, over HTTP and as a method', async () => {
    const approval = await fund();
    h.sim.confirm(approval.id);

    const res = await fetch(`${h.sim.origin}/_sim/approvals/${approval.id}/decline`, { method: 'POST' });

    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({
      code: 'CONFLICT',
      error: expect.stringContaining('already confirmed'),
      details: { reason: 'approval_not_pending', status: 'confirmed' },
    });
    expect(() => h.sim.expire(approval.id)).toThrow(/already confirmed/);
  });

  it('force-expires a pending approval before its expiresAt', async () => {
    const approval = await fund();

    const expired = h.sim.expire(approval.id);

    expect(expired.status).toBe('expired');
    expect(expired.resolvedAt).toBe(h.sim.snapshot().approvals[0]?.resolvedAt);
    expect(Date.parse(expired.expiresAt)).toBeLessThan(Date.parse(approval.expiresAt));
    expect((await updates()).map((e) => e.data.status)).toEqual(['expired']);
  });

  it('answers 404 for an unknown approval and 403 without payments:read', async () => {
    const missing = await h.call('GET', '/approvals/A-404');
    h.sim.setAccount({ scopes: ['webhooks:manage'] });
    const forbidden = await h.call('GET', '/approvals/A-404');

    expect(missing.status).toBe(404);
    expect(missing.body.details).toEqual({ resource: 'approvals', approvalId: 'A-404' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.details).toEqual({ requiredScopes: ['payments:read'] });
  });

  it('lets another system create approvals of every type, each with its documented result', async () => {
    const release = h.sim.createApproval({ type: 'milestone_approve', milestoneId: 'M-1003' });
    const hire = h.sim.createApproval({ type: 'proposal_hire', proposalId: 'P-801' });
    const end = h.sim.createApproval({ type: 'contract_end', contractId: 'C-502' });

    expect(hire).toMatchObject({ contractId: null, milestoneId: null, proposalId: 'P-801', jobId: 'J-300' });
    expect(end).toMatchObject({ milestoneId: null, proposalId: null, contractId: 'C-502' });
    expect(h.sim.confirm(release.id).result).toEqual({
      invoiceId: 'INV-7001',
      payoutTransactionId: expect.stringMatching(/^PO-/),
    });
    const hired = h.sim.confirm(hire.id);
    expect(hired.result).toEqual({
      hired: true,
      contractId: hired.contractId,
      jobId: 'J-300',
      freelancerUserId: 'F-14',
    });
    expect(hired.milestoneId).toMatch(/^M-/);
    expect(h.sim.confirm(end.id).result).toEqual({ contractEnded: true });
    const snapshot = h.sim.snapshot();
    expect(snapshot.milestones.find((m) => m.id === 'M-1003')?.status).toBe('PAID');
    expect(snapshot.contracts.find((c) => c.id === 'C-502')?.status).toBe('ended');
    expect(snapshot.contracts.find((c) => c.id === hired.contractId)?.freelancer.displayName).toBe(
      'Kenji T.',
    );
    // proposal.status_changed needs proposals:read, which the default token lacks: it is filtered out.
    const visible = (await updates()).map((e) => e.type);
    h.sim.setAccount({ scopes: ['payments:read', 'proposals:read'] });
    const all = (await updates()).map((e) => e.type);

    expect(visible).toEqual([
      'milestone.status_changed',
      'approval.confirmed',
      'contract.created',
      'milestone.status_changed',
      'milestone.status_changed',
      'approval.confirmed',
      'approval.confirmed',
    ]);
    expect(all).toEqual([...visible.slice(0, 5), 'proposal.status_changed', ...visible.slice(5)]);
  });

  it('approve needs an ACTIVE_FUNDED milestone and is idempotent while pending', async () => {
    const notFunded = await h.call('POST', '/milestones/M-1001/approve');
    const first = await h.call('POST', '/milestones/M-1003/approve');
    const second = await h.call('POST', '/milestones/M-1003/approve');

    expect(notFunded.status).toBe(409);
    expect(notFunded.body.details).toEqual({ reason: 'milestone_not_funded', status: 'NOT_FUNDED' });
    expect(first.status).toBe(202);
    expect(first.body.approval).toMatchObject({
      type: 'milestone_approve',
      milestoneId: 'M-1003',
      proposalId: null,
    });
    expect(first.body.message).toContain('Release request recorded');
    expect(second.body.approval.id).toBe(first.body.approval.id);
  });

  it('ends a contract directly without funded milestones and through an approval with them', async () => {
    const direct = await h.call('POST', '/contracts/C-502/end');
    const again = await h.call('POST', '/contracts/C-502/end');
    const cosigned = await h.call('POST', '/contracts/C-501/end');

    expect(direct.status).toBe(200);
    expect(direct.body).toEqual({ ok: true, contractId: 'C-502', status: 'ended' });
    expect(again.status).toBe(409);
    expect(again.body.details).toEqual({ reason: 'contract_ended', contractId: 'C-502' });
    expect(cosigned.status).toBe(202);
    expect(cosigned.body.approval).toMatchObject({
      type: 'contract_end',
      contractId: 'C-501',
      milestoneId: null,
    });
  });

  it('hire returns the same approval for the same terms and supersedes it for new terms', async () => {
    h.sim.setAccount({ scopes: ['payments:read', 'proposals:write'] });
    const terms = { milestone: { name: 'First review batch', amount: 300, dueDate: '2026-07-01' } };
    const first = await h.call('POST', '/proposals/P-801/hire', { body: terms });
    const same = await h.call('POST', '/proposals/P-801/hire', { body: terms });
    const changed = await h.call('POST', '/proposals/P-801/hire', {
      body: { milestone: { name: 'X', amount: 400 } },
    });
    const invalid = await h.call('POST', '/proposals/P-801/hire', { body: { milestone: { amount: 5 } } });

    expect(first.status).toBe(202);
    expect(first.body.approval).toMatchObject({
      type: 'proposal_hire',
      contractId: null,
      proposalId: 'P-801',
    });
    expect(same.body.approval.id).toBe(first.body.approval.id);
    expect(changed.body.approval.id).not.toBe(first.body.approval.id);
    expect((await h.call('GET', `/approvals/${first.body.approval.id}`)).body.approval.status).toBe(
      'expired',
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body.details.field).toBe('milestone.name');
  });

  it('serves an approval page whose Confirm form funds the milestone', async () => {
    const approval = await fund('M-1002');

    const page = await fetch(`${h.sim.origin}/approvals/${approval.id}`);
    const html = await page.text();
    const posted = await fetch(`${h.sim.origin}/_sim/approvals/${approval.id}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    });
    const after = await (await fetch(`${h.sim.origin}${posted.headers.get('location')}`)).text();

    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('QA pass on 500 transcripts');
    expect(html).toContain('$1,250.00');
    expect(html).toContain('Amara O.');
    expect(html).toContain(`action="/_sim/approvals/${approval.id}/confirm"`);
    expect(posted.status).toBe(303);
    expect(after).toContain('the approval is now confirmed');
    expect(after).not.toContain('<form');
  });

  it('words the approval page for a person: dates, statuses and "AI trainer", no wire values', async () => {
    const approval = await fund('M-1002');
    h.clock.advance(2 * 3_600_000);

    const html = await (await fetch(`${h.sim.origin}/approvals/${approval.id}`)).text();
    h.sim.reportStatus(approval.id, 'on_hold');
    const onHold = await (await fetch(`${h.sim.origin}/approvals/${approval.id}`)).text();

    const text = html.replace(/<[^>]+>/g, ' ');
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
    expect(text).not.toMatch(/NOT_FUNDED|ACTIVE_FUNDED|Freelancer/);
    expect(text).toContain('AI trainer');
    expect(text).toContain('Amara O., Nigeria');
    expect(text).toContain('(M-1002, not funded)');
    expect(text).toContain('Pending: waiting for a signed-in person');
    expect(text).toMatch(/Requested\s+\w{3}, \w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M UTC \(2 hours ago\)/);
    expect(text).toMatch(/Expires\s+.* UTC \(in 3 days\)/);
    expect(onHold).toContain('On hold');
  });

  it('escapes everything it puts on the approval page', async () => {
    h.sim.addContract({
      id: 'C-900',
      jobId: 'J-900',
      title: '<script>alert(1)</script>',
      freelancer: { userId: 'F-9', displayName: '"Eve" <e>' },
      milestones: [{ id: 'M-900', name: '<img src=x onerror=alert(1)>', amountUsd: 5 }],
    });
    const approval = await fund('M-900');

    const html = await (await fetch(`${h.sim.origin}/approvals/${approval.id}`)).text();

    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&quot;Eve&quot; &lt;e&gt;');
  });
});
