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

describe('/fund-milestone', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('acknowledges at once and posts the approval card with every fact, then links the requester to it', async () => {
    const ack = await h.command('M-1002 batch 2 is <!channel> ready <@U0BOB>');

    expect(ack.status).toBe(200);
    // Acknowledged with no message: the one private reply comes through the response_url.
    expect(ack.body).toBe('');
    const card = await waitForCard(h, ids.financeApprovals);
    const blocks = JSON.stringify(card.blocks);
    expect(card.text).toContain('Funding approval needed');
    for (const fact of [
      'QA pass on 500 transcripts',
      '`M-1002`',
      '$1,250.00',
      'Medical Transcript QA Contract',
      'Amara O.',
      'Requested by <@U0ALICE>',
      '<!date^',
      '(in 3 days)',
    ]) {
      expect(blocks).toContain(fact);
    }
    expect(blocks).toContain('batch 2 is &lt;!channel&gt; ready &lt;@U0BOB&gt;');
    expect(blocks).not.toMatch(/<!channel>|<@U0BOB>/);
    const approval = h.opentrain.snapshot().approvals[0];
    expect(blocks).toContain(`\`${approval?.id}\``);
    expect(card.blocks).toContainEqual(
      expect.objectContaining({
        type: 'actions',
        elements: [
          expect.objectContaining({
            url: approval?.approvalUrl,
            action_id: 'open_approval',
            value: approval?.id,
          }),
        ],
      }),
    );
    const reply = await replyContaining(h, ids.alice, 'Funding requested');
    expect(reply).toContain(`/archives/${ids.financeApprovals}/p${card.ts.replace('.', '')}`);
  });

  it('posts in the channel the command came from when FUND_CHANNEL is unset', async () => {
    await h.command('M-1001', { userId: ids.bob, channelId: ids.projectX });

    const card = await waitForCard(h, ids.projectX);

    expect(card.text).toContain('$300.00');
    expect(botMessages(h, ids.financeApprovals)).toEqual([]);
  });

  it('never waits for OpenTrain before acknowledging', async () => {
    h.opentrain.injectFault({ method: 'POST', path: '/milestones/M-1001/fund', latencyMs: 3_500 });

    const ack = await h.command('M-1001');

    expect(ack.status).toBe(200);
    expect(ack.failure).toBeUndefined();
    expect(opentrainCalls(h, 'POST', '/fund')).toEqual([]);
    await waitForCard(h, ids.financeApprovals);
  });

  it('acks the approval button click that Slack sends for a URL button, and audits it', async () => {
    await h.command('M-1001');
    const card = await waitForCard(h, ids.financeApprovals);
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';

    const click = await h.slack.clickButton({
      appUrl: `${h.service.url}/slack/events`,
      userId: ids.bob,
      channelId: ids.financeApprovals,
      messageTs: card.ts,
      actionId: 'open_approval',
      value: approvalId,
    });

    expect(click.status).toBe(200);
    await expect
      .poll(async () =>
        (await h.service.store.audit.list({ approvalId, limit: 10 })).map((entry) => entry.action),
      )
      .toContain('link-opened');
    const [opened] = await h.service.store.audit.list({ approvalId, limit: 1 });
    expect(opened?.actor).toBe(`slack:${ids.bob}`);
  });

  it('points a second request for a pending approval at the existing card instead of posting another', async () => {
    await h.command('M-1001');
    const card = await waitForCard(h, ids.financeApprovals);
    await replyContaining(h, ids.alice, 'Funding requested');

    await h.command('M-1001', { userId: ids.bob });
    const reply = await replyContaining(h, ids.bob, 'is already requested');

    expect(reply).toContain('requested by <@U0ALICE>');
    expect(reply).toContain(`p${card.ts.replace('.', '')}`);
    expect(opentrainCalls(h, 'POST', '/milestones/M-1001/fund')).toHaveLength(2);
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
  });

  it('answers the same person asking twice in quick succession with one card, then a pointer to it', async () => {
    // The first fund call is slow, so the second command is queued before the first approval is tracked.
    h.opentrain.injectFault({ method: 'POST', path: '/milestones/M-1001/fund', latencyMs: 300 });
    await h.command('M-1001');
    await h.command('M-1001');

    await replyContaining(h, ids.alice, 'Funding requested');
    await replyContaining(h, ids.alice, 'is already requested');
    const card = await waitForCard(h, ids.financeApprovals);

    const replies = h.slack.ephemerals(ids.alice).map((message) => message.text);
    expect(replies.filter((text) => text.includes('Funding requested'))).toHaveLength(1);
    expect(replies.filter((text) => text.includes('is already requested'))).toHaveLength(1);
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
    // Posted once, with its context: no bare card edited afterwards.
    expect(card.edited).toBe(false);
    expect(JSON.stringify(card.blocks)).toContain('Maria G.');
  });

  it.each([
    ['', 'Request funding for an OpenTrain milestone'],
    ['help', 'Request funding for an OpenTrain milestone'],
    ['<@U0BOB>', 'does not look like a milestone id'],
    ['<https://app.opentrain.ai/contracts/C-501>', 'does not contain a milestone id'],
    ['m-1001', 'upper case: did you mean `M-1001`?'],
    ['M 1001 ready', 'did you mean `M-1001`?'],
  ])('answers %j with guidance and sends nothing to OpenTrain', async (text, expected) => {
    const ack = await h.command(text);

    expect(ack.status).toBe(200);
    expect(ack.body).toContain(expected);
    expect(opentrainCalls(h, 'POST', '/')).toEqual([]);
  });

  it('accepts a pasted OpenTrain link', async () => {
    await h.command('<https://app.opentrain.ai/contracts/C-501/milestones/M-1001|milestone>');

    await waitForCard(h, ids.financeApprovals);

    expect(opentrainCalls(h, 'POST', '/milestones/M-1001/fund')).toHaveLength(1);
  });

  it('tells the requester how to fix a channel it cannot post in, and still tracks the approval', async () => {
    await h.command('M-1001', { userId: ids.alice, channelId: ids.secretOps });

    const reply = await replyContaining(h, ids.alice, "couldn't post its card");
    expect(reply).toContain("I'm not a member of <#C0SECRETOPS>");
    expect(reply).toContain('/invite @Countersign');
    const approvalId = h.opentrain.snapshot().approvals[0]?.id ?? '';
    expect(reply).toContain(approvalId);
    expect((await h.service.store.approvals.get(approvalId))?.status).toBe('pending');

    h.slack.addChannel({
      id: ids.secretOps,
      name: 'secret-ops',
      isPrivate: true,
      members: [ids.alice, ids.bob],
      botIsMember: true,
    });
    h.clock.advance(6 * 60_000);
    await h.service.pollNow();

    await waitForCard(h, ids.secretOps);
    const dm = await h.slack.waitUntil(() => {
      const channel = h.slack.dmChannelOf(ids.alice);
      return channel === undefined
        ? undefined
        : h.slack.messages(channel).find((m) => m.text.includes('is now posted'));
    });
    expect(dm.text).toContain('<#C0SECRETOPS>');
  });
});

describe('a contract lookup that fails', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  const contractFacts = [
    'QA pass on 500 transcripts',
    '$1,250.00',
    'Medical Transcript QA Contract',
    'Amara O.',
  ];

  it('still posts the card without the contract context, tells the requester it worked, and adds the context later', async () => {
    h.opentrain.injectFault({ method: 'GET', path: '/contracts/C-502', status: 503, times: Infinity });

    await h.command('M-1002');

    const card = await waitForCard(h, ids.financeApprovals);
    const shown = JSON.stringify(card.blocks) + card.text;
    expect(shown).toContain('`M-1002`');
    for (const fact of contractFacts) expect(shown).not.toContain(fact);
    const reply = await replyContaining(h, ids.alice, 'Funding requested');
    expect(reply).toContain(`/archives/${ids.financeApprovals}/p${card.ts.replace('.', '')}`);
    const lookups = opentrainCalls(h, 'GET', '/contracts/C-502');
    expect(lookups.length).toBeGreaterThan(0);
    expect(lookups.every((call) => call.status === 503)).toBe(true);

    // While OpenTrain still fails, a tick a minute later tries once more (one call) and leaves the card alone.
    const calls = () => opentrainCalls(h, 'GET', '/contracts/C-502').length;
    const first = calls();
    h.clock.advance(61_000);
    await h.service.pollNow();
    const second = calls();
    expect(second).toBe(first + 1);
    expect(h.slack.message(ids.financeApprovals, card.ts)?.edited).toBe(false);

    // Once OpenTrain answers again, the next due try finds the context and the card is edited to show it.
    h.opentrain.clearFaults();
    await h.service.pollNow();
    expect(calls()).toBe(second);
    h.clock.advance(61_000);
    await h.service.pollNow();
    const edited = h.slack.message(ids.financeApprovals, card.ts);
    expect(edited?.edited).toBe(true);
    for (const fact of contractFacts) expect(JSON.stringify(edited?.blocks) + edited?.text).toContain(fact);
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(1);
    expect(calls()).toBe(second + 1);
    h.clock.advance(2 * 3_600_000);
    await h.service.pollNow();
    expect(calls()).toBe(second + 1);
  });

  it('does not wait for a lookup that never answers beyond its timeout', async () => {
    // The first try hangs until the bot's 3 s contract timeout; the retry fails fast.
    h.opentrain.injectFault({ method: 'GET', path: '/contracts/C-502', drop: 'hang' });
    h.opentrain.injectFault({ method: 'GET', path: '/contracts/C-502', status: 503 });

    await h.command('M-1002');

    const card = await h.slack.waitUntil(
      () => botMessages(h, ids.financeApprovals)[0],
      10_000,
      'the card, once the contract lookup has timed out',
    );
    for (const fact of contractFacts) expect(JSON.stringify(card.blocks) + card.text).not.toContain(fact);
    await replyContaining(h, ids.alice, 'Funding requested');
    expect(opentrainCalls(h, 'GET', '/contracts/C-502').map((call) => call.fault)).toEqual([
      'hang',
      'status',
    ]);
  });
});

describe('/fund-milestone with FUND_CHANNEL', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ FUND_CHANNEL: ids.financeApprovals });
  });
  afterEach(async () => {
    await h.close();
  });

  it('routes every card to FUND_CHANNEL, whatever channel the command came from', async () => {
    await h.command('M-1001', { userId: ids.bob, channelId: ids.projectX });

    await waitForCard(h, ids.financeApprovals);

    expect(botMessages(h, ids.projectX)).toEqual([]);
  });
});

describe('/fund-milestone with FUND_CHANNEL set to a channel Slack does not know', () => {
  const missing = 'C0NOSUCHCHAN';
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ FUND_CHANNEL: missing, POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('tells the requester how to fix it, posts no card, keeps tracking, and posts the card once the channel exists', async () => {
    await h.command('M-1001', { userId: ids.alice, channelId: ids.financeApprovals });

    const reply = await replyContaining(h, ids.alice, "couldn't post its card");
    expect(reply).toContain(`I can't find or use <#${missing}>`);
    expect(reply).toContain('FUND_CHANNEL');
    expect(reply).not.toContain('/invite @Countersign');
    const approval = h.opentrain.snapshot().approvals[0];
    expect(reply).toContain(approval?.id ?? 'no approval');
    const message = h.slack.ephemerals(ids.alice).find((m) => m.text.includes("couldn't post its card"));
    expect(JSON.stringify(message?.blocks)).toContain(approval?.approvalUrl ?? 'no approval');
    expect(h.slack.callsTo('chat.postMessage').map((call) => call.response.body)).toEqual([
      expect.objectContaining({ ok: false, error: 'channel_not_found' }),
    ]);
    expect(botMessages(h, ids.financeApprovals)).toEqual([]);
    expect(await h.service.store.approvals.get(approval?.id ?? '')).toMatchObject({
      status: 'pending',
      channelId: missing,
    });

    h.slack.addChannel({ id: missing, name: 'fund-requests', members: [ids.alice] });
    // A channel that cannot be found is retried on a slow beat: 15 to 30 s after the first failure.
    h.clock.advance(31_000);
    await h.service.pollNow();

    await waitForCard(h, missing);
    await dmContaining(h, ids.alice, `is now posted in <#${missing}>`);
    expect(botMessages(h, missing)).toHaveLength(1);
    expect(botMessages(h, ids.financeApprovals)).toEqual([]);
  });
});
