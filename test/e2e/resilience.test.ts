import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  botMessages,
  dmContaining,
  type Harness,
  ids,
  opentrainCalls,
  replyContaining,
  startHarness,
  waitForCard,
} from './harness.js';

describe('faults that heal', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('waits out the Retry-After Slack asks for before re-posting a rate-limited card, and tells the requester when it lands', async () => {
    // Five minutes: far beyond the backoff the bot would pick on its own for a 429 (at most 60 s, cardRetryDelay).
    const retryAfterSec = 300;
    h.slack.injectFault({ method: 'chat.postMessage', status: 429, retryAfter: retryAfterSec });
    const cardPosts = () =>
      h.slack.callsTo('chat.postMessage').filter((call) => call.args.channel === ids.financeApprovals);

    await h.command('M-1001');

    await replyContaining(h, ids.alice, 'Slack did not accept the card yet');
    const reply = h.slack.ephemerals(ids.alice).find((message) => message.text.includes('did not accept'));
    expect(JSON.stringify(reply?.blocks)).toContain(h.opentrain.snapshot().approvals[0]?.approvalUrl);
    expect(cardPosts().map((call) => call.response.status)).toEqual([429]);

    // Four times the longest backoff of its own, yet still inside Retry-After: no second try.
    h.clock.advance(240_000);
    await h.service.pollNow();
    expect(cardPosts()).toHaveLength(1);
    expect(botMessages(h, ids.financeApprovals)).toEqual([]);

    h.clock.advance((retryAfterSec - 240 + 1) * 1_000);
    await h.service.pollNow();

    await waitForCard(h, ids.financeApprovals);
    expect(cardPosts()).toHaveLength(2);
    await dmContaining(h, ids.alice, 'is now posted');
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
  });

  it('retries a card edit that Slack failed with a 5xx', async () => {
    await h.command('M-1001');
    const card = await waitForCard(h, ids.financeApprovals);
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    h.slack.injectFault({ method: 'chat.update', status: 500, times: 2 });

    h.opentrain.confirm(approvalId);
    await h.service.pollNow();

    await h.slack.waitUntil(
      () =>
        JSON.stringify(h.slack.message(ids.financeApprovals, card.ts)?.blocks).includes('Milestone funded') ||
        undefined,
      10_000,
    );
    expect(h.slack.callsTo('chat.update').filter((call) => call.response.status === 500)).toHaveLength(2);
  });

  it('catches up with the feed once OpenTrain recovers, and reports the outage on /readyz meanwhile', async () => {
    await h.command('M-1001');
    const card = await waitForCard(h, ids.financeApprovals);
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    h.opentrain.confirm(approvalId);
    h.opentrain.injectFault({ method: 'GET', path: '/updates', status: 503, times: 3 });

    await h.service.pollNow();
    const during = await (await fetch(`${h.service.url}/readyz`)).json();
    await h.service.pollNow();

    expect(during).toMatchObject({ ok: true, store: 'ok', poller: { ok: true, failingPhases: ['feed'] } });
    await h.slack.waitUntil(
      () =>
        JSON.stringify(h.slack.message(ids.financeApprovals, card.ts)?.blocks).includes('Milestone funded') ||
        undefined,
    );
    const after = await (await fetch(`${h.service.url}/readyz`)).json();
    expect(after).toMatchObject({ poller: { failingPhases: [] } });
  });
});

describe('inbound request verification', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it.each([
    [
      'a forged signature',
      { signature: 'v0=0000000000000000000000000000000000000000000000000000000000000000' },
    ],
    ['a stale timestamp', { timestampSec: Math.floor(Date.now() / 1_000) - 6 * 60 }],
  ])('refuses %s with 401 and sends nothing to OpenTrain', async (_label, forgery) => {
    const result = await h.slack.sendCommand({
      appUrl: `${h.service.url}/slack/events`,
      text: 'M-1001',
      userId: ids.alice,
      channelId: ids.financeApprovals,
      ...forgery,
    });
    await h.service.pollNow();

    expect(result.status).toBe(401);
    expect(opentrainCalls(h, 'POST', '/')).toEqual([]);
    expect(botMessages(h, ids.financeApprovals)).toEqual([]);
  });
});

describe('operations', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('answers health and readiness probes', async () => {
    await h.service.pollNow();

    const health = await fetch(`${h.service.url}/healthz`);
    const ready = await fetch(`${h.service.url}/readyz`);

    expect(health.status).toBe(200);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, store: 'ok', poller: { ok: true } });
  });

  it('reports not ready when the poller has stalled', async () => {
    await h.service.pollNow();
    // This harness polls once a year, so "stalled" means more than three years without a tick.
    h.clock.advance(4 * 366 * 24 * 3_600_000);

    const ready = await fetch(`${h.service.url}/readyz`);

    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ok: false, poller: { ok: false } });
  });

  it('never writes a secret, a response_url or an approval link to its logs', async () => {
    await h.command('M-1001 note');
    await waitForCard(h, ids.financeApprovals);
    const approval = h.opentrain.snapshot().approvals[0];
    h.opentrain.confirm(approval?.id ?? '');
    await h.service.pollNow();
    await dmContaining(h, ids.alice, 'Milestone funded');

    const logs = h.logs.join('\n');

    expect(h.logs.length).toBeGreaterThan(5);
    for (const secret of [
      h.slack.botToken,
      h.slack.signingSecret,
      h.opentrain.token,
      approval?.approvalUrl ?? '',
      '/respond/',
    ]) {
      expect(logs).not.toContain(secret);
    }
  });
});

describe('work that fails or crawls', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({
      POLL_SCHEDULE: '0 0 1 1 *',
      REQUESTER_USERGROUPS: ids.financeGroup,
      REQUESTER_USERS: ids.bob,
    });
  });
  afterEach(async () => {
    await h.close();
  });

  it('keeps following the feed past an approval OpenTrain refuses to show', async () => {
    await h.command('M-1001', { userId: ids.bob });
    await h.command('M-1002', { userId: ids.bob });
    await h.slack.waitUntil(() => botMessages(h, ids.financeApprovals).length === 2 || undefined);
    const [first, second] = h.opentrain.snapshot().approvals;
    h.opentrain.injectFault({ method: 'GET', path: `/approvals/${first?.id}`, status: 403, times: Infinity });

    h.opentrain.confirm(first?.id ?? '');
    h.opentrain.confirm(second?.id ?? '');
    await h.service.pollNow();

    await h.slack.waitUntil(
      () =>
        botMessages(h, ids.financeApprovals).every((card) =>
          JSON.stringify(card.blocks).includes('Milestone funded'),
        ) || undefined,
    );
    expect(
      await h.service.store.cursors.get(h.service.useCases.workspaceId, 'opentrain-updates'),
    ).not.toBeNull();
  });

  it('acknowledges in time when the user-group check is slow, then carries on', async () => {
    h.slack.injectFault({ method: 'usergroups.users.list', latencyMs: 2_500 });

    const ack = await h.command('M-1001', { userId: ids.alice });

    expect(ack.status).toBe(200);
    expect(ack.failure).toBeUndefined();
    expect(ack.body).toBe('');
    await waitForCard(h, ids.financeApprovals);
    await replyContaining(h, ids.alice, 'Funding requested');
    // One private message: a progress line, if one went first, was replaced by the outcome.
    expect(h.slack.ephemerals(ids.alice).map((message) => message.text)).toEqual([
      expect.stringContaining('Funding requested'),
    ]);
  });

  it('does not let one slow funding request hold up another', async () => {
    h.opentrain.injectFault({ method: 'POST', path: '/milestones/M-1001/fund', latencyMs: 3_000 });

    await h.command('M-1001', { userId: ids.bob });
    await h.command('M-1002', { userId: ids.bob });

    await waitForCard(h, ids.financeApprovals, (text) => text.includes('M-1002'));
    expect(
      botMessages(h, ids.financeApprovals).some((card) => JSON.stringify(card.blocks).includes('M-1001')),
    ).toBe(false);
    await waitForCard(h, ids.financeApprovals, (text) => text.includes('M-1001'));
  });
});
