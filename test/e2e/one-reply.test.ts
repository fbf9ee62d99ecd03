import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { botMessages, type Harness, ids, replyContaining, startHarness, waitForCard } from './harness.js';

/**
 * Issue 12, "one request, one private message", against a Slack fake that behaves as Slack does: a
 * response_url message cannot replace the ephemeral a command's acknowledgement showed (bolt-js #2287), but
 * it can replace an earlier response_url message. So the command is acknowledged with no message, and the
 * outcome is the reply's one message; a progress line goes first only when the outcome takes more than
 * about two seconds, and the outcome then replaces it.
 */
describe('one request, one private message', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  const privateTo = (userId: string) => h.slack.ephemerals(userId);
  const responseUrlCalls = () => h.slack.callsTo('response_url').map((call) => call.args);

  it('leaves exactly one private message when the outcome is ready at once', async () => {
    const ack = await h.command('M-1001');

    expect(ack.status).toBe(200);
    expect(ack.body).toBe('');
    await waitForCard(h, ids.financeApprovals);
    await replyContaining(h, ids.alice, 'Funding requested');
    // Long enough for a progress line to have gone out, had one been due.
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    expect(privateTo(ids.alice)).toEqual([
      expect.objectContaining({ source: 'response_url', replaced: false }),
    ]);
    expect(privateTo(ids.alice)[0]?.text).toContain('Funding requested');
    expect(responseUrlCalls()).toEqual([expect.objectContaining({ replace_original: false })]);
  });

  it('shows a progress line while a slow fund call runs, then replaces it with the outcome', async () => {
    h.opentrain.injectFault({ method: 'POST', path: '/milestones/M-1001/fund', latencyMs: 4_000 });

    const ack = await h.command('M-1001');
    expect(ack.body).toBe('');
    const progress = await replyContaining(h, ids.alice, 'Asking OpenTrain to fund `M-1001`');
    expect(botMessages(h, ids.financeApprovals)).toEqual([]);

    await waitForCard(h, ids.financeApprovals);
    await replyContaining(h, ids.alice, 'Funding requested');

    expect(progress).toContain('the answer will follow here');
    expect(privateTo(ids.alice)).toEqual([
      expect.objectContaining({ source: 'response_url', replaced: true }),
    ]);
    expect(privateTo(ids.alice)[0]?.text).toContain('Funding requested');
    expect(responseUrlCalls()).toEqual([
      expect.objectContaining({ replace_original: false, text: expect.stringContaining('Asking OpenTrain') }),
      expect.objectContaining({ replace_original: true, text: expect.stringContaining('Funding requested') }),
    ]);
  }, 20_000);

  it('answers a refusal OpenTrain gives at once with one message, and a slow one in place of the progress line', async () => {
    h.opentrain.injectFault({ method: 'POST', path: '/milestones/M-1003/fund', latencyMs: 3_000 });

    await h.command('M-1003');
    await h.command('M-1004', { userId: ids.bob });

    await replyContaining(h, ids.bob, 'was cancelled');
    await replyContaining(h, ids.alice, 'already funded');
    expect(privateTo(ids.bob)).toHaveLength(1);
    expect(privateTo(ids.alice)).toEqual([expect.objectContaining({ replaced: true })]);
  }, 20_000);

  it('answers the same request twice in quick succession in order, the second saying where the card is', async () => {
    // The first fund call is slow, so the second command is queued before the first approval is tracked.
    h.opentrain.injectFault({ method: 'POST', path: '/milestones/M-1001/fund', latencyMs: 300 });
    await h.command('M-1001');
    await h.command('M-1001');

    const card = await waitForCard(h, ids.financeApprovals);
    await replyContaining(h, ids.alice, 'is already requested');
    await replyContaining(h, ids.alice, 'Funding requested');

    const replies = privateTo(ids.alice).map((message) => message.text);
    expect(replies).toHaveLength(2);
    expect(replies[0]).toContain('Funding requested');
    expect(replies[1]).toContain('is already requested');
    expect(replies[1]).toContain(`p${card.ts.replace('.', '')}`);
    expect(replies[1]).not.toMatch(/not in|yet|keep trying/);
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
  });

  it('tells a second requester the first request is on its way, and where its card will be, while Slack refuses it', async () => {
    h.slack.injectFault({ method: 'chat.postMessage', status: 500, times: 2 });

    await h.command('M-1001');
    await replyContaining(h, ids.alice, 'Slack did not accept the card yet');
    await h.command('M-1001', { userId: ids.bob });
    const pointer = await replyContaining(h, ids.bob, 'is already requested');

    expect(pointer).toContain('That request is already on its way: its card will be in <#C0FINANCE>.');
    expect(pointer).toContain('requested by <@U0ALICE>');
    expect(privateTo(ids.bob)).toHaveLength(1);
    await waitForCard(h, ids.financeApprovals);
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
  });
});
