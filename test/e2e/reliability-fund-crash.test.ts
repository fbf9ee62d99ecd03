import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kill, spawnBot } from './bot-child.js';
import { botMessages, dmsTo, type Harness, ids, opentrainCalls, startHarness } from './harness.js';

/** Everything the requester was told: private replies and DMs. */
function toldAlice(h: Harness): string {
  const ephemerals = h.slack
    .ephemerals(ids.alice)
    .map((message) => message.text + JSON.stringify(message.blocks));
  const dms = dmsTo(h, ids.alice).map((message) => message.text + JSON.stringify(message.blocks));
  return [...ephemerals, ...dms].join('\n');
}

/** The bot's one card in #finance-approvals, once it shows `fragment` (the next process posts it after the lease). */
function cardShowing(h: Harness, fragment: string) {
  return h.slack.waitUntil(
    () =>
      botMessages(h, ids.financeApprovals).find((message) =>
        (message.text + JSON.stringify(message.blocks)).includes(fragment),
      ),
    30_000,
    `a card showing "${fragment}"`,
  );
}

// Issue 9: after a crash, the fund effect called POST /milestones/{id}/fund again unconditionally. If the
// approval was declined while the bot was down, a second approval nobody asked for was created (and a second
// card a person could confirm); if it was confirmed, the requester was told the milestone "cannot be funded".
describe('the fund effect after a crash', () => {
  let h: Harness;
  let bot: ChildProcess | undefined;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '*/1 * * * * *' }, { startBot: false });
  });
  afterEach(async () => {
    if (bot !== undefined) await kill(bot);
    await h.close();
  });

  /**
   * OpenTrain answered the fund call and the bot recorded the approval it got, then died while it was still
   * looking up the contract for the card (the slow step after the answer): the effect never finished.
   */
  async function crashAfterTheAnswer(): Promise<string> {
    h.opentrain.injectFault({ method: 'GET', path: '/contracts/C-501', latencyMs: 60_000 });
    const first = await spawnBot(h.env);
    bot = first.child;
    const ack = await h.slack.sendCommand({
      appUrl: `${first.url}/slack/events`,
      text: 'M-1001',
      userId: ids.alice,
      channelId: ids.financeApprovals,
    });
    expect(ack.body).toBe('');
    // The contract lookup has reached OpenTrain and hangs there: the fund call was answered before it.
    await vi.waitFor(() => expect(h.opentrain.faults).toEqual([]), { timeout: 10_000, interval: 10 });
    await kill(first.child);
    expect(opentrainCalls(h, 'POST', '/milestones/M-1001/fund')).toHaveLength(1);
    expect(botMessages(h, ids.financeApprovals)).toEqual([]);
    const [approval] = h.opentrain.snapshot().approvals;
    if (approval === undefined) throw new Error('OpenTrain recorded no approval');
    return approval.id;
  }

  it('(a) declined while the bot was down: no second approval, and the card shows declined', async () => {
    const approvalId = await crashAfterTheAnswer();
    h.opentrain.decline(approvalId);

    bot = (await spawnBot(h.env)).child;

    await cardShowing(h, 'Funding declined');
    await h.slack.waitUntil(() => (toldAlice(h).includes('declined') ? true : undefined), 10_000);
    expect(opentrainCalls(h, 'POST', '/milestones/M-1001/fund')).toHaveLength(1);
    expect(h.opentrain.snapshot().approvals.filter((a) => a.milestoneId === 'M-1001')).toHaveLength(1);
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
    expect(JSON.stringify(botMessages(h, ids.financeApprovals)[0]?.blocks)).not.toContain('open_approval');
  }, 60_000);

  it('(b) confirmed while the bot was down: the requester is told it was funded, never that it cannot be', async () => {
    const approvalId = await crashAfterTheAnswer();
    h.opentrain.confirm(approvalId);

    bot = (await spawnBot(h.env)).child;

    await cardShowing(h, 'Milestone funded');
    await h.slack.waitUntil(() => (/funded/i.test(toldAlice(h)) ? true : undefined), 10_000);
    expect(toldAlice(h)).not.toMatch(/cannot be funded|nothing to fund|already funded/i);
    expect(opentrainCalls(h, 'POST', '/milestones/M-1001/fund')).toHaveLength(1);
    expect(h.opentrain.snapshot().approvals).toHaveLength(1);
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
  }, 60_000);

  it('(c) the POST reached OpenTrain but the bot died before the answer, then it was declined: no new approval', async () => {
    // OpenTrain records the request at once and answers a minute later: the bot never hears what it created.
    h.opentrain.injectFault({ method: 'POST', path: '/milestones/M-1001/fund', lateMs: 60_000 });
    const first = await spawnBot(h.env);
    bot = first.child;
    await h.slack.sendCommand({
      appUrl: `${first.url}/slack/events`,
      text: 'M-1001',
      userId: ids.alice,
      channelId: ids.financeApprovals,
    });
    const approvalId = await vi.waitFor(
      () => {
        const id = h.opentrain.snapshot().approvals[0]?.id;
        if (id === undefined) throw new Error('OpenTrain has recorded no approval yet');
        return id;
      },
      { timeout: 10_000, interval: 10 },
    );
    await kill(first.child);
    h.opentrain.decline(approvalId);

    bot = (await spawnBot(h.env)).child;

    await cardShowing(h, 'Funding declined');
    expect(h.opentrain.snapshot().approvals.filter((a) => a.milestoneId === 'M-1001')).toHaveLength(1);
    // The first POST is still held by the fault (its log entry comes when it is answered): none came after it.
    expect(
      opentrainCalls(h, 'POST', '/milestones/M-1001/fund').filter((call) => call.fault !== 'late'),
    ).toEqual([]);
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
    expect(JSON.stringify(botMessages(h, ids.financeApprovals)[0]?.blocks)).not.toContain('open_approval');
  }, 60_000);
});

// The window that stayed open: the answer was lost, and the bot came back only after that approval's lifetime.
// OpenTrain marks a lapsed approval expired only when something reads it, so the feed shows nothing ended.
describe('the fund effect back only after the lost approval could have lapsed', () => {
  const lifetimeMs = 6_000;
  let h: Harness;
  let bot: ChildProcess | undefined;
  beforeEach(async () => {
    h = await startHarness(
      { POLL_SCHEDULE: '*/1 * * * * *' },
      { startBot: false, approvalTtlMs: lifetimeMs },
    );
  });
  afterEach(async () => {
    if (bot !== undefined) await kill(bot);
    await h.close();
  });

  it('asks OpenTrain nothing again, and tells the requester it could not confirm the request', async () => {
    const first = await spawnBot(h.env);
    bot = first.child;
    const send = (text: string) =>
      h.slack.sendCommand({
        appUrl: `${first.url}/slack/events`,
        text,
        userId: ids.alice,
        channelId: ids.financeApprovals,
      });
    // An approval tracked as usual shows the bot how long OpenTrain keeps one pending.
    await send('M-1002');
    await cardShowing(h, 'M-1002');
    h.opentrain.injectFault({ method: 'POST', path: '/milestones/M-1001/fund', lateMs: 60_000 });
    await send('M-1001');
    const lost = await vi.waitFor(
      () => {
        const approval = h.opentrain.snapshot().approvals.find((a) => a.milestoneId === 'M-1001');
        if (approval === undefined) throw new Error('OpenTrain has recorded no approval of M-1001 yet');
        return approval;
      },
      { timeout: 10_000, interval: 10 },
    );
    await kill(first.child);
    // Down until that approval's lifetime is over (a real outage of about three days).
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(Date.parse(lost.expiresAt) + 500), {
      timeout: lifetimeMs + 5_000,
      interval: 100,
    });

    bot = (await spawnBot(h.env)).child;

    await h.slack.waitUntil(
      () => (toldAlice(h).includes('could not confirm whether OpenTrain recorded') ? true : undefined),
      20_000,
      'the requester told the request could not be confirmed',
    );
    expect(toldAlice(h)).toContain('/fund-milestone M-1001');
    expect(h.opentrain.snapshot().approvals.filter((a) => a.milestoneId === 'M-1001')).toHaveLength(1);
    expect(
      opentrainCalls(h, 'POST', '/milestones/M-1001/fund').filter((call) => call.fault !== 'late'),
    ).toEqual([]);
    expect(
      botMessages(h, ids.financeApprovals).filter((m) => JSON.stringify(m.blocks).includes('M-1001')),
    ).toEqual([]);
  }, 60_000);
});
