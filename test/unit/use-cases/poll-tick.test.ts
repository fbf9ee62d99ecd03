import { describe, expect, it } from 'vitest';
import type { Approval } from '../../../src/domain/approval.js';
import { countdownRefreshAt } from '../../../src/domain/countdown.js';
import { type EffectKey, effectKeys } from '../../../src/domain/effects.js';
import type { ApprovalsPort, CursorPort } from '../../../src/ports/store.js';
import { deliverCard } from '../../../src/use-cases/deliver-card.js';
import {
  endsPerTransaction,
  pollTick,
  tickLimits,
  updatesCursorName,
} from '../../../src/use-cases/poll-tick.js';
import { anApproval, at, hours, t0 } from '../../helpers/builders.js';
import { faulty, storeError } from '../../helpers/faulty.js';
import { directQueued } from '../../helpers/queue-reading.js';
import {
  attempt,
  aWorld,
  claimEffect,
  saveRoute,
  trackApproval,
  type World,
  workspaceId,
} from '../../helpers/use-case-world.js';

/** An approval Countersign requested at t0 that OpenTrain holds too. */
async function followed(world: World, approval: Approval = anApproval()): Promise<void> {
  world.opentrain.addApproval(approval);
  await trackApproval(world, approval);
}

function cursor(world: World): Promise<string | null> {
  return world.store.cursors.get(workspaceId, updatesCursorName);
}

async function status(world: World, approvalId = 'A-1') {
  return (await world.store.approvals.get(approvalId))?.status;
}

async function queued(world: World, key: EffectKey): Promise<boolean> {
  return (await world.store.outbox.find(key))?.state === 'pending';
}

/** Feed events nobody acts on, to fill pages. */
function others(world: World, count: number): void {
  for (let n = 0; n < count; n++) world.opentrain.addEvent({ kind: 'other', type: 'message.created' });
}

describe('pollTick on the feed', () => {
  it('ends an approval the feed reports declined, queues what follows, and moves the cursor past the page', async () => {
    const world = aWorld();
    await followed(world);
    world.clock.advance(hours(2));
    world.opentrain.decide('A-1', 'declined');

    const report = await pollTick(world.ports);

    expect(await status(world)).toBe('declined');
    expect(await queued(world, effectKeys.thread('A-1', 'outcome'))).toBe(true);
    expect(await queued(world, effectKeys.homes('A-1'))).toBe(true);
    expect(await directQueued(world.store, effectKeys.outcome('A-1'))).toEqual({
      userId: 'U0ALICE',
      message: { about: 'outcome', status: 'declined' },
    });
    expect(await cursor(world)).toBe('1');
    expect(report).toMatchObject({ applied: 2, failures: [], pages: 1, events: 1, approvalReads: 0 });
    expect(report.actions.map((action) => action.kind)).toEqual(['end', 'advance-cursor']);
    expect(world.metrics.decisions).toEqual([{ status: 'declined', seconds: 7_200 }]);
  });

  it('reads a confirmed approval for the result the card shows', async () => {
    const world = aWorld();
    await followed(world);
    world.opentrain.decide('A-1', 'confirmed', { result: { invoiceId: 'INV-7', paymentIntentId: 'PI-8' } });

    const report = await pollTick(world.ports);

    expect(await world.store.approvals.get('A-1')).toMatchObject({
      status: 'confirmed',
      result: { invoiceId: 'INV-7', paymentIntentId: 'PI-8' },
    });
    expect(report.approvalReads).toBe(1);
  });

  it('leaves alone what it does not track', async () => {
    const world = aWorld();
    world.opentrain.addApproval(anApproval({ id: 'A-OTHER' }));
    world.opentrain.decide('A-OTHER', 'declined');

    const report = await pollTick(world.ports);

    expect(report.actions).toEqual([{ kind: 'advance-cursor', from: null, to: '1' }]);
    expect(await world.store.approvals.get('A-OTHER')).toBeUndefined();
  });

  it('reads every page while there are more, moving the cursor page by page', async () => {
    const world = aWorld();
    world.opentrain.pageSize = 2;
    others(world, 5);

    const report = await pollTick(world.ports);

    expect(report.actions).toEqual([
      { kind: 'advance-cursor', from: null, to: '2' },
      { kind: 'advance-cursor', from: '2', to: '4' },
      { kind: 'advance-cursor', from: '4', to: '5' },
    ]);
    expect(await cursor(world)).toBe('5');
    expect(world.opentrain.callsOf('listUpdates')).toEqual([null, '2', '4']);
  });

  it('starts the next tick where the last one left off', async () => {
    const world = aWorld();
    others(world, 3);
    await pollTick(world.ports);
    others(world, 2);

    const report = await pollTick(world.ports);

    expect(report).toMatchObject({ pages: 1, events: 2 });
    expect(await cursor(world)).toBe('5');
  });

  it('reads at most 200 pages in a tick and takes the rest at the next', async () => {
    const world = aWorld();
    world.opentrain.pageSize = 1;
    others(world, tickLimits.pages + 1);

    const first = await pollTick(world.ports);
    const cursorAfterFirst = await cursor(world);
    const second = await pollTick(world.ports);

    expect(first.pages).toBe(200);
    expect(cursorAfterFirst).toBe('200');
    expect(second.pages).toBe(1);
    expect(await cursor(world)).toBe('201');
  });

  it('applies the pages read before OpenTrain failed, and reads the rest at the next tick', async () => {
    const world = aWorld();
    world.opentrain.pageSize = 1;
    await followed(world, anApproval({ id: 'A-1' }));
    await followed(world, anApproval({ id: 'A-2', milestoneId: 'M-1002' }));
    world.opentrain.decide('A-1', 'declined');
    world.opentrain.decide('A-2', 'expired');
    world.opentrain.failNext('listUpdates', 'unavailable', { after: 1 });

    const report = await pollTick(world.ports);

    expect(report.failures).toEqual(['feed']);
    expect(report.problems).toMatchObject([{ phase: 'feed', failure: 'unavailable' }]);
    expect([await status(world, 'A-1'), await status(world, 'A-2'), await cursor(world)]).toEqual([
      'declined',
      'pending',
      '1',
    ]);

    await pollTick(world.ports);

    expect([await status(world, 'A-2'), await cursor(world)]).toEqual(['expired', '2']);
  });

  it('applies the events before a read that failed, and keeps the cursor so the page is read again', async () => {
    const world = aWorld();
    await followed(world, anApproval({ id: 'A-1' }));
    await followed(world, anApproval({ id: 'A-2', milestoneId: 'M-1002' }));
    world.opentrain.decide('A-1', 'declined');
    world.opentrain.decide('A-2', 'confirmed');
    world.opentrain.failNext('getApproval', 'timeout');

    const report = await pollTick(world.ports);

    expect(report.failures).toEqual(['feed']);
    expect([await status(world, 'A-1'), await status(world, 'A-2'), await cursor(world)]).toEqual([
      'declined',
      'pending',
      null,
    ]);

    await pollTick(world.ports);

    expect([await status(world, 'A-2'), await cursor(world)]).toEqual(['confirmed', '2']);
  });

  it('queues an autofund request for a new unfunded milestone on a job whose route asks for it', async () => {
    const world = aWorld();
    await saveRoute(world, { scope: 'job', targetId: 'J-1', channelId: 'C0ROUTE', autoFund: true });
    world.clock.advance(60_000);
    world.opentrain.addEvent({
      kind: 'milestone-status',
      milestoneId: 'M-2001',
      contractId: 'C-1',
      jobId: 'J-1',
      status: 'NOT_FUNDED',
    });

    await pollTick(world.ports);

    const request = await world.store.outbox.find(effectKeys.autofund('M-2001'));
    expect(request).toMatchObject({
      state: 'pending',
      effect: {
        kind: 'fund',
        request: { via: 'autofund', milestoneId: 'M-2001', noticeChannelId: 'C0ROUTE', replyTo: null },
      },
    });
  });
});

describe('pollTick acting', () => {
  it('stops at a failing action: the cursor stays before the page, and the next tick applies it', async () => {
    const world = aWorld();
    await followed(world);
    world.opentrain.decide('A-1', 'declined');
    const approvals = faulty(world.store.approvals);
    approvals.failNext('endMany');

    const report = await pollTick({ ...world.ports, approvals });

    expect(report).toMatchObject({ applied: 0, failures: ['act:end'] });
    expect(report.actions.map((action) => action.kind)).toEqual(['end', 'advance-cursor']);
    expect([await status(world), await cursor(world)]).toEqual(['pending', null]);

    const next = await pollTick({ ...world.ports, approvals });

    expect(next.failures).toEqual([]);
    expect([await status(world), await cursor(world)]).toEqual(['declined', '1']);
  });

  it('applies nothing after the failing action, of the page or of later phases', async () => {
    const world = aWorld();
    world.opentrain.pageSize = 1;
    await followed(world, anApproval({ id: 'A-1' }));
    await followed(world, anApproval({ id: 'A-2', milestoneId: 'M-1002' }));
    await followed(world, anApproval({ id: 'A-3', milestoneId: 'M-1003' }));
    world.opentrain.decide('A-1', 'declined');
    world.opentrain.decide('A-2', 'declined');
    world.clock.set(at(hours(48)));
    const approvals: ApprovalsPort = {
      ...world.store.approvals,
      async endMany(endings, ...rest) {
        if (endings.some((ending) => ending.transition.approvalId === 'A-2')) throw storeError();
        return world.store.approvals.endMany(endings, ...rest);
      },
    };

    const report = await pollTick({ ...world.ports, approvals });

    expect(report.actions.map((action) => action.kind)).toEqual([
      'end',
      'advance-cursor',
      'end',
      'advance-cursor',
      'remind',
    ]);
    expect(report).toMatchObject({ applied: 2, failures: ['act:end'] });
    expect([await status(world, 'A-1'), await status(world, 'A-2'), await cursor(world)]).toEqual([
      'declined',
      'pending',
      '1',
    ]);
    expect(await world.store.outbox.find(effectKeys.reminder('A-3', hours(24)))).toBeUndefined();
  });

  it("ends a page's approvals in one transaction, each counted once in the report and the metrics", async () => {
    const world = aWorld();
    for (const n of [1, 2, 3]) await followed(world, anApproval({ id: `A-${n}`, milestoneId: `M-100${n}` }));
    world.clock.advance(hours(2));
    for (const n of [1, 2, 3]) world.opentrain.decide(`A-${n}`, 'declined');
    const approvals = faulty(world.store.approvals);

    const report = await pollTick({ ...world.ports, approvals });

    expect(approvals.count('endMany')).toBe(1);
    expect(report).toMatchObject({ applied: 4, failures: [] });
    expect(await Promise.all(['A-1', 'A-2', 'A-3'].map((id) => status(world, id)))).toEqual([
      'declined',
      'declined',
      'declined',
    ]);
    expect(world.metrics.decisions).toEqual(Array(3).fill({ status: 'declined', seconds: 7_200 }));
  });

  it('counts in the metrics only the approvals that were still pending when their batch applied', async () => {
    const world = aWorld();
    for (const n of [1, 2]) await followed(world, anApproval({ id: `A-${n}`, milestoneId: `M-100${n}` }));
    world.clock.advance(hours(2));
    for (const n of [1, 2]) world.opentrain.decide(`A-${n}`, 'declined');
    // Another replica ends A-2 between this tick's read and its write.
    const approvals: ApprovalsPort = {
      ...world.store.approvals,
      async endMany(endings, when) {
        await world.store.approvals.end(
          {
            approvalId: 'A-2',
            status: 'expired',
            resolvedAt: null,
            result: null,
            source: 'countersign:test',
          },
          when,
          [],
        );
        return world.store.approvals.endMany(endings, when);
      },
    };

    const report = await pollTick({ ...world.ports, approvals });

    expect(report).toMatchObject({ applied: 3, failures: [] });
    expect([await status(world, 'A-1'), await status(world, 'A-2')]).toEqual(['declined', 'expired']);
    expect(world.metrics.decisions).toEqual([{ status: 'declined', seconds: 7_200 }]);
  });

  it('gives the event loop back after a full batch of ends, before it applies the next', async () => {
    const world = aWorld();
    const ids = Array.from({ length: endsPerTransaction + 1 }, (_, index) => `A-${index + 1}`);
    for (const id of ids) await followed(world, anApproval({ id, milestoneId: `M-${id}` }));
    world.clock.advance(hours(2));
    for (const id of ids) world.opentrain.decide(id, 'declined');
    const calls: string[] = [];
    const approvals: ApprovalsPort = {
      ...world.store.approvals,
      async endMany(endings, when) {
        calls.push(`ends ${endings.length}`);
        // Work that arrives while the tick applies its first batch, as a Slack request would.
        if (calls.length === 1) setImmediate(() => calls.push('other work'));
        return world.store.approvals.endMany(endings, when);
      },
    };

    const report = await pollTick({ ...world.ports, approvals });

    expect(calls).toEqual([`ends ${endsPerTransaction}`, 'other work', 'ends 1']);
    expect(report).toMatchObject({ applied: ids.length + 2, failures: [] });
    expect(world.metrics.decisions).toHaveLength(ids.length);
  });

  it('fails the cursor move, and stops, when another poller moved the cursor meanwhile', async () => {
    const world = aWorld();
    others(world, 2);
    const racing: CursorPort = {
      get: (...args) => world.store.cursors.get(...args),
      async advance(...args) {
        await world.store.cursors.advance(workspaceId, updatesCursorName, null, '2', world.clock.now());
        return world.store.cursors.advance(...args);
      },
    };

    const report = await pollTick({ ...world.ports, cursors: racing });

    expect(report.failures).toEqual(['act:advance-cursor']);
    expect(await cursor(world)).toBe('2');
  });

  it('changes nothing on a dry run, and says what it would do', async () => {
    const world = aWorld();
    await followed(world);
    world.opentrain.decide('A-1', 'declined');

    const report = await pollTick(world.ports, { dry: true });

    expect(report.actions.map((action) => action.kind)).toEqual(['end', 'advance-cursor']);
    expect(report.applied).toBe(0);
    expect([await status(world), await cursor(world)]).toEqual(['pending', null]);
    expect(await world.store.outbox.find(effectKeys.thread('A-1', 'outcome'))).toBeUndefined();
    expect(await world.store.outbox.find(effectKeys.outcome('A-1'))).toBeUndefined();
  });

  it('runs the other phases when one of them fails in the store', async () => {
    const world = aWorld();
    await followed(world);
    world.opentrain.decide('A-1', 'declined');
    const approvals = faulty(world.store.approvals);
    approvals.failNext('listDueReminders');

    const report = await pollTick({ ...world.ports, approvals });

    expect(report.problems).toMatchObject([{ phase: 'reminders', failure: 'error' }]);
    expect(await status(world)).toBe('declined');
  });
});

describe('pollTick on lapsed approvals', () => {
  it('ends a lapsed approval as OpenTrain reads it now', async () => {
    const world = aWorld();
    await trackApproval(world);
    world.opentrain.addApproval(anApproval({ status: 'expired' }));
    world.clock.set(at(hours(72)));

    await pollTick(world.ports);

    expect(await status(world)).toBe('expired');
    expect(world.opentrain.callsOf('getApproval')).toEqual(['A-1']);
  });

  it('ends a lapsed approval OpenTrain no longer shows as expired at its expiry', async () => {
    const world = aWorld();
    await trackApproval(world);
    world.clock.set(at(hours(80)));

    await pollTick(world.ports);

    expect(await world.store.approvals.get('A-1')).toMatchObject({
      status: 'expired',
      resolvedAt: at(hours(72)),
    });
  });

  it('leaves a lapsed approval pending while OpenTrain cannot be read', async () => {
    const world = aWorld();
    await followed(world);
    world.clock.set(at(hours(72)));
    world.opentrain.failNext('getApproval', 'unavailable');

    const report = await pollTick(world.ports);

    expect(report.failures).toContain('lapsed');
    expect(await status(world)).toBe('pending');
  });

  it('reads at most 100 lapsed approvals in a tick', async () => {
    const world = aWorld();
    for (let n = 0; n <= tickLimits.lapsed; n++) {
      const approval = anApproval({ id: `A-${n}`, expiresAt: at(hours(1) + n), status: 'expired' });
      world.opentrain.addApproval(approval);
      await trackApproval(world, { ...approval, status: 'pending' });
    }
    world.clock.set(at(hours(2)));

    const first = await pollTick(world.ports);
    const second = await pollTick(world.ports);

    expect(first.approvalReads).toBe(100);
    expect(second.approvalReads).toBe(1);
    expect(await status(world, 'A-100')).toBe('expired');
  });
});

describe('pollTick on reminders, contexts and countdowns', () => {
  it('queues the reminder that fell due, once', async () => {
    const world = aWorld();
    await followed(world);
    world.clock.set(at(hours(48)));

    await pollTick(world.ports);
    const second = await pollTick(world.ports);

    expect(await directQueued(world.store, effectKeys.reminder('A-1', hours(24)))).toEqual({
      userId: 'U0ALICE',
      message: { about: 'reminder', offsetMs: hours(24) },
    });
    expect((await world.store.approvals.get('A-1'))?.reminderFloorMs).toBe(hours(24));
    expect(second.actions).toEqual([]);
    expect(await world.store.outbox.find(effectKeys.thread('A-1', 'reminder'))).toBeUndefined();
  });

  it("also posts the last reminder in the card's thread, for the approvers", async () => {
    const world = aWorld();
    await followed(world);
    world.clock.set(at(hours(71)));

    await pollTick(world.ports);

    expect(await queued(world, effectKeys.reminder('A-1', hours(1)))).toBe(true);
    expect(await queued(world, effectKeys.thread('A-1', 'reminder'))).toBe(true);
  });

  it('shows a context found on a later try, with the card and Home tabs updated', async () => {
    const world = aWorld();
    world.opentrain.addMilestone('M-1001', { contractId: 'C-1', amountUsd: 900 });
    await trackApproval(world, anApproval(), { contextRetryAt: at(60_000) });
    await attempt(world, effectKeys.card('A-1'), 'card', (claimed) => deliverCard(world.ports, claimed));
    world.clock.set(at(60_000));

    await pollTick(world.ports);

    expect(await world.store.approvals.get('A-1')).toMatchObject({ version: 2, context: { amountUsd: 900 } });
    expect(await queued(world, effectKeys.card('A-1'))).toBe(true);
    expect(await queued(world, effectKeys.homes('A-1'))).toBe(true);
  });

  it('tries a failed context lookup again later, and stops the lookups of this tick while OpenTrain is down', async () => {
    const world = aWorld();
    await trackApproval(world, anApproval({ id: 'A-1' }), { contextRetryAt: at(60_000) });
    await trackApproval(world, anApproval({ id: 'A-2', milestoneId: 'M-1002' }), {
      contextRetryAt: at(60_000),
    });
    world.clock.set(at(60_000));
    world.opentrain.failNext('getContract', 'unavailable');

    await pollTick(world.ports);

    expect(world.opentrain.callsOf('getContract')).toEqual(['C-1']);
    const due = await world.store.approvals.listContextRetries(at(60_000), 10);
    expect(due.map((approval) => approval.id)).toEqual(['A-2']);
    const later = await world.store.approvals.listContextRetries(at(hours(1)), 10);
    expect(later.map((approval) => approval.id).sort()).toEqual(['A-1', 'A-2']);
  });

  it('refreshes a card whose countdown went stale', async () => {
    const world = aWorld();
    await followed(world);
    const { claimed } = await claimEffect(world, effectKeys.card('A-1'), 'card');
    await deliverCard(world.ports, claimed);
    await world.store.outbox.finish(claimed, 'worker-1', 'done', world.clock.now());
    const staleAt = countdownRefreshAt(anApproval(), t0);
    if (staleAt === null) throw new Error('A-1 counts down');
    world.clock.set(staleAt);

    const report = await pollTick(world.ports);

    expect(report.actions.map((action) => action.kind)).toEqual(['refresh-card']);
    expect((await world.store.approvals.get('A-1'))?.version).toBe(2);
    expect(await queued(world, effectKeys.card('A-1'))).toBe(true);
  });
});
