import { describe, expect, it } from 'vitest';
import { effectKeys, type Reply } from '../../../src/domain/effects.js';
import type { RouteScope } from '../../../src/domain/routing.js';
import { manageRoutes, type RouteChange } from '../../../src/use-cases/manage-routes.js';
import { replyQueued } from '../../helpers/queue-reading.js';
import { aReplyTarget, aWorld, saveRoute, type World, workspaceId } from '../../helpers/use-case-world.js';

const requestKey = 'route-command-1';
const finance = { kind: 'usergroup', id: 'S0FINANCE' } as const;

/** OpenTrain knows contract C-1 and C-2 (both of job J-1), and job J-EMPTY without contracts. */
function anAccount(): World {
  const world = aWorld({ admins: ['U0ADMIN'] });
  world.opentrain.addMilestone('M-1', { contractId: 'C-1', jobId: 'J-1' });
  world.opentrain.addMilestone('M-2', { contractId: 'C-2', jobId: 'J-1' });
  world.opentrain.addJob('J-EMPTY');
  return world;
}

async function route(world: World, change: RouteChange, userId = 'U0ADMIN'): Promise<Reply | undefined> {
  await manageRoutes(world.ports, change, {
    workspaceId,
    userId,
    replyTo: aReplyTarget({ userId }),
    requestKey,
  });
  return replyQueued(world.store, effectKeys.reply(requestKey));
}

function set(id: string, scope?: RouteScope): RouteChange {
  return {
    kind: 'set',
    target: { scope, id },
    channelId: 'C0FINANCE',
    approvers: [finance],
    autoFund: true,
  };
}

async function routes(world: World) {
  return world.store.routes.list(workspaceId);
}

describe('manageRoutes list', () => {
  it('answers anyone with the routes, changing nothing', async () => {
    const world = anAccount();

    expect(await route(world, { kind: 'list' }, 'U0BOB')).toEqual({ kind: 'routes' });
    expect(await world.store.audit.list({ limit: 10 })).toEqual([]);
  });
});

describe('manageRoutes for someone who is not an admin', () => {
  it.each<RouteChange>([set('C-1'), { kind: 'remove', target: { scope: undefined, id: 'C-1' } }])(
    'refuses to $kind a route, and audits the attempt',
    async (change) => {
      const world = anAccount();
      await saveRoute(world, { scope: 'contract', targetId: 'C-1', channelId: 'C0OLD' });

      const reply = await route(world, change, 'U0BOB');

      expect(reply).toEqual({ kind: 'not-admin' });
      expect(await routes(world)).toMatchObject([{ targetId: 'C-1', channelId: 'C0OLD' }]);
      const [latest] = await world.store.audit.list({ limit: 1 });
      expect(latest).toMatchObject({ actor: 'slack:U0BOB', action: 'route-change-refused' });
      expect(world.opentrain.calls).toEqual([]);
    },
  );
});

describe('manageRoutes set', () => {
  it.each([
    {
      label: 'a contract id, asking OpenTrain',
      id: 'C-1',
      scope: undefined,
      saved: 'contract',
      label2: 'Contract C-1',
    },
    {
      label: 'a job id, asking OpenTrain',
      id: 'J-1',
      scope: undefined,
      saved: 'job',
      label2: '2 contract(s)',
    },
    { label: 'a job without contracts yet', id: 'J-EMPTY', scope: undefined, saved: 'job', label2: null },
    {
      label: 'an id written as contract:<id>',
      id: 'C-2',
      scope: 'contract',
      saved: 'contract',
      label2: 'Contract C-2',
    },
    { label: 'an id written as job:<id>', id: 'J-1', scope: 'job', saved: 'job', label2: '2 contract(s)' },
  ] as const)('saves a route for $label', async ({ id, scope, saved, label2 }) => {
    const world = anAccount();

    const reply = await route(world, set(id, scope));

    expect(reply).toEqual({ kind: 'route-saved', scope: saved, targetId: id });
    expect(await routes(world)).toEqual([
      {
        workspaceId,
        scope: saved,
        targetId: id,
        label: label2,
        channelId: 'C0FINANCE',
        approvers: [finance],
        autoFund: true,
        createdBy: 'U0ADMIN',
        updatedAt: world.clock.now(),
      },
    ]);
    const [entry] = await world.store.audit.list({ limit: 1 });
    expect(entry).toMatchObject({
      actor: 'slack:U0ADMIN',
      action: 'route-set',
      detail: { scope: saved, target: id, channel: 'C0FINANCE', approvers: [finance], autoFund: true },
    });
  });

  it('asks only about jobs for an id written as job:<id>', async () => {
    const world = anAccount();

    await route(world, set('J-1', 'job'));

    expect(world.opentrain.calls.map((call) => call.method)).toEqual(['listContracts']);
  });

  it('replaces the route already set for the same job', async () => {
    const world = anAccount();
    await saveRoute(world, { scope: 'job', targetId: 'J-1', channelId: 'C0OLD' });

    await route(world, set('J-1', 'job'));

    expect(await routes(world)).toMatchObject([{ targetId: 'J-1', channelId: 'C0FINANCE' }]);
  });

  it.each([
    { label: 'an id OpenTrain knows neither as a contract nor as a job', id: 'X-9', scope: undefined },
    { label: 'a contract:<id> OpenTrain does not know', id: 'C-9', scope: 'contract' },
    { label: 'a job:<id> OpenTrain does not know', id: 'J-9', scope: 'job' },
  ] as const)('saves nothing for $label, and says it is not found', async ({ id, scope }) => {
    const world = anAccount();

    const reply = await route(world, set(id, scope));

    expect(reply).toEqual({ kind: 'route-unknown', targetId: id, why: 'not-found' });
    expect(await routes(world)).toEqual([]);
  });

  it('saves nothing for an unscoped id while OpenTrain is unreachable, and says so', async () => {
    const world = anAccount();
    world.opentrain.failNext('getContract', 'unavailable');

    const reply = await route(world, set('C-1'));

    expect(reply).toEqual({ kind: 'route-unknown', targetId: 'C-1', why: 'unreachable' });
    expect(await routes(world)).toEqual([]);
  });

  it.each<RouteScope>(['job', 'contract'])(
    'takes the admin at their word for a %s:<id> while OpenTrain is unreachable',
    async (scope) => {
      const world = anAccount();
      world.opentrain.failNext('getContract', 'unavailable');
      world.opentrain.failNext('listContracts', 'timeout');

      const reply = await route(world, set('C-1', scope));

      expect(reply).toEqual({ kind: 'route-saved', scope, targetId: 'C-1' });
      expect(await routes(world)).toMatchObject([{ scope, targetId: 'C-1', label: null }]);
    },
  );

  it('does not mistake an error of our own for OpenTrain being unreachable', async () => {
    const world = anAccount();
    world.opentrain.failNext('getContract', new TypeError('undefined is not a function'));

    await expect(route(world, set('C-1'))).rejects.toThrow(TypeError);
    expect(await routes(world)).toEqual([]);
  });
});

describe('manageRoutes remove', () => {
  it('removes the route, says what it was, and audits it', async () => {
    const world = anAccount();
    await saveRoute(world, { scope: 'job', targetId: 'J-1', channelId: 'C0JOB' });

    const reply = await route(world, { kind: 'remove', target: { scope: undefined, id: 'J-1' } });

    expect(reply).toEqual({
      kind: 'route-removed',
      targetId: 'J-1',
      removed: { scope: 'job', targetId: 'J-1', channelId: 'C0JOB' },
    });
    expect(await routes(world)).toEqual([]);
    const [latest] = await world.store.audit.list({ limit: 1 });
    expect(latest).toMatchObject({
      actor: 'slack:U0ADMIN',
      action: 'route-removed',
      detail: { target: 'J-1' },
    });
  });

  it('removes only the route of the scope it names', async () => {
    const world = anAccount();
    await saveRoute(world, { scope: 'job', targetId: 'X-1', channelId: 'C0JOB' });
    await saveRoute(world, { scope: 'contract', targetId: 'X-1', channelId: 'C0CONTRACT' });

    await route(world, { kind: 'remove', target: { scope: 'contract', id: 'X-1' } });

    expect(await routes(world)).toMatchObject([{ scope: 'job', targetId: 'X-1' }]);
  });

  it('says there was nothing to remove', async () => {
    const world = anAccount();

    const reply = await route(world, { kind: 'remove', target: { scope: undefined, id: 'J-1' } });

    expect(reply).toEqual({ kind: 'route-removed', targetId: 'J-1', removed: null });
  });
});
