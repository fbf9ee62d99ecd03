import { describe, expect, it } from 'vitest';
import { type EffectKey, effectKeys, fundEffect } from '../../../src/domain/effects.js';
import type { FundingRequest, UpstreamFailure } from '../../../src/domain/funding.js';
import { carryOutFunding, requestFunding } from '../../../src/use-cases/request-funding.js';
import { at, hours, t0 } from '../../helpers/builders.js';
import { openTrainError, refusalFor } from '../../helpers/fake-opentrain.js';
import { auditActions, auditOf, noticeQueued, replyQueued } from '../../helpers/queue-reading.js';
import {
  anAutofundRequest,
  anUpstreamRequest,
  aReplyTarget,
  aSlackRequest,
  aWorld,
  claimEffect,
  outliveLease,
  retryNow,
  type World,
  workspaceId,
} from '../../helpers/use-case-world.js';

const aliceKey = effectKeys.fund('slack-request-1');
const bobKey = effectKeys.fund('slack-request-2');

/** A world where OpenTrain has milestone M-1001 on contract C-1 of job J-1, ready to be funded. */
function fundable(options: Parameters<typeof aWorld>[0] = {}): World {
  const world = aWorld(options);
  world.opentrain.addMilestone('M-1001', { contractId: 'C-1', jobId: 'J-1', amountUsd: 1250 });
  return world;
}

/** Queues the request and carries it out once, as the queue would. */
async function request(world: World, key: EffectKey, funding: FundingRequest = aSlackRequest()) {
  await requestFunding(world.ports, key, funding);
  return carryOut(world, key);
}

async function carryOut(world: World, key: EffectKey) {
  const { claimed, context } = await claimEffect(world, key, 'fund');
  return carryOutFunding(world.ports, claimed, context);
}

/** Starts carrying the request out and leaves it hanging in the OpenTrain call, as a process that dies there. */
async function cutOffWhileAsking(
  world: World,
  key: EffectKey,
  options: { landed: boolean },
  funding: FundingRequest = aSlackRequest(),
) {
  await requestFunding(world.ports, key, funding);
  const arrived = world.opentrain.hangNext('fundMilestone', options);
  void carryOut(world, key);
  await arrived;
  outliveLease(world);
}

describe('requestFunding', () => {
  it('records the request on the queue and returns before OpenTrain is asked anything', async () => {
    const world = fundable();

    const isNew = await requestFunding(world.ports, aliceKey, aSlackRequest());

    expect(isNew).toBe(true);
    const record = await world.store.outbox.find(aliceKey);
    expect(record).toMatchObject({ kind: 'fund', state: 'pending', effect: { request: aSlackRequest() } });
    expect(world.opentrain.calls).toEqual([]);
  });

  it('is not new under a key already used, and the first request stands', async () => {
    const world = fundable();
    await requestFunding(world.ports, aliceKey, aSlackRequest({ note: 'first' }));

    const isNew = await requestFunding(world.ports, aliceKey, aSlackRequest({ note: 'second' }));

    expect(isNew).toBe(false);
    const record = await world.store.outbox.find(aliceKey);
    expect(record?.effect).toMatchObject({ request: { note: 'first' } });
  });
});

describe('one request, one reply', () => {
  const replyKey = effectKeys.reply(aliceKey);
  const due = (world: World) =>
    world.store.outbox.claim({ owner: 'w', now: world.clock.now(), leaseMs: 1_000, limit: 10 });

  it('queues a progress line that is not due for 2 seconds after the request', async () => {
    const world = fundable();

    await requestFunding(world.ports, aliceKey, aSlackRequest());

    const record = await world.store.outbox.find(replyKey);
    expect(record?.effect).toEqual({
      kind: 'reply',
      to: aReplyTarget(),
      reply: { kind: 'working', milestoneId: 'M-1001' },
    });
    expect(await world.store.outbox.nextDueAt()).toEqual(t0);
    world.clock.advance(1_999);
    expect((await due(world)).map((effect) => effect.key)).toEqual([aliceKey]);
  });

  it('is waited for from when the person asked, and for as long as the settings say', async () => {
    const world = fundable({ progressReplyAfterMs: 500 });
    world.clock.advance(300);

    await requestFunding(world.ports, aliceKey, aSlackRequest());
    await world.store.outbox.claim({
      owner: 'w',
      now: world.clock.now(),
      leaseMs: 60_000,
      limit: 10,
      key: aliceKey,
    });

    expect(await world.store.outbox.nextDueAt()).toEqual(at(500));
  });

  it('queues no progress line for a request nobody waits on in Slack', async () => {
    const world = fundable();

    await requestFunding(world.ports, aliceKey, anUpstreamRequest());

    expect(await world.store.outbox.find(replyKey)).toBeUndefined();
  });

  it('puts the outcome in the place of the progress line, due at once, and never queues a second outcome', async () => {
    const world = fundable();
    await requestFunding(world.ports, aliceKey, aSlackRequest());

    await carryOut(world, aliceKey);
    // A re-run of the same request (after a crash) finds its outcome queued already.
    outliveLease(world);
    await world.store.outbox.enqueue(
      [{ ...fundEffect(aliceKey, aSlackRequest()), mode: 'rearm' }],
      world.clock.now(),
    );
    await carryOut(world, aliceKey);
    const card = await claimEffect(world, effectKeys.card('A-1'), 'card');
    await world.store.outbox.finish(card.claimed, 'worker-1', 'done', world.clock.now());
    const { claimed: reply } = await claimEffect(world, replyKey, 'reply');

    expect(reply?.key).toBe(replyKey);
    expect(reply?.effect).toMatchObject({ reply: { kind: 'funding-requested' } });
    expect(reply?.generation).toBe(1);
  });
});

describe('carryOutFunding', () => {
  it('asks OpenTrain, tracks the approval with its card queued, and tells the requester', async () => {
    const world = fundable();

    const result = await request(world, aliceKey, aSlackRequest({ note: 'for June' }));

    expect(result).toEqual({
      kind: 'done',
      result: { kind: 'tracked', approvalId: 'A-1', ours: true, cardProblem: null },
    });
    expect(world.opentrain.callsOf('fundMilestone')).toEqual(['M-1001']);
    expect(await world.store.approvals.get('A-1')).toMatchObject({
      milestoneId: 'M-1001',
      status: 'pending',
      channelId: 'C0GENERAL',
      note: 'for June',
      requester: { kind: 'slack', userId: 'U0ALICE' },
      context: { amountUsd: 1250, contractTitle: 'Contract C-1' },
    });
    expect(await world.store.outbox.find(effectKeys.card('A-1'))).toMatchObject({ state: 'pending' });
    expect(await replyQueued(world.store, effectKeys.reply(aliceKey))).toEqual({
      kind: 'funding-requested',
      approvalId: 'A-1',
      cardProblem: null,
    });
    expect(await auditActions(world.store, { approvalId: 'A-1' })).toEqual(['requested']);
  });

  it('points a second request for the same pending approval at the card already there', async () => {
    const world = fundable();
    await request(world, aliceKey);
    const bob = aSlackRequest({
      requester: { kind: 'slack', userId: 'U0BOB', teamId: 'T1' },
      actor: 'slack:U0BOB',
      replyTo: aReplyTarget({ userId: 'U0BOB' }),
    });

    const result = await request(world, bobKey, bob);

    expect(result).toEqual({
      kind: 'done',
      result: { kind: 'tracked', approvalId: 'A-1', ours: false, cardProblem: null },
    });
    expect(world.opentrain.approvalsOf('M-1001')).toHaveLength(1);
    expect(await replyQueued(world.store, effectKeys.reply(bobKey))).toEqual({
      kind: 'already-pending',
      approvalId: 'A-1',
    });
    expect(await world.store.approvals.get('A-1')).toMatchObject({ requester: { userId: 'U0ALICE' } });
    expect(await auditActions(world.store, { approvalId: 'A-1' })).toEqual(['requested', 're-requested']);
  });

  it.each([
    ['an upstream system', anUpstreamRequest()],
    ['an autofund rule', anAutofundRequest({ fallbackChannel: { id: 'C0ROUTE', via: 'requested-channel' } })],
  ])('queues no reply for %s, which has nobody waiting in Slack', async (_who, funding) => {
    const world = fundable();

    const result = await request(world, aliceKey, funding);

    expect(result).toMatchObject({ kind: 'done', result: { kind: 'tracked', ours: true } });
    expect(await world.store.outbox.find(effectKeys.reply(aliceKey))).toBeUndefined();
  });

  it('says so, and audits it, when nothing names a channel for the card', async () => {
    const world = fundable();

    const result = await request(world, aliceKey, aSlackRequest({ fallbackChannel: null }));

    expect(result).toEqual({
      kind: 'done',
      result: { kind: 'unrouted', approvalId: 'A-1', approvalUrl: 'https://app.opentrain.ai/approvals/A-1' },
    });
    expect(await world.store.approvals.get('A-1')).toBeUndefined();
    expect(await replyQueued(world.store, effectKeys.reply(aliceKey))).toEqual({
      kind: 'unrouted',
      milestoneId: 'M-1001',
    });
    const [entry] = await auditOf(world.store, { approvalId: 'A-1' });
    expect(entry).toMatchObject({ action: 'unrouted', actor: 'slack:U0ALICE', detail: { jobId: 'J-1' } });
  });

  it.each<[string, UpstreamFailure]>([
    ['a milestone that needs a payment method', 'payment-method-required'],
    ['an account that must be claimed first', 'claim-required'],
    ['OpenTrain being down (a person is waiting, so no retry)', 'unavailable'],
  ])('answers the requester with the refusal for %s, and audits it', async (_what, failure) => {
    const world = fundable();
    world.opentrain.failNext('fundMilestone', failure);

    const result = await request(world, aliceKey);

    expect(result).toEqual({ kind: 'done', result: { kind: 'refused', refusal: refusalFor(failure) } });
    expect(await replyQueued(world.store, effectKeys.reply(aliceKey))).toEqual({
      kind: 'refused',
      milestoneId: 'M-1001',
      refusal: refusalFor(failure),
    });
    const [entry] = await auditOf(world.store, { milestoneId: 'M-1001' });
    expect(entry).toMatchObject({ action: 'fund-failed', actor: 'slack:U0ALICE', detail: { failure } });
    expect(await world.store.outbox.find(effectKeys.notice(aliceKey))).toBeUndefined();
  });

  it('refuses a milestone that is funded already, with its status', async () => {
    const world = aWorld();
    world.opentrain.addMilestone('M-1001', { status: 'ACTIVE_FUNDED' });

    const result = await request(world, aliceKey);

    expect(result).toMatchObject({
      kind: 'done',
      result: { kind: 'refused', refusal: { failure: 'not-fundable', milestoneStatus: 'ACTIVE_FUNDED' } },
    });
  });

  it.each<[UpstreamFailure, boolean]>([
    ['payment-method-required', true],
    ['claim-required', true],
    ['missing-scope', true],
    ['not-fundable', false],
    ['milestone-cancelled', false],
    ['contract-ended', false],
  ])('tells the autofund rule channel about a %s refusal: %s', async (failure, told) => {
    const world = fundable();
    world.opentrain.failNext('fundMilestone', failure);
    const key = effectKeys.autofund('M-1001');

    await request(world, key, anAutofundRequest());

    const notice = await noticeQueued(world.store, effectKeys.notice(key));
    if (!told) expect(notice).toBeUndefined();
    else {
      expect(notice).toEqual({
        channelId: 'C0ROUTE',
        notice: {
          kind: 'autofund-refused',
          ruleName: 'autofund rule for job J-1',
          milestoneId: 'M-1001',
          refusal: refusalFor(failure),
        },
      });
    }
  });

  it('retries an autofund request through an OpenTrain outage, as soon as Retry-After allows', async () => {
    const world = fundable();
    world.opentrain.failNext('fundMilestone', 'rate-limited', { retryAfterMs: 30_000 });
    const key = effectKeys.autofund('M-1001');

    const result = await request(world, key, anAutofundRequest());

    expect(result).toEqual({
      kind: 'retry',
      reason: 'upstream',
      error: 'rate-limited',
      uncertain: false,
      retryAfterMs: 30_000,
    });
    expect(await auditOf(world.store, { milestoneId: 'M-1001' })).toEqual([]);
    expect(await world.store.outbox.find(effectKeys.notice(key))).toBeUndefined();
  });

  it("gives up on an outage at the tenth attempt of an autofund request and tells the rule's channel", async () => {
    const world = fundable();
    const key = effectKeys.autofund('M-1001');
    await requestFunding(world.ports, key, anAutofundRequest());
    world.opentrain.failNext('fundMilestone', 'unavailable', { times: 10 });
    for (let attempt = 1; attempt < 10; attempt++) {
      const { claimed, context } = await claimEffect(world, key, 'fund');
      expect(await carryOutFunding(world.ports, claimed, context)).toMatchObject({ kind: 'retry' });
      await retryNow(world, claimed);
    }

    const result = await carryOut(world, key);

    expect(result).toEqual({ kind: 'done', result: { kind: 'refused', refusal: refusalFor('unavailable') } });
    expect(await noticeQueued(world.store, effectKeys.notice(key))).toMatchObject({ channelId: 'C0ROUTE' });
    expect(world.opentrain.callsOf('fundMilestone')).toHaveLength(10);
  });

  it('tells the requester something went wrong and fails when the failure is our own, not OpenTrain', async () => {
    const world = fundable();
    world.opentrain.failNext('fundMilestone', new TypeError('cannot read properties of undefined'));

    await expect(request(world, aliceKey)).rejects.toThrow(TypeError);

    expect(await replyQueued(world.store, effectKeys.reply(aliceKey))).toEqual({
      kind: 'internal-error',
      milestoneId: 'M-1001',
    });
  });
});

describe('carryOutFunding after a crash', () => {
  it('has recorded that it was asking, and from which feed cursor, before the call to OpenTrain', async () => {
    const world = fundable();
    await world.store.cursors.advance(workspaceId, 'opentrain-updates', null, '7', t0);

    await cutOffWhileAsking(world, aliceKey, { landed: false });

    const { claimed } = await claimEffect(world, aliceKey, 'fund');
    expect(claimed.progress).toEqual({ phase: 'asking', since: t0.toISOString(), cursor: '7' });
    expect(claimed.uncertainSince).toEqual(t0);
  });

  it('asks again when the approval is still pending, and OpenTrain hands back the same one', async () => {
    const world = fundable();
    await cutOffWhileAsking(world, aliceKey, { landed: true });

    const result = await carryOut(world, aliceKey);

    expect(result).toMatchObject({
      kind: 'done',
      result: { kind: 'tracked', approvalId: 'A-1', ours: true },
    });
    expect(world.opentrain.approvalsOf('M-1001')).toHaveLength(1);
    expect(await replyQueued(world.store, effectKeys.reply(aliceKey))).toMatchObject({
      kind: 'funding-requested',
    });
  });

  it('follows the approval it created when that was declined meanwhile, instead of asking for a second', async () => {
    const world = fundable();
    await cutOffWhileAsking(world, aliceKey, { landed: true });
    world.clock.advance(hours(1));
    world.opentrain.decide('A-1', 'declined');

    const result = await carryOut(world, aliceKey);

    expect(world.opentrain.callsOf('fundMilestone')).toHaveLength(1);
    expect(world.opentrain.approvalsOf('M-1001')).toHaveLength(1);
    expect(result).toMatchObject({
      kind: 'done',
      result: { kind: 'tracked', approvalId: 'A-1', ours: true },
    });
    expect(await world.store.approvals.get('A-1')).toMatchObject({ status: 'declined' });
  });

  it('asks again when the call never reached OpenTrain and only another milestone ended meanwhile', async () => {
    const world = fundable();
    world.opentrain.addMilestone('M-2002', { contractId: 'C-2', jobId: 'J-2' });
    await cutOffWhileAsking(world, aliceKey, { landed: false });
    const other = await world.opentrain.fundMilestone('M-2002');
    world.opentrain.decide(other.id, 'declined');

    const result = await carryOut(world, aliceKey);

    expect(world.opentrain.callsOf('fundMilestone')).toEqual(['M-1001', 'M-2002', 'M-1001']);
    expect(result).toMatchObject({
      kind: 'done',
      result: { kind: 'tracked', approvalId: 'A-2', ours: true },
    });
    expect(await world.store.approvals.get('A-2')).toMatchObject({
      milestoneId: 'M-1001',
      status: 'pending',
    });
  });

  it('does not take an approval of the same milestone that ended before it began asking for its own', async () => {
    const world = fundable();
    world.opentrain.addApproval({
      id: 'A-OLD',
      type: 'milestone_fund',
      status: 'declined',
      reportedStatus: null,
      contractId: 'C-1',
      milestoneId: 'M-1001',
      jobId: 'J-1',
      proposalId: null,
      approvalUrl: 'https://app.opentrain.ai/approvals/A-OLD',
      expiresAt: at(hours(70)),
      resolvedAt: null,
      result: null,
      createdAt: at(-hours(2)),
    });
    world.opentrain.addEvent({
      kind: 'approval-ended',
      approvalId: 'A-OLD',
      status: 'declined',
      reportedStatus: null,
    });
    world.clock.advance(hours(1));
    await cutOffWhileAsking(world, aliceKey, { landed: false });

    const result = await carryOut(world, aliceKey);

    expect(result).toMatchObject({
      kind: 'done',
      result: { kind: 'tracked', approvalId: 'A-1', ours: true },
    });
    expect(await world.store.approvals.get('A-OLD')).toBeUndefined();
  });

  it('picks up the approval it recorded, reading it from OpenTrain, when it was cut off before tracking it', async () => {
    const world = fundable();
    await requestFunding(world.ports, aliceKey, aSlackRequest());
    const arrived = world.opentrain.hangNext('getContract', { landed: false });
    void carryOut(world, aliceKey);
    await arrived;
    outliveLease(world);

    const result = await carryOut(world, aliceKey);

    expect(world.opentrain.callsOf('fundMilestone')).toHaveLength(1);
    expect(world.opentrain.callsOf('getApproval')).toEqual(['A-1']);
    expect(result).toMatchObject({
      kind: 'done',
      result: { kind: 'tracked', approvalId: 'A-1', ours: true },
    });
    expect(await world.store.approvals.get('A-1')).toMatchObject({ status: 'pending' });
  });

  it('still calls the approval its own, asking nothing, when cut off after tracking it', async () => {
    const world = fundable();
    await request(world, aliceKey);
    outliveLease(world);
    const callsBefore = world.opentrain.calls.length;

    const result = await carryOut(world, aliceKey);

    expect(world.opentrain.calls.length).toBe(callsBefore);
    expect(result).toMatchObject({
      kind: 'done',
      result: { kind: 'tracked', approvalId: 'A-1', ours: true },
    });
    expect(await replyQueued(world.store, effectKeys.reply(aliceKey))).toMatchObject({
      kind: 'funding-requested',
    });
    expect(await auditActions(world.store, { approvalId: 'A-1' })).toEqual(['requested', 're-requested']);
  });

  it('asks nothing again once the approval it may have made could have lapsed unseen, and says so', async () => {
    const world = fundable();
    await cutOffWhileAsking(world, aliceKey, { landed: true });
    world.clock.advance(hours(73));

    const result = await carryOut(world, aliceKey);

    expect(result).toEqual({ kind: 'done', result: { kind: 'unconfirmed' } });
    expect(world.opentrain.callsOf('fundMilestone')).toHaveLength(1);
    expect(world.opentrain.approvalsOf('M-1001')).toHaveLength(1);
    expect(await replyQueued(world.store, effectKeys.reply(aliceKey))).toEqual({
      kind: 'unconfirmed',
      milestoneId: 'M-1001',
    });
    expect(await auditOf(world.store, { milestoneId: 'M-1001' })).toMatchObject([
      { action: 'fund-unconfirmed', actor: 'slack:U0ALICE', detail: { askingSince: t0.toISOString() } },
    ]);
  });

  it('learns how long approvals live from those it tracks, and asks again only well inside that', async () => {
    const world = fundable();
    world.opentrain.lifetimeMs = hours(1);
    world.opentrain.addMilestone('M-2002', { contractId: 'C-2', jobId: 'J-2' });
    await request(world, bobKey, aSlackRequest({ milestoneId: 'M-2002' }));
    await cutOffWhileAsking(world, aliceKey, { landed: true });
    world.clock.advance(hours(50 / 60));

    const inside = await carryOut(world, aliceKey);

    expect(inside).toMatchObject({
      kind: 'done',
      result: { kind: 'tracked', approvalId: 'A-2', ours: true },
    });
    expect(world.opentrain.approvalsOf('M-1001')).toHaveLength(1);

    const late = fundable();
    late.opentrain.lifetimeMs = hours(1);
    late.opentrain.addMilestone('M-2002', { contractId: 'C-2', jobId: 'J-2' });
    await request(late, bobKey, aSlackRequest({ milestoneId: 'M-2002' }));
    await cutOffWhileAsking(late, aliceKey, { landed: true });
    late.clock.advance(hours(59 / 60));

    expect(await carryOut(late, aliceKey)).toEqual({ kind: 'done', result: { kind: 'unconfirmed' } });
    expect(late.opentrain.approvalsOf('M-1001')).toHaveLength(1);
  });

  it("points at the milestone's approval tracked and pending since, asking nothing, however late it runs", async () => {
    const world = fundable();
    await cutOffWhileAsking(world, aliceKey, { landed: false });
    world.clock.advance(hours(48));
    await request(world, bobKey, aSlackRequest({ replyTo: aReplyTarget({ userId: 'U0BOB' }) }));
    world.clock.advance(hours(25));

    const result = await carryOut(world, aliceKey);

    expect(result).toMatchObject({
      kind: 'done',
      result: { kind: 'tracked', approvalId: 'A-1', ours: false },
    });
    expect(world.opentrain.callsOf('fundMilestone')).toEqual(['M-1001', 'M-1001']);
    expect(await replyQueued(world.store, effectKeys.reply(aliceKey))).toEqual({
      kind: 'already-pending',
      approvalId: 'A-1',
    });
  });

  it('still finds its own approval when something read it expired, and follows it instead', async () => {
    const world = fundable();
    await cutOffWhileAsking(world, aliceKey, { landed: true });
    world.clock.advance(hours(73));
    await world.opentrain.getApproval('A-1');

    const result = await carryOut(world, aliceKey);

    expect(result).toMatchObject({
      kind: 'done',
      result: { kind: 'tracked', approvalId: 'A-1', ours: true },
    });
    expect(await world.store.approvals.get('A-1')).toMatchObject({ status: 'expired' });
    expect(world.opentrain.callsOf('fundMilestone')).toHaveLength(1);
  });

  it("tells an autofund rule's channel when its request could not be confirmed", async () => {
    const world = fundable();
    const key = effectKeys.autofund('M-1001');
    await cutOffWhileAsking(world, key, { landed: true }, anAutofundRequest());
    world.clock.advance(hours(73));

    const result = await carryOut(world, key);

    expect(result).toEqual({ kind: 'done', result: { kind: 'unconfirmed' } });
    expect(await noticeQueued(world.store, effectKeys.notice(key))).toEqual({
      channelId: 'C0ROUTE',
      notice: { kind: 'autofund-unconfirmed', ruleName: 'autofund rule for job J-1', milestoneId: 'M-1001' },
    });
  });

  it('treats an OpenTrain failure of the recovery read like any refusal', async () => {
    const world = fundable();
    await cutOffWhileAsking(world, aliceKey, { landed: true });
    world.opentrain.failNext('listUpdates', openTrainError('unavailable'));

    const result = await carryOut(world, aliceKey);

    expect(result).toEqual({ kind: 'done', result: { kind: 'refused', refusal: refusalFor('unavailable') } });
    expect(world.opentrain.callsOf('fundMilestone')).toHaveLength(1);
  });
});

describe('carryOutFunding after a crash, with a second request racing it', () => {
  it('follows the approval a concurrent request tracked, once declined, instead of asking for a second', async () => {
    const world = fundable();
    await cutOffWhileAsking(world, aliceKey, { landed: true });
    await request(world, bobKey, anUpstreamRequest());
    world.clock.advance(hours(1));
    world.opentrain.decide('A-1', 'declined');

    const result = await carryOut(world, aliceKey);

    expect(world.opentrain.approvalsOf('M-1001')).toHaveLength(1);
    expect(result).toMatchObject({
      kind: 'done',
      result: { kind: 'tracked', approvalId: 'A-1', ours: false },
    });
    expect(await replyQueued(world.store, effectKeys.reply(aliceKey))).toEqual({
      kind: 'already-pending',
      approvalId: 'A-1',
    });
  });
});
