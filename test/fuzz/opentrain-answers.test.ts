import fc from 'fast-check';
import { pino } from 'pino';
import { MockAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftableClock } from '../../src/clock.js';
import { approvalStatuses } from '../../src/domain/approval.js';
import { upstreamFailures } from '../../src/domain/funding.js';
import { createOpenTrainClient } from '../../src/opentrain/client.js';
import { OpenTrainError } from '../../src/opentrain/errors.js';
import { createOpenTrainPort } from '../../src/opentrain/port.js';
import type { OpenTrainPort } from '../../src/ports/opentrain.js';
import { fundingFailedReply } from '../../src/slack/messages/replies.js';
import { type Harness, ids, startHarness } from '../e2e/harness.js';
import {
  anyId,
  foreignWord,
  fuzz,
  fuzzTimeout,
  hostileLongText,
  hostileText,
  openTrainIdPattern,
} from '../helpers/fuzz.js';
import { slackMessageProblems } from '../helpers/slack-output.js';
import { errorEnvelope, instant, origin } from './arbitraries.js';
import { lastCallSeq, slackMessageFaults, uncheckedOpenTrainIds } from './bot-checks.js';

/*
 * OpenTrain answering anything at all: any status, any Retry-After, a body that is not JSON, JSON of any shape,
 * or a documented answer with some fields swapped for garbage. The port either returns domain values that are
 * what was asked (ids of the id grammar, links on OpenTrain's origin) or rejects with an OpenTrainError whose
 * failure is one of the named ones; never another error, and its explanation fits a Slack reply.
 */

const baseUrl = `${origin}/api/public/v1`;

/** One answer: status, Retry-After, and the body as bytes. */
interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: string;
}

const approvalJson = (overrides: Record<string, unknown>) => ({
  id: 'A-2001',
  type: 'milestone_fund',
  status: 'pending',
  contractId: 'C-501',
  milestoneId: 'M-1001',
  jobId: 'J-100',
  proposalId: null,
  approvalUrl: `${origin}/approvals/A-2001`,
  expiresAt: '2026-06-15T10:00:00.000Z',
  resolvedAt: null,
  result: null,
  createdAt: '2026-06-12T10:00:00.000Z',
  ...overrides,
});

/** A value a field might hold instead of the documented one. */
const garbage = fc.oneof(
  hostileLongText(),
  anyId(),
  foreignWord(),
  fc.jsonValue({ maxDepth: 2 }),
  instant.map((date) => date.toISOString()),
  fc.constantFrom(
    'http://app.opentrain.ai/approvals/A-1',
    'https://opentrain.evil.example/approvals/A-1',
    `${origin}/approvals/A-2001`,
  ),
);

/** Some documented fields replaced by garbage, or dropped. */
function mutated(keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .uniqueArray(fc.constantFrom(...keys), { maxLength: 4 })
    .chain((chosen) =>
      fc
        .tuple(...chosen.map(() => fc.option(garbage, { nil: undefined })))
        .map((values) => Object.fromEntries(chosen.map((key, i) => [key, values[i]]))),
    );
}

const approvalKeys = Object.keys(approvalJson({}));

const approvalBody = fc.oneof(
  mutated(approvalKeys).map((overrides) => ({ approval: approvalJson(overrides) })),
  fc.record({ approval: fc.oneof(fc.jsonValue(), mutated(approvalKeys)) }),
);

const event = fc.record({
  id: fc.oneof(fc.nat().map(String), garbage),
  type: fc.oneof(
    fc.constantFrom('approval.confirmed', 'milestone.status_changed', 'contract.budget_state_changed'),
    foreignWord(),
  ),
  createdAt: fc.oneof(
    instant.map((date) => date.toISOString()),
    garbage,
  ),
  resourceId: fc.option(garbage),
  jobId: fc.option(garbage),
  data: fc.option(
    fc.record(
      {
        approvalId: garbage,
        milestoneId: garbage,
        contractId: garbage,
        jobId: garbage,
        status: fc.oneof(fc.constantFrom(...approvalStatuses, 'NOT_FUNDED'), garbage),
        state: fc.oneof(fc.constantFrom('OK', 'LOW', 'DEPLETED'), garbage),
        fundedVolume: garbage,
      },
      { requiredKeys: [] },
    ),
  ),
});

const updatesBody = fc.record(
  {
    events: fc.oneof(fc.array(event, { maxLength: 8 }), garbage),
    nextCursor: fc.option(garbage),
    hasMore: fc.oneof(fc.boolean(), garbage),
  },
  { requiredKeys: [] },
);

const contract = fc.record(
  {
    id: fc.oneof(fc.constant('C-501'), garbage),
    status: fc.option(garbage),
    title: fc.option(garbage),
    jobId: fc.option(fc.oneof(fc.constant('J-100'), garbage)),
    freelancer: fc.option(fc.record({ displayName: fc.option(garbage) }, { requiredKeys: [] })),
    milestones: fc.option(
      fc.array(
        fc.record(
          {
            id: fc.oneof(fc.constant('M-1001'), garbage),
            name: fc.option(garbage),
            status: fc.option(garbage),
            amountUsd: fc.option(fc.oneof(fc.double(), garbage)),
            milestoneNumber: fc.option(garbage),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 4 },
      ),
    ),
  },
  { requiredKeys: [] },
);

/** Bytes OpenTrain (or a proxy in front of it) might send back. */
function bodyOf(shaped: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: shaped.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: errorEnvelope.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.string({ unit: 'binary' }),
        hostileText(),
        fc.constantFrom('', '<html>502 Bad Gateway</html>', '{"approval":', 'null', '[]', '"ok"'),
      ),
    },
  );
}

function answer(shaped: fc.Arbitrary<unknown>): fc.Arbitrary<Answer> {
  return fc.record({
    status: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(200, 201, 202) },
      { weight: 2, arbitrary: fc.constantFrom(400, 401, 403, 404, 409, 429, 500, 502, 503) },
      { weight: 1, arbitrary: fc.integer({ min: 200, max: 599 }) },
    ),
    retryAfter: fc.option(
      fc.oneof(
        fc.nat({ max: 10_000 }).map(String),
        hostileText(3),
        fc.constant('Wed, 21 Oct 2015 07:28:00 GMT'),
      ),
      { nil: undefined },
    ),
    body: bodyOf(shaped),
  });
}

/** The capabilities probe the client makes after a bare 403 to a write. */
const capabilitiesAnswer = answer(
  fc.record({
    capabilities: fc.oneof(fc.record({ paymentsWrite: fc.oneof(fc.boolean(), garbage) }), garbage),
  }),
);

type Call = (port: OpenTrainPort) => Promise<unknown>;

const calls: Record<string, { answer: fc.Arbitrary<Answer>; call: Call; check: (value: unknown) => void }> = {
  'POST /milestones/{id}/fund': {
    answer: answer(approvalBody),
    call: (port) => port.fundMilestone('M-1001', { attempts: 1 }),
    check: (value) => expectApproval(value, { milestoneId: 'M-1001' }),
  },
  'GET /approvals/{id}': {
    answer: answer(approvalBody),
    call: (port) => port.getApproval('A-2001', { attempts: 1 }),
    check: (value) => expectApproval(value, { id: 'A-2001' }),
  },
  'GET /updates': {
    answer: answer(updatesBody),
    call: (port) => port.listUpdates(null, 200, { attempts: 1 }),
    check: (value) => {
      const page = value as Awaited<ReturnType<OpenTrainPort['listUpdates']>>;
      expect(typeof page.hasMore).toBe('boolean');
      for (const item of page.events) {
        expect(Number.isNaN(item.at.getTime())).toBe(false);
        // Every id the tick could act on (read an approval, fund a milestone, look up a contract) is an id.
        for (const id of [
          'approvalId' in item ? item.approvalId : null,
          'milestoneId' in item ? item.milestoneId : null,
          'contractId' in item ? item.contractId : null,
          'jobId' in item ? item.jobId : null,
        ]) {
          if (id !== null) expect(id).toMatch(openTrainIdPattern);
        }
      }
    },
  },
  'GET /contracts/{id}': {
    answer: answer(fc.record({ contract })),
    call: (port) => port.getContract('C-501', { attempts: 1 }),
    check: (value) => expectContract(value, 'C-501'),
  },
  'GET /contracts?jobId=': {
    answer: answer(fc.record({ contracts: fc.oneof(fc.array(contract, { maxLength: 3 }), garbage) })),
    call: (port) => port.listContracts('J-100', { attempts: 1 }),
    check: (value) => {
      expect(Array.isArray(value)).toBe(true);
      for (const one of value as unknown[]) expectContract(one, undefined);
    },
  },
};

function expectApproval(value: unknown, asked: { id?: string; milestoneId?: string }): void {
  const approval = value as Awaited<ReturnType<OpenTrainPort['getApproval']>>;
  if (asked.id !== undefined) expect(approval.id).toBe(asked.id);
  if (asked.milestoneId !== undefined) expect(approval.milestoneId).toBe(asked.milestoneId);
  for (const id of [
    approval.id,
    approval.contractId,
    approval.milestoneId,
    approval.jobId,
    approval.proposalId,
  ]) {
    if (id !== null) expect(id).toMatch(openTrainIdPattern);
  }
  expect(new URL(approval.approvalUrl).origin).toBe(origin);
  expect(approvalStatuses).toContain(approval.status);
  for (const date of [approval.expiresAt, approval.createdAt, approval.resolvedAt]) {
    if (date !== null) expect(Number.isNaN(date.getTime())).toBe(false);
  }
}

function expectContract(value: unknown, id: string | undefined): void {
  const contract = value as Awaited<ReturnType<OpenTrainPort['getContract']>>;
  if (id !== undefined) expect(contract.id).toBe(id);
  expect(contract.id).toMatch(openTrainIdPattern);
  if (contract.jobId !== null) expect(contract.jobId).toMatch(openTrainIdPattern);
}

describe('OpenTrain answers that do not match the documented shapes', { timeout: fuzzTimeout() }, () => {
  const agent = new MockAgent();
  let current: Answer;
  let probe: Answer;

  beforeAll(() => {
    agent.disableNetConnect();
    agent
      .get(origin)
      .intercept({ path: () => true, method: () => true })
      .reply(({ path }) => {
        const given = path.includes('/job-drafts/capabilities') ? probe : current;
        return {
          statusCode: given.status,
          data: given.body,
          responseOptions: {
            headers: {
              'content-type': 'application/json',
              ...(given.retryAfter === undefined ? {} : { 'retry-after': given.retryAfter }),
            },
          },
        };
      })
      .persist();
  });
  afterAll(async () => {
    await agent.close();
  });

  /** A fresh client each time: a Retry-After pause from one run must not hold the next one back. */
  function freshPort(): OpenTrainPort {
    const client = createOpenTrainClient({
      baseUrl,
      token: 'ot_pat_fuzz',
      clock: new ShiftableClock(),
      log: pino({ level: 'silent' }),
      dispatcher: agent,
      timeoutMs: 2_000,
      // One try, and no waiting for a pause: a run never sleeps.
      retry: { attempts: 1, budgetMs: 0 },
    });
    return createOpenTrainPort(client, { trustedOrigin: origin });
  }

  it.each(Object.keys(calls))('%s: a value that is what was asked, or a named failure', async (name) => {
    const { answer: answers, call, check } = calls[name] as (typeof calls)[string];
    await fc.assert(
      fc.asyncProperty(answers, capabilitiesAnswer, async (given, capabilities) => {
        current = given;
        probe = capabilities;
        const port = freshPort();

        const outcome = await call(port).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );

        if (outcome.ok) {
          expect(given.status).toBeGreaterThanOrEqual(200);
          expect(given.status).toBeLessThan(300);
          check(outcome.value);
          return;
        }
        expect(outcome.error).toBeInstanceOf(OpenTrainError);
        const error = outcome.error as OpenTrainError;
        expect(upstreamFailures).toContain(error.failure);
        if (given.status >= 200 && given.status < 300) expect(error.failure).toBe('bad-response');
        const refusal = port.explain(error);
        expect(refusal).toBeDefined();
        if (refusal === undefined) return;
        expect(
          slackMessageProblems(fundingFailedReply(refusal, 'M-1001'), {
            allowed: { linkPrefixes: [`${origin}/`] },
          }),
        ).toEqual([]);
      }),
      fuzz(150),
    );
  });
});

describe('the real bot when OpenTrain answers garbage', { timeout: fuzzTimeout() }, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *', FUND_CHANNEL: ids.financeApprovals });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Where the garbage goes: the fund call, the contract lookup, the feed, or a read of the approval. */
  const target = fc.constantFrom(
    { method: 'POST', path: /^\/milestones\/[^/]+\/fund$/, body: approvalBody },
    { method: 'GET', path: /^\/contracts\//, body: fc.record({ contract }) as fc.Arbitrary<unknown> },
    { method: 'GET', path: '/updates', body: updatesBody as fc.Arbitrary<unknown> },
    { method: 'GET', path: /^\/approvals\//, body: approvalBody },
  );
  /** A rewritten real answer (OpenTrain committed the request), or a refusal with a body of any shape. */
  const fault = target.chain(({ method, path, body }) =>
    fc.oneof(
      body.map((value) => ({ method, path, rewrite: () => value })),
      fc
        .tuple(fc.constantFrom(400, 401, 403, 404, 409, 422), fc.oneof(errorEnvelope, fc.jsonValue()))
        .map(([status, value]) => ({
          method,
          path,
          status,
          body: (typeof value === 'object' && value !== null ? value : { value }) as object,
        })),
    ),
  );

  it(
    'answers the requester with a named failure, and keeps to the rules in Slack',
    async () => {
      await fc.assert(
        fc.asyncProperty(fault, fc.constantFrom('confirm', 'decline', 'none'), async (given, ending) => {
          const milestone = h.opentrain.addMilestone('C-501', { name: 'Garbage batch', amountUsd: 75 });
          const before = lastCallSeq(h);
          h.opentrain.clearFaults();
          h.opentrain.injectFault({ ...given, times: 2 });

          const result = await h.command(milestone.id);
          await h.service.pollNow();
          const approval = h.opentrain.snapshot().approvals.find((one) => one.milestoneId === milestone.id);
          if (approval !== undefined && ending === 'confirm') h.opentrain.confirm(approval.id);
          if (approval !== undefined && ending === 'decline') h.opentrain.decline(approval.id);
          await h.service.pollNow();
          h.opentrain.clearFaults();

          expect(result.status).toBe(200);
          // The requester heard something after "Asking OpenTrain…": the card's link, or what went wrong.
          const answered = h.slack.calls.some(
            (call) => call.seq > before && call.method === 'response_url' && call.args.user === ids.alice,
          );
          expect(answered).toBe(true);
          expect(slackMessageFaults(h, before)).toEqual([]);
          expect(uncheckedOpenTrainIds(h)).toEqual([]);
        }),
        fuzz(20),
      );
    },
    fuzzTimeout(60_000),
  );
});
