import { afterEach, describe, expect, it } from 'vitest';
import { createRunner, type Runner } from '../../../src/delivery/runner.js';
import { type EffectKey, effectKeys, fundEffect } from '../../../src/domain/effects.js';
import type { FundingRequest } from '../../../src/domain/funding.js';
import { type FundNowDeps, followNow, fundNow } from '../../../src/use-cases/fund-now.js';
import { requestFunding } from '../../../src/use-cases/request-funding.js';
import { createHandlers } from '../../../src/use-cases/use-cases.js';
import { anApproval, hours } from '../../helpers/builders.js';
import { refusalFor } from '../../helpers/fake-opentrain.js';
import {
  anUpstreamRequest,
  aSlackRequest,
  aWorld,
  saveRoute,
  type World,
  type WorldOptions,
} from '../../helpers/use-case-world.js';

const runners: Runner[] = [];

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
});

function replica(world: World, owner: string): Runner {
  const runner = createRunner({
    outbox: world.store.outbox,
    handlers: createHandlers(world.useCaseDeps),
    clock: world.clock,
    log: world.log,
    owner,
  });
  runners.push(runner);
  return runner;
}

/** OpenTrain has M-1001 (contract C-1, job J-1) and M-2002; one replica runs the queue. */
function anAccount(options: WorldOptions = {}) {
  const world = aWorld(options);
  world.opentrain.addMilestone('M-1001', { contractId: 'C-1', jobId: 'J-1' });
  world.opentrain.addMilestone('M-2002', { contractId: 'C-2', jobId: 'J-2' });
  const runner = replica(world, 'replica-1');
  const deps = { ...world.ports, runNow: runner.runNow };
  return { world, runner, deps };
}

const key = effectKeys.upstream('erp-po-4471');
const withKey = { idempotencyKey: true };

async function fund(deps: FundNowDeps, request: FundingRequest = anUpstreamRequest(), as: EffectKey = key) {
  return fundNow(deps, as, request, withKey);
}

describe('fundNow', () => {
  it('refuses before OpenTrain records anything when nothing could place the card', async () => {
    const { world, deps } = anAccount();

    const outcome = await fund(deps, anUpstreamRequest({ fallbackChannel: null }));

    expect(outcome).toEqual({ kind: 'no-channel' });
    expect(world.opentrain.calls).toEqual([]);
    expect(await world.store.outbox.find(key)).toBeUndefined();
  });

  it('carries a new request out at once and answers once the card is posted', async () => {
    const { world, deps } = anAccount();

    const outcome = await fund(deps);

    const [card] = world.slack.live('card');
    expect(card).toMatchObject({ channelId: 'C0ERP', key: effectKeys.card('A-1') });
    expect(outcome).toMatchObject({
      kind: 'tracked',
      duplicate: false,
      cardError: null,
      approval: { id: 'A-1', channelId: 'C0ERP', card: { ts: card?.ts } },
    });
    expect(await world.store.outbox.find(key)).toMatchObject({
      state: 'done',
      result: { kind: 'tracked', approvalId: 'A-1', ours: true },
    });
  });

  it('answers with why the card is not there yet when Slack refused it', async () => {
    const { world, deps } = anAccount();
    world.slack.failNext('postCard', 'not-in-channel');

    const outcome = await fund(deps);

    expect(outcome).toMatchObject({
      kind: 'tracked',
      cardError: 'not_in_channel',
      approval: { card: { ts: null } },
    });
  });

  it('finds a route when the caller names no channel', async () => {
    const { world, deps } = anAccount();
    await saveRoute(world, { scope: 'job', targetId: 'J-1', channelId: 'C0JOB' });

    const outcome = await fund(deps, anUpstreamRequest({ fallbackChannel: null }));

    expect(outcome).toMatchObject({ kind: 'tracked', approval: { channelId: 'C0JOB' } });
  });

  it('answers that nothing routes the approval when the routes there are cover other jobs', async () => {
    const { world, deps } = anAccount();
    await saveRoute(world, { scope: 'job', targetId: 'J-9', channelId: 'C0JOB9' });

    const outcome = await fund(deps, anUpstreamRequest({ fallbackChannel: null }));

    expect(outcome).toEqual({
      kind: 'unrouted',
      approvalId: 'A-1',
      approvalUrl: 'https://app.opentrain.ai/approvals/A-1',
    });
  });

  it('answers a repeat of the same key as before, as a duplicate, asking OpenTrain nothing more', async () => {
    const { world, deps } = anAccount();
    const first = await fund(deps);

    const again = await fund(deps);

    expect(again).toEqual({ ...first, duplicate: true });
    expect(world.opentrain.callsOf('fundMilestone')).toEqual(['M-1001']);
    expect(world.slack.live('card')).toHaveLength(1);
  });

  it('refuses a key already used for another milestone', async () => {
    const { world, deps } = anAccount();
    await fund(deps);

    const outcome = await fund(deps, anUpstreamRequest({ milestoneId: 'M-2002' }));

    expect(outcome).toEqual({ kind: 'key-conflict', milestoneId: 'M-1001' });
    expect(world.opentrain.callsOf('fundMilestone')).toEqual(['M-1001']);
  });

  it('refuses the same signed request again when it carries no idempotency key: a replay', async () => {
    const { world, deps } = anAccount();
    const signed = effectKeys.upstreamSignature('v0=abc123');
    await fundNow(deps, signed, anUpstreamRequest(), { idempotencyKey: false });

    const outcome = await fundNow(deps, signed, anUpstreamRequest(), { idempotencyKey: false });

    expect(outcome).toEqual({ kind: 'replayed' });
    expect(world.opentrain.callsOf('fundMilestone')).toHaveLength(1);
  });

  it('says the request is in progress while another replica is carrying it out', async () => {
    const { world, deps } = anAccount();
    await world.store.outbox.enqueue([fundEffect(key, anUpstreamRequest())], world.clock.now());
    await world.store.outbox.claim({
      owner: 'replica-2',
      now: world.clock.now(),
      leaseMs: 15_000,
      limit: 1,
      key,
    });

    const outcome = await fund(deps);

    expect(outcome).toEqual({ kind: 'in-progress' });
    expect(world.opentrain.calls).toEqual([]);
  });

  it('answers that it could not confirm a request cut off while asking and retried too late, asking nothing', async () => {
    const { world, runner, deps } = anAccount();
    await world.store.outbox.enqueue([fundEffect(key, anUpstreamRequest())], world.clock.now());
    const lease = { owner: 'replica-2', now: world.clock.now(), leaseMs: 15_000, limit: 1, key };
    const [claimed] = await world.store.outbox.claim(lease);
    if (claimed === undefined) throw new Error('nothing claimed');
    const since = world.clock.now().toISOString();
    await world.store.outbox.checkpoint(claimed, 'replica-2', { phase: 'asking', since, cursor: null });
    world.clock.advance(hours(73));
    const retried = await runner.runNow(key);

    const outcome = await fund(deps);

    expect(retried).toEqual({ kind: 'done', result: { kind: 'unconfirmed' } });
    expect(outcome).toEqual({ kind: 'unconfirmed' });
    expect(world.opentrain.callsOf('fundMilestone')).toEqual([]);
  });

  it('repeats a refusal for good without asking again', async () => {
    const { world, deps } = anAccount();
    world.opentrain.failNext('fundMilestone', 'payment-method-required');
    const first = await fund(deps);

    const again = await fund(deps);

    expect(first).toEqual({ kind: 'refused', refusal: refusalFor('payment-method-required') });
    expect(again).toEqual(first);
    expect(world.opentrain.callsOf('fundMilestone')).toHaveLength(1);
  });

  it('asks again, under the same key, when OpenTrain was down the last time', async () => {
    const { world, deps } = anAccount();
    world.opentrain.failNext('fundMilestone', 'unavailable');
    const first = await fund(deps);

    const again = await fund(deps);

    expect(first).toEqual({ kind: 'refused', refusal: refusalFor('unavailable') });
    expect(again).toMatchObject({ kind: 'tracked', duplicate: false, approval: { id: 'A-1' } });
    expect(world.opentrain.callsOf('fundMilestone')).toHaveLength(2);
  });

  it("points at the card someone else's request already posted, without a second one", async () => {
    const { world, runner, deps } = anAccount();
    const slashKey = effectKeys.fund('slack-request-1');
    await requestFunding(world.ports, slashKey, aSlackRequest());
    await runner.drain();

    const outcome = await fund(deps);

    expect(outcome).toMatchObject({
      kind: 'tracked',
      duplicate: true,
      approval: { id: 'A-1', channelId: 'C0GENERAL' },
    });
    expect(world.slack.live('card')).toHaveLength(1);
    expect(await world.store.outbox.find(key)).toMatchObject({ result: { kind: 'tracked', ours: false } });
  });

  it("waits for another replica's run of the same request and answers with its outcome", async () => {
    const { world, runner } = anAccount();
    const other = replica(world, 'replica-2');
    // The other replica's queue takes every effect the moment it is due, a step ahead of this one.
    const runNow = async (effect: EffectKey) => {
      void other.runNow(effect);
      return runner.runNow(effect);
    };

    const outcome = await fund({ ...world.ports, runNow });

    expect(outcome).toMatchObject({ kind: 'tracked', duplicate: false, approval: { id: 'A-1' } });
    expect(world.opentrain.callsOf('fundMilestone')).toHaveLength(1);
    expect(world.slack.live('card')).toHaveLength(1);
  });
});

describe('followNow', () => {
  const { milestoneId: _m, replyTo: _r, noticeChannelId: _n, via: _v, ...request } = anUpstreamRequest();

  function createdElsewhere(world: World) {
    world.opentrain.addApproval(
      anApproval({
        id: 'A-77',
        milestoneId: 'M-1001',
        approvalUrl: 'https://app.opentrain.ai/approvals/A-77',
      }),
    );
  }

  it('follows an approval another system created, its card posted before the answer', async () => {
    const { world, deps } = anAccount();
    createdElsewhere(world);

    const outcome = await followNow(deps, 'A-77', request);

    const [card] = world.slack.live('card');
    expect(outcome).toMatchObject({
      kind: 'tracked',
      duplicate: false,
      cardError: null,
      approval: { id: 'A-77', channelId: 'C0ERP', card: { ts: card?.ts } },
    });
    expect(world.opentrain.callsOf('fundMilestone')).toEqual([]);
  });

  it('answers with the refusal when OpenTrain does not show the approval', async () => {
    const { world, deps } = anAccount();

    expect(await followNow(deps, 'A-404', request)).toEqual({
      kind: 'refused',
      refusal: refusalFor('not-found'),
    });
    expect(await world.store.approvals.get('A-404')).toBeUndefined();
  });

  it('answers a second follow as a duplicate, with the one card', async () => {
    const { world, deps } = anAccount();
    createdElsewhere(world);
    await followNow(deps, 'A-77', request);

    const again = await followNow(deps, 'A-77', request);

    expect(again).toMatchObject({ kind: 'tracked', duplicate: true });
    expect(world.slack.live('card')).toHaveLength(1);
  });

  it('answers that nothing routes it when no channel is named and nothing else places it', async () => {
    const { world, deps } = anAccount();
    createdElsewhere(world);

    const outcome = await followNow(deps, 'A-77', { ...request, fallbackChannel: null });

    expect(outcome).toEqual({
      kind: 'unrouted',
      approvalId: 'A-77',
      approvalUrl: 'https://app.opentrain.ai/approvals/A-77',
    });
  });
});
