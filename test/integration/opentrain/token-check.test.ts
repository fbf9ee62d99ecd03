import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ShiftableClock } from '../../../src/clock.js';
import { createOpenTrainClient } from '../../../src/opentrain/client.js';
import { checkOpenTrainToken } from '../../../src/opentrain/token-check.js';
import {
  createOpenTrainSimulator,
  type OpenTrainSimulator,
} from '../../../src/sandbox/opentrain/simulator.js';

describe('checkOpenTrainToken against the simulator', () => {
  const clock = new ShiftableClock();
  let sim: OpenTrainSimulator;
  let baseUrl: string;

  function clientWith(token: string, url = baseUrl) {
    return createOpenTrainClient({
      baseUrl: url,
      token,
      clock,
      log: pino({ level: 'silent' }),
      timeoutMs: 500,
      retry: { baseMs: 10, maxMs: 50 },
    });
  }

  beforeAll(async () => {
    sim = createOpenTrainSimulator({ clock });
    baseUrl = await sim.listen();
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.clearFaults();
    sim.clearRequests();
    sim.setAccount({ scopes: ['payments:read', 'payments:write', 'webhooks:manage'] });
  });

  it('passes a token with payments:write and lists its scopes', async () => {
    const verdict = await checkOpenTrainToken(clientWith(sim.token));

    expect(verdict).toEqual({
      kind: 'ok',
      scopes: ['payments:read', 'payments:write', 'webhooks:manage'],
      tokenLabel: 'countersign-sandbox',
    });
    expect(sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /auth/me']);
  });

  it('names the missing payments:write and lists the scopes the token has (the sandbox switch)', async () => {
    sim.setAccount({ scopes: ['payments:read', 'webhooks:manage'] });

    const verdict = await checkOpenTrainToken(clientWith(sim.token));

    expect(verdict).toEqual({ kind: 'missing-payments-write', scopes: ['payments:read', 'webhooks:manage'] });
  });

  it('reports a token OpenTrain does not accept as unauthorized', async () => {
    const verdict = await checkOpenTrainToken(clientWith('ot_pat_revoked_token'));

    expect(verdict).toMatchObject({ kind: 'unauthorized', status: 401, requestId: expect.any(String) });
  });

  it('reports a token whose user is gone (404 from /auth/me) as unauthorized too', async () => {
    sim.injectFault({ method: 'GET', path: '/auth/me', status: 404 });

    const verdict = await checkOpenTrainToken(clientWith(sim.token));

    expect(verdict).toMatchObject({ kind: 'unauthorized', status: 404 });
  });

  it.each([
    ['a 503', { status: 503 }, 'unavailable'],
    ['a dropped connection', { drop: 'reset' as const }, 'network'],
    ['a 429', { status: 429, retryAfter: 30 }, 'rate-limited'],
  ])('reports %s as unreachable after one try', async (_label, fault, failure) => {
    sim.injectFault({ method: 'GET', path: '/auth/me', times: 5, ...fault });

    const verdict = await checkOpenTrainToken(clientWith(sim.token));

    expect(verdict).toMatchObject({ kind: 'unreachable', failure });
    expect(sim.requests).toHaveLength(1);
  });

  it('reports nothing listening as unreachable', async () => {
    const verdict = await checkOpenTrainToken(clientWith(sim.token, 'http://127.0.0.1:9/api/public/v1'));

    expect(verdict).toMatchObject({ kind: 'unreachable', failure: 'network' });
  });

  it('does not guess from an answer in an undocumented shape', async () => {
    sim.injectFault({ method: 'GET', path: '/auth/me', status: 200, body: { token: { id: 'T-1' } } });

    const verdict = await checkOpenTrainToken(clientWith(sim.token));

    expect(verdict).toMatchObject({ kind: 'unexpected', failure: 'bad-response' });
  });
});
