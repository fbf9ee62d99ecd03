import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ShiftableClock } from '../../../src/clock.js';
import { createOpenTrainSimulator } from '../../../src/sandbox/opentrain/simulator.js';
import { type ApiResponse, type Harness, startSimulator } from './harness.js';

describe('simulator controls over HTTP', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  async function control(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Omit<ApiResponse, 'headers'>> {
    const res = await fetch(`${h.sim.origin}/_sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  it('creates, confirms and inspects approvals without touching the API request log', async () => {
    h = await startSimulator();

    const created = await control('POST', '/approvals', { type: 'milestone_fund', milestoneId: 'M-1002' });
    const confirmed = await control('POST', `/approvals/${created.body.approval.id}/confirm`);
    const snapshot = await control('GET', '/snapshot');

    expect(created.status).toBe(201);
    expect(confirmed.body.approval).toMatchObject({
      status: 'confirmed',
      result: { invoiceId: expect.any(String) },
    });
    expect(snapshot.body.milestones.find((m: { id: string }) => m.id === 'M-1002').status).toBe(
      'ACTIVE_FUNDED',
    );
    expect(snapshot.body.events.map((e: { type: string }) => e.type)).toEqual([
      'milestone.status_changed',
      'approval.confirmed',
    ]);
    expect(h.sim.requests).toEqual([]);
  });

  it('patches the account, moves milestones and validates its input', async () => {
    h = await startSimulator();

    const account = await control('PATCH', '/account', { paymentMethod: false, features: { hiring: false } });
    const moved = await control('POST', '/milestones/M-1001/status', { status: 'CANCELLED' });
    const badStatus = await control('POST', '/milestones/M-1001/status', { status: 'LOST' });
    const unknown = await control('POST', '/approvals/A-1/confirm');
    const badApproval = await control('POST', '/approvals', { type: 'milestone_fund' });

    expect(account.body.account).toMatchObject({
      paymentMethod: false,
      features: { paymentsWrite: true, webhooks: true, hiring: false },
    });
    expect(moved.body.milestone).toMatchObject({ id: 'M-1001', status: 'CANCELLED' });
    expect((await h.call('POST', '/milestones/M-1001/fund')).body.details.reason).toBe('milestone_cancelled');
    expect(badStatus.status).toBe(400);
    expect(unknown.status).toBe(404);
    expect(badApproval.status).toBe(400);
    expect(badApproval.body.details.field).toBe('milestoneId');
  });

  it('mounts in a host server through handle(), with approvalUrl on the public base URL', async () => {
    h = await startSimulator();
    const sim = createOpenTrainSimulator({
      clock: new ShiftableClock(),
      publicBaseUrl: 'https://sandbox.test/',
    });
    const host = createServer((req, res) =>
      sim.handle(req, res, () => {
        res.writeHead(418).end('host');
      }),
    );
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;

    try {
      const funded = await fetch(`${origin}/api/public/v1/milestones/M-1001/fund`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sim.token}` },
      });
      const other = await fetch(`${origin}/somewhere-else`);

      const { approval } = (await funded.json()) as { approval: { id: string; approvalUrl: string } };
      expect(funded.status).toBe(202);
      expect(approval.approvalUrl).toBe(`https://sandbox.test/approvals/${approval.id}`);
      expect(other.status).toBe(418);
      expect(sim.token).toBe('ot_pat_sandbox_0000_secret');
    } finally {
      await sim.close();
      host.closeAllConnections();
      await new Promise<void>((resolve) => host.close(() => resolve()));
    }
  });
});
