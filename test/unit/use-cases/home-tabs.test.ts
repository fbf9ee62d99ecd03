import { describe, expect, it } from 'vitest';
import { countdownRefreshAt } from '../../../src/domain/countdown.js';
import { effectKeys, homeEffect, homesEffect, priorities } from '../../../src/domain/effects.js';
import { openHome, publishHome, refreshAudience } from '../../../src/use-cases/home-tabs.js';
import { anApproval, at, hours } from '../../helpers/builders.js';
import {
  attempt,
  aWorld,
  endApproval,
  trackApproval,
  type World,
  workspaceId,
} from '../../helpers/use-case-world.js';

const days = (n: number) => hours(24 * n);
const bob = { kind: 'slack', userId: 'U0BOB', teamId: 'T1' } as const;
const carol = { kind: 'slack', userId: 'U0CAROL', teamId: 'T1' } as const;

async function refresh(world: World, approvalId = 'A-1') {
  await world.store.outbox.enqueue([homesEffect(workspaceId, approvalId)], world.clock.now());
  return attempt(world, effectKeys.homes(approvalId), 'homes', (claimed) =>
    refreshAudience(world.ports, claimed),
  );
}

async function publish(world: World, userId: string) {
  await world.store.outbox.enqueue([homeEffect(workspaceId, userId, priorities.routine)], world.clock.now());
  return attempt(world, effectKeys.home(userId), 'home', (claimed) => publishHome(world.ports, claimed));
}

/** The person opened the tab some time ago, and the view it asked for was published. */
async function opened(world: World, userId: string): Promise<void> {
  await openHome(world.ports, workspaceId, userId);
  await attempt(world, effectKeys.home(userId), 'home', (claimed) => publishHome(world.ports, claimed));
}

async function homeQueued(world: World, userId: string): Promise<boolean> {
  return (await world.store.outbox.find(effectKeys.home(userId)))?.state === 'pending';
}

describe('openHome', () => {
  it('remembers who opened the tab and queues a fresh view for them', async () => {
    const world = aWorld();

    await openHome(world.ports, workspaceId, 'U0BOB');

    expect(await homeQueued(world, 'U0BOB')).toBe(true);
    expect(
      await world.store.homes.recentViewers(workspaceId, ['U0BOB', 'U0CAROL'], world.clock.now()),
    ).toEqual(['U0BOB']);
  });
});

describe('refreshAudience', () => {
  it('drops the effect of an approval nobody tracks', async () => {
    const world = aWorld();

    expect(await refresh(world)).toEqual({ kind: 'dropped', reason: 'approval not tracked' });
  });

  it("republishes the tabs of the requester and the card channel's members, only for recent viewers", async () => {
    const world = aWorld({ members: { C0FUND: ['U0BOB', 'U0CAROL', 'U0DAVE'] } });
    await opened(world, 'U0DAVE');
    world.clock.advance(days(31));
    await opened(world, 'U0ALICE');
    await opened(world, 'U0BOB');
    await trackApproval(world, anApproval({ expiresAt: at(days(40)) }));

    const result = await refresh(world);

    expect(result).toEqual({ kind: 'done' });
    expect({
      alice: await homeQueued(world, 'U0ALICE'),
      bob: await homeQueued(world, 'U0BOB'),
      carol: await homeQueued(world, 'U0CAROL'),
      dave: await homeQueued(world, 'U0DAVE'),
    }).toEqual({ alice: true, bob: true, carol: false, dave: false });
  });

  it('tries again later when Slack is too busy to say who is in the channel', async () => {
    const world = aWorld({ members: { C0FUND: ['U0BOB'] } });
    await openHome(world.ports, workspaceId, 'U0BOB');
    await trackApproval(world);
    world.directory.failNext('rate-limited');

    expect(await refresh(world)).toMatchObject({ kind: 'retry', reason: 'rate-limited' });
  });

  it("republishes the requester's tab alone when the channel cannot be read", async () => {
    const world = aWorld();
    await opened(world, 'U0ALICE');
    await opened(world, 'U0BOB');
    await trackApproval(world);

    const result = await refresh(world);

    expect(result).toEqual({ kind: 'done' });
    expect(await homeQueued(world, 'U0ALICE')).toBe(true);
    expect(await homeQueued(world, 'U0BOB')).toBe(false);
  });
});

describe('publishHome', () => {
  /**
   * Bob is in #fund, not in #secret. A-1 (pending, #fund) and A-5 (pending, #secret, Bob asked) are his to
   * see; A-2 (pending, #secret, Carol's) is not; A-3 declined two days ago in #fund shows as an outcome;
   * A-4 confirmed 15 days ago is past the two-week window.
   */
  async function bobsWorkspace(): Promise<World> {
    const world = aWorld({ members: { C0FUND: ['U0BOB', 'U0ALICE'], C0SECRET: ['U0CAROL'] } });
    await openHome(world.ports, workspaceId, 'U0BOB');
    const far = (n: number) => anApproval({ id: `A-${n}`, expiresAt: at(days(20 + n)) });
    await trackApproval(world, far(1));
    await trackApproval(world, far(2), { channelId: 'C0SECRET', requester: carol });
    await trackApproval(world, far(3));
    await trackApproval(world, far(4));
    await trackApproval(world, far(5), { channelId: 'C0SECRET', requester: bob });
    await endApproval(world, 'A-4', 'confirmed');
    world.clock.advance(days(13));
    await endApproval(world, 'A-3', 'declined');
    world.clock.advance(days(2));
    return world;
  }

  it('shows the viewer what they asked for or what was posted where they are, and recent outcomes', async () => {
    const world = await bobsWorkspace();

    const result = await publish(world, 'U0BOB');

    expect(result).toEqual({ kind: 'done' });
    const [home] = world.slack.homes;
    expect(home?.userId).toBe('U0BOB');
    expect(home?.content.pending.map((approval) => approval.id).sort()).toEqual(['A-1', 'A-5']);
    expect(home?.content.outcomes.map((approval) => [approval.id, approval.status])).toEqual([
      ['A-3', 'declined'],
    ]);
  });

  it('is published again when the first countdown it shows goes stale', async () => {
    const world = await bobsWorkspace();
    const now = world.clock.now();

    await publish(world, 'U0BOB');

    const staleAt = countdownRefreshAt({ status: 'pending', expiresAt: at(days(21)) }, now);
    if (staleAt === null) throw new Error('A-1 counts down');
    const staleBy = (moment: Date) => world.store.homes.listStale(moment, 10);
    expect(await staleBy(new Date(staleAt.getTime() - 1))).toEqual([]);
    expect(await staleBy(staleAt)).toEqual([{ workspaceId, userId: 'U0BOB' }]);
  });

  it('is never stale when it shows no countdown', async () => {
    const world = aWorld({ members: { C0FUND: ['U0BOB'] } });
    await openHome(world.ports, workspaceId, 'U0BOB');
    await trackApproval(world);
    await endApproval(world, 'A-1', 'declined');

    await publish(world, 'U0BOB');

    expect(world.slack.homes).toMatchObject([{ content: { pending: [], outcomes: [{ id: 'A-1' }] } }]);
    expect(await world.store.homes.listStale(at(days(29)), 10)).toEqual([]);
  });

  it('publishes nothing, and tries again, rather than show a view that misses a channel it cannot read', async () => {
    const world = await bobsWorkspace();
    world.directory.failNext('unavailable');

    const result = await publish(world, 'U0BOB');

    expect(result).toMatchObject({ kind: 'retry', reason: 'unavailable' });
    expect(world.slack.homes).toEqual([]);
  });

  it('tries again when Slack refuses the publish', async () => {
    const world = await bobsWorkspace();
    world.slack.failNext('publishHome', 'rate-limited', { retryAfterMs: 2_000 });

    expect(await publish(world, 'U0BOB')).toMatchObject({
      kind: 'retry',
      reason: 'rate-limited',
      retryAfterMs: 2_000,
    });
  });
});
