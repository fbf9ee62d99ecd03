import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccountPatch } from '../../src/sandbox/opentrain/types.js';
import { hmacHeader } from '../helpers/hmac-header.js';
import {
  botMessages,
  type Harness,
  ids,
  opentrainCalls,
  replyContaining,
  startHarness,
  waitForCard,
} from './harness.js';

const secret = 'upstream-secret-for-the-tests-0123456789';

/** Signs exactly like the README's curl example, computed independently of the bot. */
function signature(body: string, timestampSec?: number, key = secret): string {
  return hmacHeader(key, body, timestampSec);
}

async function post(h: Harness, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${h.service.url}/api/fund-requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-countersign-signature': signature(body), ...headers },
    body,
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as { approvalId: string; [key: string]: unknown },
  };
}

/** A new NOT_FUNDED milestone on C-501 (job J-100), so a test starts from a milestone nobody asked about. */
function freshMilestone(h: Harness): string {
  return h.opentrain.addMilestone('C-501', { name: 'Fresh labeling batch', amountUsd: 120 }).id;
}

/** The approvals OpenTrain has recorded for a milestone: empty means nothing was requested. */
function approvalsFor(h: Harness, milestoneId: string) {
  return h.opentrain.snapshot().approvals.filter((approval) => approval.milestoneId === milestoneId);
}

function cardsMentioning(h: Harness, channelId: string, fragment: string) {
  return botMessages(h, channelId).filter((message) =>
    (JSON.stringify(message.blocks) + message.text).includes(fragment),
  );
}

/** The bot with the upstream API on, cards to FUND_CHANNEL unless a test says otherwise, no scheduled polls. */
function upstreamEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    UPSTREAM_SECRET: secret,
    FUND_CHANNEL: ids.financeApprovals,
    POLL_SCHEDULE: '0 0 1 1 *',
    ...extra,
  };
}

describe('POST /api/fund-requests', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(upstreamEnv());
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.opentrain.clearFaults();
    h.opentrain.setAccount({
      claimed: true,
      scopes: ['payments:read', 'payments:write', 'webhooks:manage'],
      features: { paymentsWrite: true },
      paymentMethod: true,
    });
  });

  it('requests funding, posts the card and answers 202 with the approval id and the permalink', async () => {
    const body = JSON.stringify({
      milestoneId: 'M-1001',
      requestedBy: 'billing-bot',
      note: 'from <!channel> billing',
    });

    const { status, json } = await post(h, body);

    expect(status).toBe(202);
    const card = await waitForCard(h, ids.financeApprovals, (text) => text.includes('M-1001'));
    expect(json).toMatchObject({
      approvalId: expect.stringMatching(/^A-/),
      type: 'milestone_fund',
      status: 'pending',
      duplicate: false,
      card: { channel: ids.financeApprovals, ts: card.ts, permalink: expect.stringContaining('/archives/') },
    });
    expect(JSON.stringify(card.blocks)).toContain('Requested by billing-bot');
    expect(JSON.stringify(card.blocks)).toContain('from &lt;!channel&gt; billing');
  });

  it('never makes two cards for the same idempotencyKey, even after the approval ended', async () => {
    const body = JSON.stringify({ milestoneId: 'M-1002', idempotencyKey: 'invoice-77' });
    const first = await post(h, body);
    h.opentrain.decline(first.json.approvalId);
    await h.service.pollNow();

    const again = await post(h, body);

    expect(again.status).toBe(202);
    expect(again.json).toMatchObject({
      approvalId: first.json.approvalId,
      duplicate: true,
      status: 'declined',
    });
    expect(opentrainCalls(h, 'POST', '/milestones/M-1002/fund')).toHaveLength(1);
  });

  it.each([
    [
      'milestone_approve',
      { type: 'milestone_approve', milestoneId: 'M-1003' },
      'Payment release approval needed',
    ],
    ['contract_end', { type: 'contract_end', contractId: 'C-502' }, 'Approval needed to end a contract'],
    ['proposal_hire', { type: 'proposal_hire', proposalId: 'P-801' }, 'Hire approval needed'],
  ] as const)(
    'follows a %s approval another system created, worded for its type, once',
    async (_type, input, title) => {
      const created = h.opentrain.createApproval(input);
      const body = JSON.stringify({ approvalId: created.id, requestedBy: ids.bob });

      const first = await post(h, body);
      const second = await post(h, body);

      expect(first.status).toBe(202);
      expect(second.json).toMatchObject({ approvalId: created.id, duplicate: true });
      const card = await waitForCard(h, ids.financeApprovals, (text) => text.includes(created.id));
      expect(card.text).toContain(title);
      expect(
        botMessages(h, ids.financeApprovals).filter((m) => JSON.stringify(m.blocks).includes(created.id)),
      ).toHaveLength(1);
    },
  );

  it.each([
    ['an unknown milestone', { milestoneId: 'M-9999' }, 404, 'not-found'],
    ['an already funded milestone', { milestoneId: 'M-1003' }, 409, 'not-fundable'],
    ['an unknown approval', { approvalId: 'A-404' }, 404, 'not-found'],
  ])('maps OpenTrain refusing %s to its own status', async (_label, request, status, error) => {
    const response = await post(h, JSON.stringify(request));

    expect(response.status).toBe(status);
    expect(response.json).toMatchObject({ error, opentrainRequestId: expect.any(String) });
  });

  it('answers 429 with Retry-After while OpenTrain is rate limiting', async () => {
    h.opentrain.injectFault({
      method: 'POST',
      path: '/milestones/M-1001/fund',
      status: 429,
      retryAfter: 120,
    });

    const response = await post(h, JSON.stringify({ milestoneId: 'M-1001', idempotencyKey: 'rate-1' }));
    const fundCalls = opentrainCalls(h, 'POST', '/milestones/M-1001/fund').length;
    // The pause holds for every call until Retry-After has passed, so the next request is not sent at all.
    const meanwhile = await post(
      h,
      JSON.stringify({ milestoneId: 'M-1001', idempotencyKey: 'rate-meanwhile' }),
    );
    h.clock.advance(120_000);
    const after = await post(h, JSON.stringify({ milestoneId: 'M-1001', idempotencyKey: 'rate-after' }));

    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('120');
    expect(meanwhile.status).toBe(429);
    expect(Number(meanwhile.headers.get('retry-after'))).toBeLessThanOrEqual(120);
    expect(opentrainCalls(h, 'POST', '/milestones/M-1001/fund')).toHaveLength(fundCalls + 1);
    expect(after.status).toBe(202);
  });

  it.each([
    ['not JSON', '{"milestoneId":', 'invalid_json', undefined],
    ['a JSON array', '["M-1001"]', 'invalid_request', { '(body)': 'must be a JSON object' }],
    [
      'neither id',
      '{"note":"x"}',
      'invalid_request',
      { '(body)': expect.stringMatching(/milestoneId.*approvalId/) },
    ],
    [
      'both ids',
      '{"milestoneId":"M-1001","approvalId":"A-1"}',
      'invalid_request',
      {
        milestoneId: 'send exactly one of milestoneId and approvalId',
        approvalId: 'send exactly one of milestoneId and approvalId',
      },
    ],
    ['a number as milestoneId', '{"milestoneId":5}', 'invalid_request', { milestoneId: 'expected a string' }],
    [
      'a bad id',
      '{"milestoneId":"../../etc"}',
      'invalid_request',
      { milestoneId: 'must be an OpenTrain milestone id' },
    ],
    ['an unknown field', '{"milestoneId":"M-1","amount":5}', 'invalid_request', { amount: 'unknown field' }],
    [
      'a bad note and an idempotencyKey beside an approvalId',
      '{"approvalId":"A-1","note":7,"idempotencyKey":"k-1"}',
      'invalid_request',
      { note: 'expected a string', idempotencyKey: expect.stringContaining('not accepted with approvalId') },
    ],
    [
      'a channel name',
      '{"milestoneId":"M-1","channel":"#finance"}',
      'invalid_request',
      { channel: expect.stringContaining('Slack channel ID') },
    ],
  ])(
    'refuses %s with 400 and errors for the fields at fault, sending nothing upstream',
    async (_label, body, error, fields) => {
      const before = opentrainCalls(h, 'POST', '/').length;

      const response = await post(h, body);

      expect(response.status).toBe(400);
      expect(response.json.error).toBe(error);
      expect(response.json.fields).toEqual(fields);
      expect(opentrainCalls(h, 'POST', '/')).toHaveLength(before);
    },
  );

  it.each([
    [
      'lacks the payments:write scope',
      { scopes: ['payments:read'] },
      'missing-scope',
      { requiredScopes: ['payments:write'] },
    ],
    [
      'belongs to an account nobody has claimed',
      { claimed: false },
      'claim-required',
      { reason: 'account_claim_required', claimUrl: expect.stringMatching(/\/claim$/) },
    ],
  ] satisfies [string, AccountPatch, string, Record<string, unknown>][])(
    "answers 403 when Countersign's own token %s, and nothing is requested",
    async (_label, account, error, details) => {
      const milestoneId = freshMilestone(h);
      h.opentrain.setAccount(account);

      const response = await post(
        h,
        JSON.stringify({ milestoneId, idempotencyKey: `refused-${milestoneId}` }),
      );

      expect(response.status).toBe(403);
      expect(response.json).toMatchObject({ error, details, opentrainRequestId: expect.any(String) });
      expect(approvalsFor(h, milestoneId)).toEqual([]);
      expect(cardsMentioning(h, ids.financeApprovals, milestoneId)).toEqual([]);
    },
  );

  it('answers 409 in_progress to a second request with the same idempotencyKey while the first runs', async () => {
    const milestoneId = freshMilestone(h);
    h.opentrain.injectFault({ method: 'POST', path: `/milestones/${milestoneId}/fund`, latencyMs: 2_000 });
    const body = JSON.stringify({ milestoneId, idempotencyKey: `held-${milestoneId}` });

    const first = post(h, body);
    // The first request's fund call has reached OpenTrain and is held there.
    await vi.waitFor(() => expect(h.opentrain.faults).toEqual([]));
    const second = await post(h, body);

    expect(second.status).toBe(409);
    expect(second.json).toMatchObject({ error: 'in_progress' });
    expect((await first).status).toBe(202);
    expect(opentrainCalls(h, 'POST', `/milestones/${milestoneId}/fund`)).toHaveLength(1);
    expect(cardsMentioning(h, ids.financeApprovals, milestoneId)).toHaveLength(1);
  });

  it.each([
    ['no signature', { 'x-countersign-signature': '' }],
    [
      'a forged signature',
      { 'x-countersign-signature': signature('{"milestoneId":"M-1001"}', undefined, 'wrong-secret') },
    ],
    [
      'a stale signature',
      {
        'x-countersign-signature': signature(
          '{"milestoneId":"M-1001"}',
          Math.floor(Date.now() / 1_000) - 301,
        ),
      },
    ],
    ['a tampered body', { 'x-countersign-signature': signature('{"milestoneId":"M-1002"}') }],
    ['a garbled header', { 'x-countersign-signature': 'v1=abc' }],
  ])('refuses %s with 401 and sends nothing upstream', async (_label, headers) => {
    const before = h.opentrain.requests.length;

    const response = await post(h, '{"milestoneId":"M-1001"}', headers);

    expect(response.status).toBe(401);
    expect(response.json.error).toBe('invalid_signature');
    expect(h.opentrain.requests).toHaveLength(before);
  });

  it('refuses a replayed request that has no idempotencyKey, and accepts it signed anew', async () => {
    const body = JSON.stringify({ milestoneId: 'M-1001', note: 'replay me' });
    const signed = { 'x-countersign-signature': signature(body, Math.floor(Date.now() / 1_000) - 10) };

    const first = await post(h, body, signed);
    const replay = await post(h, body, signed);
    const resigned = await post(h, body);

    expect(first.status).toBe(202);
    expect(replay.status).toBe(409);
    expect(replay.json).toMatchObject({ error: 'replayed' });
    expect(resigned.status).toBe(202);
  });

  it('refuses an oversized body with 413 before reading it all', async () => {
    const body = JSON.stringify({ milestoneId: 'M-1001', note: 'x'.repeat(20_000) });

    const response = await post(h, body);

    expect(response.status).toBe(413);
  });

  it('refuses an oversized body sent without Content-Length (chunked) once it passes 16 KB', async () => {
    const chunk = Buffer.alloc(1_024, 'x');
    let sent = 0;
    let answered = false;
    // A stream body has no known length, so undici sends it chunked, without Content-Length. It goes on
    // far past the limit: a server that read to the end before refusing would take all 4 MB.
    async function* endless() {
      yield Buffer.from('{"milestoneId":"M-1001","note":"');
      while (!answered && sent < 4 * 1024 * 1024) {
        sent += chunk.length;
        yield chunk;
        await nextTurn();
      }
    }

    const response = await request(`${h.service.url}/api/fund-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-countersign-signature': signature('{}') },
      body: Readable.from(endless()),
    });
    answered = true;
    const sentWhenAnswered = sent;

    expect(response.statusCode).toBe(413);
    expect(await response.body.json()).toMatchObject({ error: 'body_too_large', limitBytes: 16 * 1024 });
    expect(sentWhenAnswered).toBeLessThan(1024 * 1024);
  });
});

describe('POST /api/fund-requests without UPSTREAM_SECRET', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('does not exist', async () => {
    const body = '{"milestoneId":"M-1001"}';
    const response = await fetch(`${h.service.url}/api/fund-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-countersign-signature': signature(body) },
      body,
    });

    expect(response.status).toBe(404);
    expect(opentrainCalls(h, 'POST', '/')).toEqual([]);
  });
});

describe('POST /api/fund-requests with nowhere to post', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ UPSTREAM_SECRET: secret, POLL_SCHEDULE: '0 0 1 1 *', ADMIN_USERS: ids.alice });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses before asking OpenTrain when no route, FUND_CHANNEL or channel could place the card', async () => {
    const response = await post(h, JSON.stringify({ milestoneId: 'M-1001', note: 'nowhere' }));

    expect(response.status).toBe(422);
    expect(response.json).toMatchObject({ error: 'no_channel' });
    expect(opentrainCalls(h, 'POST', '/')).toEqual([]);
  });

  it('returns the approval it could not place, and tracks it once a channel is given', async () => {
    await h.command(`route set job:J-300 <#${ids.projectX}>`, { userId: ids.alice });
    await h.slack.waitUntil(() => h.slack.ephemerals(ids.alice).find((m) => m.text.includes('Route saved')));

    const unplaced = await post(h, JSON.stringify({ milestoneId: 'M-1001' }));
    const placed = await post(h, JSON.stringify({ milestoneId: 'M-1001', channel: ids.projectX }));

    expect(unplaced.status).toBe(422);
    expect(unplaced.json).toMatchObject({
      error: 'no_channel',
      approvalId: expect.any(String),
      approvalUrl: expect.any(String),
    });
    expect(placed.status).toBe(202);
    expect(placed.json.approvalId).toBe(unplaced.json.approvalId);
    await waitForCard(h, ids.projectX);
  });
});

describe('POST /api/fund-requests routed by a job route', () => {
  const labeling = 'C0LABELING';
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(upstreamEnv({ ADMIN_USERS: ids.alice }));
    h.slack.addChannel({ id: labeling, name: 'labeling', members: [ids.alice, ids.bob], botIsMember: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it("posts the card in the route's channel, mentioning its approvers, rather than in FUND_CHANNEL", async () => {
    await h.command(
      `route set job:J-200 <#${labeling}|labeling> <@${ids.bob}> <!subteam^${ids.financeGroup}>`,
      {
        userId: ids.alice,
      },
    );
    await replyContaining(h, ids.alice, 'Route saved: job `J-200`');

    // M-1002 is on contract C-502, which belongs to job J-200.
    const response = await post(h, JSON.stringify({ milestoneId: 'M-1002', requestedBy: 'billing-bot' }));

    expect(response.status).toBe(202);
    const card = await waitForCard(h, labeling, (text) => text.includes('M-1002'));
    expect(response.json).toMatchObject({ card: { channel: labeling, ts: card.ts } });
    expect(JSON.stringify(card.blocks)).toContain(`approvers: <@${ids.bob}> <!subteam^${ids.financeGroup}>`);
    expect(botMessages(h, ids.financeApprovals)).toEqual([]);
  });
});

describe('POST /api/fund-requests with a token OpenTrain rejects', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(upstreamEnv({ OT_API_TOKEN: 'ot_pat_revoked_token' }));
  });
  afterAll(async () => {
    await h.close();
  });

  it("answers 502 (the fault is on our side, not the caller's), asks once and posts nothing", async () => {
    const response = await post(h, JSON.stringify({ milestoneId: 'M-1001' }));

    expect(response.status).toBe(502);
    expect(response.json).toMatchObject({ error: 'unauthorized' });
    expect(opentrainCalls(h, 'POST', '/milestones/M-1001/fund').map((call) => call.status)).toEqual([401]);
    expect(h.opentrain.snapshot().approvals).toEqual([]);
    expect(botMessages(h, ids.financeApprovals)).toEqual([]);
  });
});

describe('POST /api/fund-requests while OpenTrain is down or slow', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(upstreamEnv({ OT_API_TIMEOUT: '1s' }));
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.opentrain.clearFaults();
  });

  it('answers 503 with Retry-After when OpenTrain keeps failing, and nothing is requested', async () => {
    const milestoneId = freshMilestone(h);
    h.opentrain.injectFault({
      method: 'POST',
      path: `/milestones/${milestoneId}/fund`,
      status: 503,
      retryAfter: 1,
      times: Number.POSITIVE_INFINITY,
    });

    const response = await post(h, JSON.stringify({ milestoneId }));

    expect(response.status).toBe(503);
    expect(response.json).toMatchObject({ error: 'unavailable' });
    expect(response.headers.get('retry-after')).toBe('1');
    expect(approvalsFor(h, milestoneId)).toEqual([]);
    expect(cardsMentioning(h, ids.financeApprovals, milestoneId)).toEqual([]);
  });

  it('answers 503 when OpenTrain never answers (a timeout), and nothing reached it', async () => {
    const milestoneId = freshMilestone(h);
    h.opentrain.injectFault({
      method: 'POST',
      path: `/milestones/${milestoneId}/fund`,
      drop: 'hang',
      times: Number.POSITIVE_INFINITY,
    });

    const response = await post(h, JSON.stringify({ milestoneId }));

    expect(response.status).toBe(503);
    expect(response.json).toMatchObject({ error: 'timeout' });
    expect(approvalsFor(h, milestoneId)).toEqual([]);
    expect(cardsMentioning(h, ids.financeApprovals, milestoneId)).toEqual([]);
  });

  it('rides out an answer that came too late: the retry gets the approval OpenTrain recorded, one card', async () => {
    const milestoneId = freshMilestone(h);
    // OpenTrain records the approval at once but its answer arrives after the bot's 1 s timeout.
    h.opentrain.injectFault({ method: 'POST', path: `/milestones/${milestoneId}/fund`, lateMs: 1_300 });

    const response = await post(h, JSON.stringify({ milestoneId, idempotencyKey: `late-${milestoneId}` }));

    expect(response.status).toBe(202);
    expect(approvalsFor(h, milestoneId)).toHaveLength(1);
    expect(response.json).toMatchObject({
      approvalId: approvalsFor(h, milestoneId)[0]?.id,
      duplicate: false,
    });
    // Two calls reached OpenTrain: the one answered too late, and the retry that got the same approval.
    await vi.waitFor(
      () => {
        const faults = opentrainCalls(h, 'POST', `/milestones/${milestoneId}/fund`).map((call) => call.fault);
        expect([...faults].sort()).toEqual(['late', null]);
      },
      { timeout: 5_000 },
    );
    expect(cardsMentioning(h, ids.financeApprovals, milestoneId)).toHaveLength(1);
  });

  it('answers 503 when every answer comes too late, and the same request sent again finds what OpenTrain recorded', async () => {
    const milestoneId = freshMilestone(h);
    h.opentrain.injectFault({
      method: 'POST',
      path: `/milestones/${milestoneId}/fund`,
      lateMs: 1_300,
      times: Number.POSITIVE_INFINITY,
    });
    const body = JSON.stringify({ milestoneId, idempotencyKey: `late-all-${milestoneId}` });

    const first = await post(h, body);
    // Nothing was posted, yet OpenTrain did record the request: the README says to send it again.
    expect(first.status).toBe(503);
    expect(approvalsFor(h, milestoneId)).toHaveLength(1);
    expect(cardsMentioning(h, ids.financeApprovals, milestoneId)).toEqual([]);

    h.opentrain.clearFaults();
    const again = await post(h, body);

    expect(again.status).toBe(202);
    expect(again.json).toMatchObject({ approvalId: approvalsFor(h, milestoneId)[0]?.id });
    expect(approvalsFor(h, milestoneId)).toHaveLength(1);
    expect(cardsMentioning(h, ids.financeApprovals, milestoneId)).toHaveLength(1);
  });
});
