import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kill, spawnBot } from './bot-child.js';
import {
  botMessages,
  dmContaining,
  type Harness,
  ids,
  replyContaining,
  startHarness,
  waitForCard,
} from './harness.js';

/** Types /fund-milestone in #finance-approvals, addressed to the bot process at `url`. */
async function fundFrom(h: Harness, url: string, milestoneId: string, userId: string) {
  await h.slack.sendCommand({
    appUrl: `${url}/slack/events`,
    text: milestoneId,
    userId,
    channelId: ids.financeApprovals,
  });
}

describe('a restart in the middle', () => {
  let h: Harness;
  let bot: ChildProcess | undefined;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '*/1 * * * * *' }, { startBot: false });
  });
  afterEach(async () => {
    if (bot !== undefined) await kill(bot);
    await h.close();
  });

  it('edits the card confirmed while the bot was down, and posts nothing twice', async () => {
    const first = await spawnBot(h.env);
    bot = first.child;
    await fundFrom(h, first.url, 'M-1001', ids.alice);
    const card = await waitForCard(h, ids.financeApprovals);
    await replyContaining(h, ids.alice, 'Funding requested');

    await kill(first.child);
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    h.opentrain.confirm(approvalId);
    const second = await spawnBot(h.env);
    bot = second.child;

    await h.slack.waitUntil(
      () =>
        JSON.stringify(h.slack.message(ids.financeApprovals, card.ts)?.blocks).includes('Milestone funded') ||
        undefined,
      10_000,
    );
    await dmContaining(h, ids.alice, 'Milestone funded');
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
    const cardPosts = h.slack
      .callsTo('chat.postMessage')
      .filter((call) => call.args.channel === ids.financeApprovals && call.args.thread_ts === undefined);
    expect(cardPosts).toHaveLength(1);
    await h.slack.waitUntil(
      () => h.slack.message(ids.financeApprovals, card.ts)?.replies.length === 1 || undefined,
    );
    const outcomeDms = h.slack.callsTo('chat.postMessage').filter((call) => call.args.channel === ids.alice);
    expect(outcomeDms).toHaveLength(1);
  }, 40_000);

  it('finishes a funding request that was cut off by the crash', async () => {
    h.opentrain.injectFault({ method: 'POST', path: '/milestones/M-1002/fund', latencyMs: 60_000 });
    const first = await spawnBot(h.env);
    bot = first.child;
    await fundFrom(h, first.url, 'M-1002', ids.bob);
    // The fund call has reached OpenTrain and hangs there: this is the moment to crash.
    await vi.waitFor(() => expect(h.opentrain.faults).toEqual([]));

    await kill(first.child);
    const second = await spawnBot(h.env);
    bot = second.child;

    // The dead process held the request under a 15-second lease; the new one takes it over after that.
    await h.slack.waitUntil(() => botMessages(h, ids.financeApprovals)[0], 25_000);
    await replyContaining(h, ids.bob, 'Funding requested');
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
  }, 60_000);

  // Found by the chaos run: the re-run skipped approvals already tracked (here, Alice's), asked again and got a
  // second approval, with a second card.
  it('answers a second request cut off by the crash with the approval it was handed, declined meanwhile', async () => {
    const first = await spawnBot(h.env);
    bot = first.child;
    await fundFrom(h, first.url, 'M-1001', ids.alice);
    await waitForCard(h, ids.financeApprovals);
    h.opentrain.injectFault({ method: 'POST', path: '/milestones/M-1001/fund', latencyMs: 60_000 });
    await fundFrom(h, first.url, 'M-1001', ids.bob);
    await vi.waitFor(() => expect(h.opentrain.faults).toEqual([]));

    await kill(first.child);
    const [approval] = h.opentrain.snapshot().approvals;
    h.opentrain.decline(approval?.id ?? '');
    const second = await spawnBot(h.env);
    bot = second.child;

    // After the dead process's 15-second lease, Bob hears what became of the approval he was handed.
    const answer = await h.slack.waitUntil(
      () => h.slack.ephemerals(ids.bob).find((message) => !message.text.includes('Asking OpenTrain'))?.text,
      25_000,
      'the answer to Bob',
    );
    expect(answer).toContain('was declined');
    await h.slack.waitUntil(
      () =>
        JSON.stringify(botMessages(h, ids.financeApprovals)[0]?.blocks).includes('Funding declined') ||
        undefined,
      10_000,
    );
    expect(h.opentrain.snapshot().approvals).toHaveLength(1);
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
  }, 60_000);
});
