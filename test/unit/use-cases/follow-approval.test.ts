import { describe, expect, it } from 'vitest';
import type { Approval } from '../../../src/domain/approval.js';
import { effectKeys } from '../../../src/domain/effects.js';
import { followApproval } from '../../../src/use-cases/follow-approval.js';
import { anApproval, hours, t0 } from '../../helpers/builders.js';
import { auditOf } from '../../helpers/queue-reading.js';
import {
  anUpstreamRequest,
  aSlackRequest,
  aWorld,
  claimEffect,
  saveRoute,
  type World,
  type WorldOptions,
} from '../../helpers/use-case-world.js';

const dana = { kind: 'user', id: 'U0DANA' } as const;
const finance = { kind: 'usergroup', id: 'S0FINANCE' } as const;

/** OpenTrain shows contract C-1 (job J-1) with milestone M-1001; the approval A-1 funds it. */
function world(options: WorldOptions = {}): { world: World; remote: Approval } {
  const world = aWorld(options);
  world.opentrain.addMilestone('M-1001', {
    contractId: 'C-1',
    jobId: 'J-1',
    amountUsd: 1250,
    name: 'Batch 1',
  });
  return { world, remote: anApproval({ id: 'A-1', milestoneId: 'M-1001', contractId: 'C-1', jobId: 'J-1' }) };
}

describe('followApproval routing', () => {
  it.each([
    {
      label: 'a contract route wins over a job route',
      routes: [
        { scope: 'job', targetId: 'J-1', channelId: 'C0JOB', approvers: [finance] },
        { scope: 'contract', targetId: 'C-1', channelId: 'C0CONTRACT', approvers: [dana] },
      ],
      fundChannel: 'C0FUND',
      channel: 'C0CONTRACT',
      approvers: [dana],
      via: 'contract-route',
    },
    {
      label: 'a job route wins over FUND_CHANNEL',
      routes: [{ scope: 'job', targetId: 'J-1', channelId: 'C0JOB', approvers: [finance] }],
      fundChannel: 'C0FUND',
      channel: 'C0JOB',
      approvers: [finance],
      via: 'job-route',
    },
    {
      label: 'FUND_CHANNEL wins over the channel the command came from',
      routes: [],
      fundChannel: 'C0FUND',
      channel: 'C0FUND',
      approvers: [],
      via: 'FUND_CHANNEL',
    },
    {
      label: 'the channel the command came from is the last resort',
      routes: [],
      fundChannel: undefined,
      channel: 'C0GENERAL',
      approvers: [],
      via: 'invoking-channel',
    },
    {
      label: "another job's or contract's route does not apply",
      routes: [
        { scope: 'job', targetId: 'J-9', channelId: 'C0JOB9', approvers: [] },
        { scope: 'contract', targetId: 'C-9', channelId: 'C0CONTRACT9', approvers: [] },
      ],
      fundChannel: undefined,
      channel: 'C0GENERAL',
      approvers: [],
      via: 'invoking-channel',
    },
  ] as const)('$label', async ({ routes, fundChannel, channel, approvers, via }) => {
    const { world: w, remote } = world(fundChannel === undefined ? {} : { fundChannel });
    for (const route of routes) await saveRoute(w, route);

    const outcome = await followApproval(w.ports, remote, aSlackRequest());

    expect(outcome).toMatchObject({
      kind: 'tracked',
      created: true,
      approval: { channelId: channel, approvers },
    });
    const [entry] = await auditOf(w.store, { approvalId: 'A-1' });
    expect(entry).toMatchObject({ action: 'requested', detail: { channel, via } });
  });

  it('leaves an approval nothing can place untracked, without looking its contract up', async () => {
    const { world: w, remote } = world();

    const outcome = await followApproval(w.ports, remote, anUpstreamRequest({ fallbackChannel: null }));

    expect(outcome).toEqual({ kind: 'unrouted' });
    expect(await w.store.approvals.get('A-1')).toBeUndefined();
    expect(await w.store.outbox.find(effectKeys.card('A-1'))).toBeUndefined();
    expect(w.opentrain.callsOf('getContract')).toEqual([]);
  });
});

describe('followApproval context', () => {
  it("shows the contract's amount and names on the card's first version", async () => {
    const { world: w, remote } = world();

    await followApproval(w.ports, remote, aSlackRequest());

    expect((await w.store.approvals.get('A-1'))?.context).toEqual({
      milestoneName: 'Batch 1',
      milestoneNumber: 1,
      amountUsd: 1250,
      contractTitle: 'Contract C-1',
      freelancerName: 'Maria G.',
    });
    expect(await w.store.outbox.find(effectKeys.card('A-1'))).toMatchObject({
      state: 'pending',
      attempts: 0,
    });
  });

  it('tracks an approval without a contract as it is, asking OpenTrain nothing more', async () => {
    const { world: w } = world();
    const hire = anApproval({ id: 'A-1', type: 'proposal_hire', contractId: null, milestoneId: null });

    await followApproval(w.ports, hire, aSlackRequest());

    expect(await w.store.approvals.get('A-1')).toMatchObject({ type: 'proposal_hire', context: null });
    expect(w.opentrain.calls).toEqual([]);
    expect(await w.store.approvals.listContextRetries(new Date(t0.getTime() + hours(2)), 10)).toEqual([]);
  });

  it('posts the card without the context when OpenTrain is down, and tries the lookup again in a minute', async () => {
    const { world: w, remote } = world();
    w.opentrain.failNext('getContract', 'unavailable');

    await followApproval(w.ports, remote, aSlackRequest());

    expect((await w.store.approvals.get('A-1'))?.context).toBeNull();
    expect(await w.store.outbox.find(effectKeys.card('A-1'))).toMatchObject({ state: 'pending' });
    const retriesAt = (ms: number) => w.store.approvals.listContextRetries(new Date(t0.getTime() + ms), 10);
    expect(await retriesAt(59_000)).toEqual([]);
    expect((await retriesAt(60_000)).map((approval) => approval.id)).toEqual(['A-1']);
  });

  it('never tries again for a contract OpenTrain no longer shows', async () => {
    const { world: w } = world();
    const remote = anApproval({ id: 'A-1', contractId: 'C-GONE' });

    await followApproval(w.ports, remote, aSlackRequest());

    expect((await w.store.approvals.get('A-1'))?.context).toBeNull();
    expect(await w.store.approvals.listContextRetries(new Date(t0.getTime() + hours(48)), 10)).toEqual([]);
  });
});

describe('followApproval tracking once', () => {
  it('leaves an approval tracked already as it is: no second card, no second lookup, audited as re-requested', async () => {
    const { world: w, remote } = world();
    await followApproval(w.ports, remote, aSlackRequest({ note: 'first' }));
    const before = await w.store.approvals.get('A-1');
    const { claimed } = await claimEffect(w, effectKeys.card('A-1'), 'card');
    await w.store.outbox.finish(claimed, 'worker-1', 'done', w.clock.now());
    w.clock.advance(60_000);

    const outcome = await followApproval(
      w.ports,
      remote,
      anUpstreamRequest({ note: 'second', fallbackChannel: { id: 'C0OTHER', via: 'requested-channel' } }),
    );

    expect(outcome).toEqual({ kind: 'tracked', approval: before, created: false });
    expect(await w.store.approvals.get('A-1')).toEqual(before);
    expect(w.opentrain.callsOf('getContract')).toEqual(['C-1']);
    expect(await w.store.outbox.find(effectKeys.card('A-1'))).toMatchObject({ state: 'done' });
    const entries = await auditOf(w.store, { approvalId: 'A-1' });
    expect(entries.map((entry) => [entry.action, entry.actor])).toEqual([
      ['requested', 'slack:U0ALICE'],
      ['re-requested', 'upstream:erp'],
    ]);
  });

  it('still answers with the tracked approval once nothing would place it any more (FUND_CHANNEL unset since)', async () => {
    const { world: w, remote } = world({ fundChannel: 'C0FUND' });
    await followApproval(w.ports, remote, anUpstreamRequest({ fallbackChannel: null }));
    const before = await w.store.approvals.get('A-1');
    const withoutFundChannel = { ...w.ports, settings: { fundChannel: undefined } };

    const outcome = await followApproval(
      withoutFundChannel,
      remote,
      anUpstreamRequest({ fallbackChannel: null }),
    );

    expect(outcome).toEqual({ kind: 'tracked', approval: before, created: false });
  });
});
