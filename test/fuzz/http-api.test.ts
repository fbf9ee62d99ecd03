import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureToleranceMs, verifyBody } from '../../src/http/signature.js';
import { type Harness, ids, startHarness } from '../e2e/harness.js';
import {
  foreignWord,
  fuzz,
  fuzzTimeout,
  hostileLongText,
  hostileText,
  openTrainId,
  openTrainIdPattern,
} from '../helpers/fuzz.js';
import { hmacHeader } from '../helpers/hmac-header.js';
import { instant, slackUserId } from './arbitraries.js';
import { lastCallSeq, slackMessageFaults, uncheckedOpenTrainIds } from './bot-checks.js';

/*
 * The two HMAC-signed HTTP surfaces: POST /api/fund-requests (other systems) and POST /opentrain/webhook (the
 * doorbell). Any header and any bytes: only a correct signature within five minutes is let in, and what is let
 * in gets a documented status with a body that says what to do; nothing is ever a 500.
 */

const upstreamSecret = 'upstream-secret-for-the-fuzz-0123456789';
const webhookSecret = 'whsec_fuzz_0123456789abcdef';

const sign = hmacHeader;

describe('verifyBody on any header', { timeout: fuzzTimeout() }, () => {
  const now = new Date('2026-06-12T10:00:00Z');
  const nowSec = now.getTime() / 1_000;
  const body = fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes));
  const secret = fc.string({ minLength: 1, maxLength: 40 });
  const stamp = fc.oneof(
    fc.integer({ min: nowSec - 400, max: nowSec + 400 }).map(String),
    fc.constantFrom('', '-1', '1e9', '0x10', ' 1', String(nowSec).padStart(13, '0')),
    hostileText(2),
  );
  const mac = fc.oneof(
    fc.stringMatching(/^[0-9a-f]{64}$/),
    fc.stringMatching(/^[0-9a-fA-F]{0,70}$/),
    hostileText(2),
  );
  const header = fc.oneof(
    fc
      .tuple(stamp, fc.array(mac, { maxLength: 3 }))
      .map(([t, macs]) => [`t=${t}`, ...macs.map((m) => `v1=${m}`)].join(',')),
    hostileText(),
    fc.constant(undefined),
  );

  it('never throws, and accepts only a correct MAC of the exact bytes within five minutes', () => {
    fc.assert(
      fc.property(secret, body, header, fc.boolean(), (key, bytes, given, addRight) => {
        const t = /t=(\d{1,12})(,|$)/.exec(given ?? '')?.[1];
        const right = t === undefined ? undefined : sign(key, bytes.toString('latin1'), Number(t));
        const correct =
          t === undefined ? undefined : createHmac('sha256', key).update(`${t}.`).update(bytes).digest('hex');
        const header =
          addRight && given !== undefined && right !== undefined ? `${given},v1=${correct}` : given;

        const verdict = verifyBody(key, header, bytes, now);

        if (!verdict.ok) return;
        expect(t).toBeDefined();
        expect(Math.abs(Number(t) * 1_000 - now.getTime())).toBeLessThanOrEqual(signatureToleranceMs);
        expect(verdict.signature).toBe(correct);
      }),
      fuzz(2_000),
    );
  });

  it('accepts the header it signs itself, for any secret, body and moment within the window', () => {
    fc.assert(
      fc.property(secret, body, fc.integer({ min: -299, max: 299 }), (key, bytes, skewSec) => {
        const t = nowSec + skewSec;
        const header = `t=${t},v1=${createHmac('sha256', key).update(`${t}.`).update(bytes).digest('hex')}`;

        expect(verifyBody(key, header, bytes, now).ok).toBe(true);
        expect(verifyBody(`${key}x`, header, bytes, now).ok).toBe(false);
      }),
      fuzz(1_000),
    );
  });
});

describe('the HMAC-signed endpoints of the real bot, fed anything', { timeout: fuzzTimeout() }, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      POLL_SCHEDULE: '0 0 1 1 *',
      UPSTREAM_SECRET: upstreamSecret,
      OPENTRAIN_WEBHOOK_SECRET: webhookSecret,
      FUND_CHANNEL: ids.financeApprovals,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function post(path: string, body: string | Buffer, headers: Record<string, string>) {
    const response = await fetch(`${h.service.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json: json as Record<string, unknown> };
  }

  /** A value where a field goes: what the field wants, or anything at all. */
  const anyValue = fc.oneof(hostileLongText(), foreignWord(), fc.jsonValue({ maxDepth: 2 }));
  const fields = fc.record(
    {
      milestoneId: fc.oneof(
        fc.constantFrom('M-1001', 'M-1002', 'M-1003', 'M-1004', 'M-1005', 'M-9999', '{fresh}'),
        openTrainId(),
        anyValue,
      ),
      approvalId: fc.oneof(fc.constantFrom('{created}', 'A-9999'), openTrainId('A'), anyValue),
      requestedBy: fc.oneof(slackUserId, fc.constantFrom(ids.bob, 'billing-bot'), hostileText(), anyValue),
      note: fc.oneof(hostileLongText(), anyValue),
      idempotencyKey: fc.oneof(fc.constantFrom('inv-1', 'inv-2'), hostileText(), anyValue),
      channel: fc.oneof(fc.constantFrom(ids.financeApprovals, ids.projectX, 'C0NOWHERE'), anyValue),
      extra: anyValue,
      ['__proto__']: anyValue,
    },
    { requiredKeys: [] },
  );
  /** The optional fields as the README allows them: hostile text within their limits. */
  const optional = {
    requestedBy: fc.oneof(
      slackUserId,
      fc.constantFrom(ids.bob, 'billing-bot'),
      hostileText().filter((t) => t.trim() !== '' && t.trim().length <= 100),
    ),
    note: hostileLongText().map((t) => t.slice(0, 500)),
    channel: fc.constantFrom(ids.financeApprovals, ids.projectX, ids.secretOps, 'C0NOWHERE'),
  };
  const valid = fc.oneof(
    fc.record(
      {
        milestoneId: fc.constantFrom(
          'M-1001',
          'M-1002',
          'M-1003',
          'M-1004',
          'M-1005',
          'M-9999',
          '{fresh}',
          '{fresh}',
        ),
        idempotencyKey: fc.oneof(
          fc.constantFrom('inv-1', 'inv-2'),
          hostileText().filter((t) => t !== '' && t.length <= 200),
        ),
        ...optional,
      },
      { requiredKeys: ['milestoneId'] },
    ),
    fc.record(
      { approvalId: fc.constantFrom('{created}', 'A-9999'), ...optional },
      { requiredKeys: ['approvalId'] },
    ),
  );
  /** A valid request with one field made wrong, added or dropped. */
  const broken = fc
    .tuple(
      valid,
      fc.constantFrom(
        'milestoneId',
        'approvalId',
        'requestedBy',
        'note',
        'idempotencyKey',
        'channel',
        'extra',
      ),
      fc.option(anyValue, { nil: undefined }),
    )
    .map(([request, key, value]) => ({ ...request, [key]: value }));
  const upstreamBody = fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 3, arbitrary: broken },
    { weight: 2, arbitrary: fields },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );

  const documented = [202, 400, 403, 404, 409, 413, 422, 429, 502, 503];

  it(
    'answers any signed request to /api/fund-requests with a documented status that says what to do',
    async () => {
      await fc.assert(
        fc.asyncProperty(upstreamBody, async (value) => {
          // Placeholders become a milestone nobody asked about, or an approval another system created.
          const text = JSON.stringify(value)
            .replace(/"\{fresh\}"/g, () =>
              JSON.stringify(h.opentrain.addMilestone('C-501', { name: 'Fuzz batch', amountUsd: 10 }).id),
            )
            .replace(/"\{created\}"/g, () =>
              JSON.stringify(h.opentrain.createApproval({ type: 'contract_end', contractId: 'C-502' }).id),
            );
          const before = lastCallSeq(h);

          const { status, json } = await post('/api/fund-requests', text, {
            'x-countersign-signature': sign(upstreamSecret, text),
          });
          await h.service.pollNow();

          expect(documented).toContain(status);
          expect(json).toBeDefined();
          if (status === 202) {
            expect(json.approvalId).toMatch(openTrainIdPattern);
            expect(String(json.approvalUrl)).toMatch(new RegExp(`^${h.opentrain.origin}/`));
          } else {
            expect(json.error).toEqual(expect.any(String));
            // What to do: a sentence, the fields to fix, or the size to stay under.
            expect(['message', 'fields', 'limitBytes'].some((key) => key in json)).toBe(true);
          }
          if (status === 400 && json.error === 'invalid_request') {
            expect(Object.keys(json.fields as object).length).toBeGreaterThan(0);
          }
          // A requestedBy that is a member id is that person, by design: they get the reminders and are named.
          const named =
            typeof value === 'object' && value !== null && 'requestedBy' in value
              ? [String(value.requestedBy)]
              : [];
          expect(slackMessageFaults(h, before, named)).toEqual([]);
          expect(uncheckedOpenTrainIds(h)).toEqual([]);
        }),
        fuzz(40),
      );
    },
    fuzzTimeout(60_000),
  );

  /** Signature headers as a client might get them wrong: stale, from the future, wrong key, mangled, several. */
  function header(secret: string, body: string) {
    const nowSec = Math.floor(Date.now() / 1_000);
    return fc.oneof(
      fc.constant(sign(secret, body)),
      // Well outside the five minutes: a loaded machine takes a while between signing and the bot's check.
      fc.constant(sign(secret, body, nowSec - 400)),
      fc.constant(sign(secret, body, nowSec + 400)),
      fc.constant(sign(`${secret}-not`, body)),
      fc.constant(sign(secret, `${body} `)),
      fc.constant(sign(secret, body).toUpperCase()),
      fc.constant(`${sign(secret, body)},v1=${'0'.repeat(64)}`),
      fc.constant(`v1=${'0'.repeat(64)},${sign(secret, body)}`),
      fc.constant(sign(secret, body).replace(/^t=\d+/, 't=')),
      instant.map((date) => sign(secret, body, Math.floor(date.getTime() / 1_000))),
      hostileText().filter(sendable),
      fc.constant(''),
    );
  }

  /** What fetch can send as a header value (HTTP allows no control characters, and no padding it would trim). */
  const sendable = (text: string) => /^([\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?)?$/.test(text);

  const rawBody = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.constantFrom('', 'null', '[]', '{"milestoneId":', '{"approvalId":"A-1","milestoneId":"M-1"}'),
  );

  it.each([
    ['/api/fund-requests', 'x-countersign-signature', upstreamSecret],
    ['/opentrain/webhook', 'x-opentrain-signature', webhookSecret],
  ])(
    '%s lets in only what is signed right, and answers the rest 401 saying why',
    async (path, name, secret) => {
      await fc.assert(
        fc.asyncProperty(
          rawBody.chain((body) => fc.tuple(fc.constant(body), header(secret, body))),
          fc.option(fc.oneof(fc.uuid(), hostileText().filter(sendable)), { nil: undefined }),
          async ([body, signature], delivery) => {
            const headers: Record<string, string> = { [name]: signature };
            if (delivery !== undefined) headers['x-opentrain-delivery'] = delivery;
            const verdict = verifyBody(secret, signature, Buffer.from(body), new Date());

            const { status, json } = await post(path, body, headers);

            expect(status).not.toBe(500);
            if (!verdict.ok) {
              expect(status).toBe(401);
              expect(json).toEqual({ error: 'invalid_signature', problem: verdict.problem });
            } else if (path === '/opentrain/webhook') {
              expect(status).toBe(202);
              expect(json).toEqual({ ok: true, duplicate: expect.any(Boolean) });
            } else {
              expect(documented).toContain(status);
            }
          },
        ),
        fuzz(60),
      );
      await h.service.pollNow();
      expect(uncheckedOpenTrainIds(h)).toEqual([]);
    },
    fuzzTimeout(60_000),
  );

  it.each([
    ['/api/fund-requests', 'x-countersign-signature', upstreamSecret, 16 * 1024],
    ['/opentrain/webhook', 'x-opentrain-signature', webhookSecret, 64 * 1024],
  ])('%s refuses a body over its limit with 413, signed or not', async (path, name, secret, limit) => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4_000 }), fc.boolean(), async (over, signed) => {
        const body = JSON.stringify({ milestoneId: 'M-1001', note: 'x'.repeat(limit + over) });

        const { status, json } = await post(path, body, signed ? { [name]: sign(secret, body) } : {});

        expect(status).toBe(413);
        expect(json).toMatchObject({ error: 'body_too_large', limitBytes: limit });
      }),
      fuzz(10),
    );
  });
});
