import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Fault } from '../../src/sandbox/opentrain/faults.js';
import { botMessages, type Harness, ids, startHarness, waitForCard } from './harness.js';

const long = (letter: string) => letter.repeat(5_000);

/** Error envelopes whose every field is far over what Slack takes in a block (3,000 characters a section). */
const refusals: [label: string, milestoneId: string, fault: Fault, fragment: string][] = [
  [
    '409 with a 5,000-character requestId, status and message',
    'M-1001',
    {
      method: 'POST',
      path: '/milestones/M-1001/fund',
      status: 409,
      body: {
        error: long('e'),
        code: 'CONFLICT',
        requestId: long('r'),
        details: { reason: 'milestone_not_fundable', status: long('S') },
      },
    },
    'M-1001',
  ],
  [
    '403 with 5,000-character requiredScopes, many of them',
    'M-1002',
    {
      method: 'POST',
      path: '/milestones/M-1002/fund',
      status: 403,
      body: {
        error: long('m'),
        code: 'FORBIDDEN',
        requestId: long('q'),
        details: { requiredScopes: Array.from({ length: 200 }, (_, i) => `${long('p')}${i}`) },
      },
    },
    'OpenTrain token',
  ],
  [
    '409 with an unknown reason and 5,000 characters in every detail',
    'M-1001',
    {
      method: 'POST',
      path: '/milestones/M-1001/fund',
      status: 409,
      body: {
        error: long('x'),
        code: 'CONFLICT',
        requestId: long('y'),
        details: { reason: long('z'), status: long('w'), contractId: long('c'), featureKey: long('f') },
      },
    },
    'M-1001',
  ],
];

// Issue 9: OpenTrain error fields were put into replies without a length cap; Slack rejected the blocks
// (invalid_blocks) and the requester was never told anything.
describe('OpenTrain refusals with fields over Slack limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.opentrain.clearFaults();
  });

  it.each(refusals)(
    '%s: the requester still gets a reply Slack accepted',
    async (_label, milestoneId, fault, fragment) => {
      h.opentrain.injectFault(fault);
      const user = ids.bob;
      const before = h.slack.ephemerals(user).length;

      await h.command(milestoneId, { userId: user });

      // The fake keeps only what Slack accepted: a reply there landed.
      const reply = await h.slack.waitUntil(
        () =>
          h.slack
            .ephemerals(user)
            .slice(before)
            .find(
              (message) => message.source === 'response_url' && /nothing was requested/i.test(message.text),
            ),
        10_000,
        'the refusal reply',
      );
      expect(`${reply.text}${JSON.stringify(reply.blocks)}`).toContain(fragment);
      expect(JSON.stringify(reply.blocks).length).toBeLessThan(12_000);
      expect(botMessages(h, ids.financeApprovals)).toEqual([]);
      const refused = h.slack.calls
        .filter((call) => call.method === 'response_url' || call.method === 'chat.postMessage')
        .filter(
          (call) => call.response.status !== 200 || (call.response.body as { ok?: boolean }).ok === false,
        );
      expect(refused).toEqual([]);
    },
  );
});

// Slack can reject blocks for reasons no cap foresees; the message is sent again as plain text, and lands.
describe('a message Slack rejects with invalid_blocks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.slack.clearFaults();
  });

  it('is posted again as plain text: the card lands, and its edit too', async () => {
    h.slack.injectFault({ method: 'chat.postMessage', error: 'invalid_blocks' });

    await h.command('M-1001');

    const card = await waitForCard(h, ids.financeApprovals);
    expect(card.text).toContain('Funding approval needed');
    expect(h.slack.callsTo('chat.postMessage')[0]?.response.body).toMatchObject({
      ok: false,
      error: 'invalid_blocks',
    });

    h.slack.injectFault({ method: 'chat.update', error: 'invalid_blocks' });
    h.opentrain.confirm(h.opentrain.snapshot().approvals[0]?.id ?? '');
    await h.service.pollNow();

    await h.slack.waitUntil(
      () => h.slack.message(ids.financeApprovals, card.ts)?.text.includes('Milestone funded') || undefined,
      10_000,
      'the card edited to funded',
    );
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
  });

  it('through a response_url, is answered again as plain text there', async () => {
    h.slack.injectFault({ method: 'response_url', error: 'invalid_blocks' });
    const before = h.slack.ephemerals(ids.carol).length;
    const answeredBefore = h.slack.callsTo('response_url').length;

    await h.command('M-1003', { userId: ids.carol });

    const reply = await h.slack.waitUntil(
      () =>
        h.slack
          .ephemerals(ids.carol)
          .slice(before)
          .find((message) => message.source === 'response_url' && message.text.includes('M-1003')),
      10_000,
      'the refusal reply as plain text',
    );
    expect(reply.text).toMatch(/already funded/);
    const answers = h.slack
      .callsTo('response_url')
      .slice(answeredBefore)
      .map((call) => call.response.body);
    expect(answers).toEqual([{ ok: false, error: 'invalid_blocks' }, { ok: true }]);
  });
});
