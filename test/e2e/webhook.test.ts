import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hmacHeader } from '../helpers/hmac-header.js';
import { runCli } from './cli.js';
import { type Harness, ids, opentrainCalls, startHarness, waitForCard } from './harness.js';

const sign = hmacHeader;

describe('the OpenTrain webhook doorbell', () => {
  let h: Harness;
  let secret: string;

  beforeAll(async () => {
    // The poller is effectively off: only the doorbell can make the bot look at the feed.
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
    const cli = await runCli(['webhook', 'create', h.service.url], h.env);
    secret = /OPENTRAIN_WEBHOOK_SECRET=(whsec_\S+)/.exec(cli.stdout)?.[1] ?? '';
    await h.stopBot();
    Object.assign(h.env, {
      OPENTRAIN_WEBHOOK_SECRET: secret,
      PORT: new URL(cli.stdout.match(/→ (\S+)/)?.[1] ?? '').port,
    });
    await h.startBot();
  });
  afterAll(async () => {
    await h.close();
  });

  async function deliver(body: string, headers: Record<string, string>) {
    const response = await fetch(`${h.service.url}/opentrain/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  it('edits the card as soon as OpenTrain rings, without waiting for a poll', async () => {
    expect(secret).toMatch(/^whsec_/);
    await h.command('M-1001');
    const card = await waitForCard(h, ids.financeApprovals);
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';

    h.opentrain.confirm(approvalId);

    await h.slack.waitUntil(
      () =>
        JSON.stringify(h.slack.message(ids.financeApprovals, card.ts)?.blocks).includes('Milestone funded') ||
        undefined,
    );
    await h.opentrain.idle();
    expect(
      h.opentrain.deliveries.some((delivery) => JSON.stringify(delivery).includes('approval.confirmed')),
    ).toBe(true);
  });

  it('answers the delivery while the poll it rang is still waiting on a slow /updates, then edits the card', async () => {
    h.opentrain.clearFaults();
    await h.command('M-1002');
    const card = await waitForCard(h, ids.financeApprovals, (text) => text.includes('M-1002'));
    const approvalId = h.opentrain.snapshot().approvals.find((a) => a.milestoneId === 'M-1002')?.id ?? '';
    const funded = () =>
      JSON.stringify(h.slack.message(ids.financeApprovals, card.ts)?.blocks).includes('Milestone funded');
    // What happened, in the order the simulator saw it: its delivery being answered, the slow read returning.
    const timeline: string[] = [];
    let fundedWhenAnswered: boolean | undefined;
    const unsubscribe = h.opentrain.onChange((change) => {
      if (change.kind === 'delivery') {
        const delivery = h.opentrain.deliveries.find((d) => d.id === change.id);
        if (delivery?.eventType === 'approval.confirmed' && delivery.body.includes(approvalId)) {
          timeline.push(`delivery answered ${delivery.attempts.at(-1)?.status}`);
          fundedWhenAnswered = funded();
        }
      }
      const last = h.opentrain.requests.at(-1);
      if (change.kind === 'request' && last?.path === '/updates' && last.fault === 'latency') {
        timeline.push('slow /updates returned');
      }
    });
    h.opentrain.injectFault({ method: 'GET', path: '/updates', latencyMs: 4_000 });

    h.opentrain.confirm(approvalId);
    await h.slack.waitUntil(() => funded() || undefined, 15_000, 'the card edited to "Milestone funded"');
    unsubscribe();

    expect(timeline).toEqual(['delivery answered 202', 'slow /updates returned']);
    expect(fundedWhenAnswered).toBe(false);
    await h.opentrain.idle();
  });

  it('rings once per delivery id, however often OpenTrain redelivers it', async () => {
    const body = JSON.stringify({ id: '999', type: 'approval.confirmed', data: {} });
    const headers = { 'x-opentrain-delivery': 'dlv-replayed', 'x-opentrain-signature': sign(secret, body) };
    h.opentrain.clearRequests();

    const first = await deliver(body, headers);
    await h.service.pollNow();
    const polls = opentrainCalls(h, 'GET', '/updates').length;
    const replay = await deliver(body, headers);
    await h.service.pollNow();

    expect(first).toEqual({ status: 202, json: { ok: true, duplicate: false } });
    expect(replay).toEqual({ status: 202, json: { ok: true, duplicate: true } });
    expect(opentrainCalls(h, 'GET', '/updates')).toHaveLength(polls + 1);
  });

  it('folds a burst of deliveries into at most two polls', async () => {
    h.opentrain.injectFault({ method: 'GET', path: '/updates', latencyMs: 300 });
    h.opentrain.clearRequests();

    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, n) => {
        const body = JSON.stringify({ id: String(2_000 + n), type: 'approval.confirmed' });
        return deliver(body, {
          'x-opentrain-delivery': `dlv-burst-${n}`,
          'x-opentrain-signature': sign(secret, body),
        });
      }),
    );
    await vi.waitFor(() => expect(opentrainCalls(h, 'GET', '/updates').length).toBeGreaterThan(0));
    await h.service.pollNow();

    expect(answers.every((answer) => answer.status === 202)).toBe(true);
    // Two for the burst at most, plus the pollNow above.
    expect(opentrainCalls(h, 'GET', '/updates').length).toBeLessThanOrEqual(3);
  });

  it.each([
    ['a stale signature', (body: string) => sign(secret, body, Math.floor(Date.now() / 1_000) - 600), 401],
    ['a forged signature', (body: string) => sign('whsec_not_the_secret', body), 401],
    ['a tampered body', (body: string) => sign(secret, `${body} `), 401],
    ['no signature', () => '', 401],
  ])('refuses %s', async (_label, signature, status) => {
    const body = JSON.stringify({ id: '1', type: 'approval.confirmed' });

    const answer = await deliver(body, {
      'x-opentrain-delivery': 'dlv-bad',
      'x-opentrain-signature': signature(body),
    });

    expect(answer.status).toBe(status);
  });

  it('refuses an oversized body', async () => {
    const body = JSON.stringify({ id: '1', type: 'approval.confirmed', data: { pad: 'x'.repeat(70_000) } });

    const answer = await deliver(body, {
      'x-opentrain-delivery': 'dlv-big',
      'x-opentrain-signature': sign(secret, body),
    });

    expect(answer.status).toBe(413);
  });
});

describe('the webhook CLI', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates, lists and deletes the subscription, printing the secret once', async () => {
    const created = await runCli(['webhook', 'create', 'http://127.0.0.1:9/'], h.env);
    const id = /Created webhook (\S+)/.exec(created.stdout)?.[1] ?? '';

    expect(created.code).toBe(0);
    expect(created.stdout).toContain('http://127.0.0.1:9/opentrain/webhook');
    expect(created.stdout).toMatch(/OPENTRAIN_WEBHOOK_SECRET=whsec_/);
    const listed = await runCli(['webhook', 'list'], h.env);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).not.toContain('whsec_');
    const deleted = await runCli(['webhook', 'delete', id], h.env);
    expect(deleted.stdout).toContain(`Deleted ${id}`);
    expect((await runCli(['webhook', 'list'], h.env)).stdout).toContain('No webhook subscriptions');
  });

  it('explains a token without webhooks:manage', async () => {
    h.opentrain.setAccount({ scopes: ['payments:read', 'payments:write'] });

    const result = await runCli(['webhook', 'create', 'https://countersign.example.com'], h.env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('webhooks:manage');
  });

  it('refuses a plain-http public address', async () => {
    const result = await runCli(['webhook', 'create', 'http://countersign.example.com'], h.env);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('https://');
  });
});

describe('without OPENTRAIN_WEBHOOK_SECRET', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('serves no webhook endpoint', async () => {
    const response = await fetch(`${h.service.url}/opentrain/webhook`, { method: 'POST', body: '{}' });

    expect(response.status).toBe(404);
  });
});
