import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OpenTrainSimulator } from '../../src/sandbox/opentrain/simulator.js';
import { botMessages, type Harness, ids, replyContaining, startHarness } from './harness.js';

type Setup = (sim: OpenTrainSimulator) => void;

const cases: [label: string, milestoneId: string, setup: Setup, fragments: string[]][] = [
  [
    '403 missing scope',
    'M-1001',
    (sim) => sim.setAccount({ scopes: ['payments:read'] }),
    ['missing the scope `payments:write`', 'Settings → API keys'],
  ],
  [
    '403 feature disabled',
    'M-1001',
    (sim) => sim.setAccount({ features: { paymentsWrite: false } }),
    ['switched off', '`public_api_payments_write`'],
  ],
  [
    '403 account not claimed',
    'M-1001',
    (sim) => sim.setAccount({ claimed: false }),
    ['not been claimed', '|claim the account>'],
  ],
  ['404 unknown milestone', 'M-9999', () => {}, ['has no milestone `M-9999`']],
  ['409 already funded', 'M-1003', () => {}, ['`M-1003` is already funded']],
  ['409 cancelled', 'M-1004', () => {}, ['`M-1004` was cancelled']],
  ['409 contract ended', 'M-1005', () => {}, ['contract `C-503`', 'has ended']],
  [
    '409 no payment method',
    'M-1001',
    (sim) => sim.setAccount({ paymentMethod: false }),
    ['payment method', '|billing settings>', '/fund-milestone M-1001'],
  ],
  [
    '429 with a long Retry-After',
    'M-1001',
    (sim) =>
      sim.injectFault({ method: 'POST', path: '/milestones/M-1001/fund', status: 429, retryAfter: 90 }),
    ['not answering', 'rate limiting', 'in 90 s'],
  ],
  [
    '500 that does not heal',
    'M-1001',
    (sim) =>
      sim.injectFault({ method: 'POST', path: '/milestones/M-1001/fund', status: 503, times: Infinity }),
    ['not answering', 'server error', 'OpenTrain request id `'],
  ],
  [
    'a dropped connection',
    'M-1001',
    (sim) =>
      sim.injectFault({ method: 'POST', path: '/milestones/M-1001/fund', drop: 'reset', times: Infinity }),
    ['not answering', 'could not be reached'],
  ],
  [
    'a timeout',
    'M-1001',
    (sim) =>
      sim.injectFault({ method: 'POST', path: '/milestones/M-1001/fund', latencyMs: 1_500, times: Infinity }),
    ['not answering', 'did not answer in time'],
  ],
];

describe('funding failures', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ OT_API_TIMEOUT: '1s' });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.opentrain.clearFaults();
    // The bot keeps to a Retry-After an earlier case got (every OpenTrain call waits it out): let it pass.
    h.clock.advance(5 * 60_000);
    h.opentrain.setAccount({
      claimed: true,
      scopes: ['payments:read', 'payments:write'],
      features: { paymentsWrite: true },
      paymentMethod: true,
    });
  });

  it.each(cases)(
    '%s gets a specific private message and no card',
    async (_label, milestoneId, setup, fragments) => {
      setup(h.opentrain);
      const user = ids.bob;
      const before = h.slack.ephemerals(user).length;

      await h.command(milestoneId, { userId: user });
      // A slow answer is preceded by a progress line, which the answer replaces: one message either way.
      const reply = await h.slack.waitUntil(() =>
        h.slack
          .ephemerals(user)
          .slice(before)
          .find((m) => m.source === 'response_url' && !m.text.includes('Asking OpenTrain')),
      );

      expect(h.slack.ephemerals(user).slice(before)).toHaveLength(1);
      expect(reply.text).toMatch(/nothing was requested/i);
      // OpenTrain's request id is a quiet reference line under the sentence, not part of it.
      expect(reply.text).not.toMatch(/request id/);
      const shown = `${reply.text}\n${JSON.stringify(reply.blocks)}`;
      for (const fragment of fragments) expect(shown).toContain(fragment);
      expect(botMessages(h, ids.financeApprovals)).toEqual([]);
      expect(h.opentrain.snapshot().approvals).toEqual([]);
    },
  );

  it('retries a fund call that fails once and then heals', async () => {
    h.opentrain.injectFault({ method: 'POST', path: '/milestones/M-1002/fund', status: 502 });

    await h.command('M-1002');

    await replyContaining(h, ids.alice, 'Funding requested');
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
  });
});

describe('a revoked OpenTrain token', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ OT_API_TOKEN: 'ot_pat_revoked_token' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('tells the requester an admin must replace it, and posts no card', async () => {
    await h.command('M-1001');

    const reply = await replyContaining(h, ids.alice, 'did not accept');

    expect(reply).toContain('OT_API_TOKEN');
    expect(reply).toMatch(/nothing was requested/i);
    expect(botMessages(h, ids.financeApprovals)).toEqual([]);
  });
});
