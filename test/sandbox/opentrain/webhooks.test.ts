import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Harness, type Receiver, startReceiver, startSimulator } from './harness.js';

const day = 24 * 60 * 60 * 1000;

/** The receiver recipe from the docs, written independently of the simulator's signing code. */
function verify(secret: string, header: string, rawBody: string): { ok: boolean; t: number } {
  const parts = new Map(header.split(',').map((kv) => kv.split('=') as [string, string]));
  const t = Number(parts.get('t'));
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(parts.get('v1') ?? '', 'hex');
  return { ok: given.length === expected.length && timingSafeEqual(given, expected), t };
}

describe('webhooks', () => {
  let h: Harness;
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await h.close();
    await receiver?.close();
    receiver = undefined;
  });

  async function subscribe(
    url: string,
    eventTypes = ['approval.confirmed'],
  ): Promise<{ id: string; secret: string }> {
    const res = await h.call('POST', '/webhooks', { body: { url, eventTypes } });
    expect(res.status).toBe(201);
    return { id: res.body.webhook.id, secret: res.body.secret };
  }

  /** One approval.confirmed event per call. */
  async function declineAFunding(): Promise<void> {
    const { body } = await h.call('POST', '/milestones/M-1001/fund');
    h.sim.decline(body.approval.id);
  }

  it('creates, lists newest first without secrets, gets and deletes subscriptions', async () => {
    h = await startSimulator();

    const created = await h.call('POST', '/webhooks', {
      body: { url: 'https://example.com/hooks/a', eventTypes: ['approval.confirmed', 'approval.confirmed'] },
    });
    await subscribe('http://localhost:9/hooks/b', ['milestone.status_changed']);
    const list = await h.call('GET', '/webhooks');
    const one = await h.call('GET', `/webhooks/${created.body.webhook.id}`);
    const deleted = await h.call('DELETE', `/webhooks/${created.body.webhook.id}`);
    const gone = await h.call('GET', `/webhooks/${created.body.webhook.id}`);

    expect(created.body).toEqual({
      webhook: {
        id: expect.any(String),
        url: 'https://example.com/hooks/a',
        eventTypes: ['approval.confirmed'],
        status: 'ACTIVE',
        createdAt: expect.any(String),
        disabledAt: null,
        disabledReason: null,
      },
      secret: expect.stringMatching(/^whsec_[0-9a-f]{48}$/),
      message: expect.stringContaining('only returned once'),
    });
    expect(list.body.webhooks.map((w: { url: string }) => w.url)).toEqual([
      'http://localhost:9/hooks/b',
      'https://example.com/hooks/a',
    ]);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    expect(one.body).toEqual({ webhook: created.body.webhook });
    expect(deleted.body).toEqual({ webhook: created.body.webhook, deleted: true });
    expect(gone.status).toBe(404);
    expect(gone.body.details).toEqual({ resource: 'webhooks', webhookId: created.body.webhook.id });
  });

  it.each([
    [{ url: 'http://example.com/h', eventTypes: ['approval.confirmed'] }, 400, 'url'],
    [{ url: '/relative', eventTypes: ['approval.confirmed'] }, 400, 'url'],
    [{ url: `https://example.com/${'a'.repeat(2040)}`, eventTypes: ['approval.confirmed'] }, 400, 'url'],
    [{ url: 'https://example.com/h', eventTypes: [] }, 400, 'eventTypes'],
    [{ url: 'https://example.com/h', eventTypes: ['approval.created'] }, 400, 'eventTypes'],
  ])('rejects %o', async (body, status, field) => {
    h = await startSimulator();

    const res = await h.call('POST', '/webhooks', { body });

    expect(res.status).toBe(status);
    expect(res.body.details.field).toBe(field);
  });

  it('enforces the scope, the feature flag, the read scopes of the events, and the limit of 10', async () => {
    h = await startSimulator();
    const url = 'https://example.com/h';

    const unreadable = await h.call('POST', '/webhooks', {
      body: { url, eventTypes: ['proposal.received'] },
    });
    for (let i = 0; i < 10; i += 1) await subscribe(url);
    const eleventh = await h.call('POST', '/webhooks', { body: { url, eventTypes: ['approval.confirmed'] } });
    h.sim.setAccount({ features: { webhooks: false } });
    const flagOff = await h.call('GET', '/webhooks');
    h.sim.setAccount({ scopes: ['payments:read'] });
    const noScope = await h.call('GET', '/webhooks');

    expect(unreadable.status).toBe(403);
    expect(unreadable.body.details).toEqual({ requiredScopes: ['proposals:read'] });
    expect(eleventh.status).toBe(409);
    expect(eleventh.body.details).toMatchObject({ reason: 'webhook_limit_reached', limit: 10 });
    expect(flagOff.status).toBe(403);
    expect(flagOff.body.details).toEqual({ featureKey: 'public_api_webhooks', mode: 'ALLOWLIST' });
    expect(noScope.body.details).toEqual({ requiredScopes: ['webhooks:manage'] });
  });

  it('delivers each new event, signed with the secret and the simulated time, body exactly the event record', async () => {
    h = await startSimulator();
    receiver = await startReceiver();
    await declineAFunding(); // before the subscription: never delivered (no backfill)
    const { secret } = await subscribe(receiver.url);
    h.clock.advance(3 * day);

    await declineAFunding();
    await h.sim.idle();

    expect(receiver.received).toHaveLength(1);
    const [hook] = receiver.received;
    const feed = await h.call('GET', '/updates');
    expect(JSON.parse(hook?.rawBody ?? '')).toEqual(feed.body.events[1]);
    expect(hook?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'OpenTrain-Webhooks/1.0',
      'x-opentrain-event': 'approval.confirmed',
      'x-opentrain-delivery': expect.stringMatching(/^dlv_/),
    });
    const { ok, t } = verify(secret, String(hook?.headers['x-opentrain-signature']), hook?.rawBody ?? '');
    expect(ok).toBe(true);
    expect(Math.abs(t - h.clock.now().getTime() / 1000)).toBeLessThan(5);
    expect(t - Date.now() / 1000).toBeGreaterThan(2.9 * 86_400);
    expect(
      verify('whsec_other', String(hook?.headers['x-opentrain-signature']), hook?.rawBody ?? '').ok,
    ).toBe(false);
  });

  it('retries a failed delivery with the same delivery id until it succeeds', async () => {
    h = await startSimulator({ webhookRetryDelaysMs: [5, 5, 5, 5] });
    receiver = await startReceiver([500, 404]);
    const { secret } = await subscribe(receiver.url);

    await declineAFunding();
    await h.sim.idle();

    expect(receiver.received).toHaveLength(3);
    const ids = receiver.received.map((r) => r.headers['x-opentrain-delivery']);
    expect(new Set(ids).size).toBe(1);
    for (const r of receiver.received) {
      expect(verify(secret, String(r.headers['x-opentrain-signature']), r.rawBody).ok).toBe(true);
    }
    expect(h.sim.deliveries).toHaveLength(1);
    expect(h.sim.deliveries[0]).toMatchObject({ state: 'succeeded', id: ids[0] });
    expect(h.sim.deliveries[0]?.attempts.map((a) => a.status)).toEqual([500, 404, 200]);
  });

  it('deliverNow() runs waiting retries at once', async () => {
    h = await startSimulator({ webhookRetryDelaysMs: [60_000] });
    receiver = await startReceiver([503]);
    await subscribe(receiver.url);
    await declineAFunding();

    await vi.waitFor(() => expect(receiver?.received).toHaveLength(1));
    await h.sim.deliverNow();

    expect(receiver.received).toHaveLength(2);
    expect(h.sim.deliveries[0]?.state).toBe('succeeded');
  });

  it('gives up after 5 attempts and disables the webhook after 10 consecutive failed deliveries', async () => {
    h = await startSimulator({ webhookRetryDelaysMs: [1, 1, 1, 1] });
    receiver = await startReceiver(Array.from({ length: 100 }, () => 500));
    const { id } = await subscribe(receiver.url);

    for (let i = 0; i < 9; i += 1) await declineAFunding();
    await h.sim.idle();
    const afterNine = await h.call('GET', `/webhooks/${id}`);
    await declineAFunding();
    await h.sim.idle();
    const afterTen = await h.call('GET', `/webhooks/${id}`);
    await declineAFunding();
    await h.sim.idle();

    expect(afterNine.body.webhook.status).toBe('ACTIVE');
    expect(afterTen.body.webhook).toMatchObject({
      status: 'DISABLED',
      disabledAt: expect.any(String),
      disabledReason: 'Disabled after repeated delivery failures',
    });
    expect(receiver.received).toHaveLength(50);
    expect(h.sim.deliveries).toHaveLength(10);
    expect(h.sim.deliveries.every((d) => d.state === 'failed' && d.attempts.length === 5)).toBe(true);
  });

  it('a success resets the count of consecutive failures', async () => {
    h = await startSimulator({ webhookRetryDelaysMs: [], webhookDisableAfterFailures: 3 });
    receiver = await startReceiver([500, 500, 200, 500, 500]);
    const { id } = await subscribe(receiver.url);

    for (let i = 0; i < 5; i += 1) {
      await declineAFunding();
      await h.sim.idle();
    }

    expect((await h.call('GET', `/webhooks/${id}`)).body.webhook.status).toBe('ACTIVE');
    expect(h.sim.deliveries.map((d) => d.state)).toEqual([
      'failed',
      'failed',
      'succeeded',
      'failed',
      'failed',
    ]);
  });

  it('deleting a webhook stops its pending retries', async () => {
    h = await startSimulator({ webhookRetryDelaysMs: [60_000] });
    receiver = await startReceiver([500]);
    const { id } = await subscribe(receiver.url);
    await declineAFunding();
    await vi.waitFor(() => expect(receiver?.received).toHaveLength(1));

    await h.call('DELETE', `/webhooks/${id}`);
    await h.sim.idle();

    expect(receiver.received).toHaveLength(1);
    expect(h.sim.deliveries).toEqual([]);
  });
});
