import { describe, expect, it } from 'vitest';
import { history } from '../../../src/use-cases/history.js';
import { recordClick } from '../../../src/use-cases/record-click.js';
import { anApproval } from '../../helpers/builders.js';
import { faulty } from '../../helpers/faulty.js';
import { auditOf } from '../../helpers/queue-reading.js';
import { aWorld, trackApproval, type World } from '../../helpers/use-case-world.js';

/** A-1 for milestone M-1001 was requested, posted and declined; A-9 (a hire) has no milestone. */
async function withHistory(): Promise<World> {
  const world = aWorld();
  const entry = (approvalId: string, milestoneId: string | null, action: string) => ({
    approvalId,
    milestoneId,
    actor: 'countersign',
    action,
  });
  await world.store.audit.append([entry('A-1', 'M-1001', 'requested')], world.clock.now());
  world.clock.advance(1_000);
  await world.store.audit.append([entry('A-1', 'M-1001', 'card-posted')], world.clock.now());
  world.clock.advance(1_000);
  await world.store.audit.append(
    [entry('A-9', null, 'requested'), entry('A-1', 'M-1001', 'declined')],
    world.clock.now(),
  );
  return world;
}

describe('history', () => {
  it("reads a milestone id as the milestone's history, newest first", async () => {
    const world = await withHistory();

    const { subject, entries } = await history(world.ports, 'M-1001');

    expect(subject).toBe('milestone');
    expect(entries.map((entry) => entry.action)).toEqual(['declined', 'card-posted', 'requested']);
  });

  it('reads any other id as an approval', async () => {
    const world = await withHistory();

    const { subject, entries } = await history(world.ports, 'A-9');

    expect(subject).toBe('approval');
    expect(entries).toMatchObject([{ approvalId: 'A-9', action: 'requested' }]);
  });

  it('finds nothing for an id nobody used', async () => {
    const world = await withHistory();

    expect(await history(world.ports, 'M-404')).toEqual({ subject: 'milestone', entries: [] });
  });

  it('shows the latest 50 entries of a long history', async () => {
    const world = aWorld();
    for (let n = 0; n < 60; n++) {
      await world.store.audit.append(
        [{ approvalId: 'A-1', milestoneId: 'M-1001', actor: 'slack:U0BOB', action: `click-${n}` }],
        world.clock.advance(1_000),
      );
    }

    const { entries } = await history(world.ports, 'M-1001');

    expect(entries).toHaveLength(50);
    expect(entries[0]?.action).toBe('click-59');
    expect(entries.at(-1)?.action).toBe('click-10');
  });
});

describe('recordClick', () => {
  it('audits who opened the approval, and when', async () => {
    const world = aWorld();
    await trackApproval(world, anApproval({ id: 'A-1', milestoneId: 'M-1001' }));
    const clickedAt = world.clock.advance(60_000);

    await recordClick(world.ports, 'A-1', 'U0BOB');

    expect((await auditOf(world.store, { approvalId: 'A-1' })).at(-1)).toMatchObject({
      milestoneId: 'M-1001',
      actor: 'slack:U0BOB',
      action: 'link-opened',
      at: clickedAt,
    });
  });

  it('audits nothing for an approval nobody tracks', async () => {
    const world = aWorld();

    await recordClick(world.ports, 'A-404', 'U0BOB');

    expect(await world.store.audit.list({ limit: 10 })).toEqual([]);
  });

  it('never fails the click when the audit log cannot be written', async () => {
    const world = aWorld();
    await trackApproval(world);
    const audit = faulty(world.store.audit);
    audit.failNext('append');

    await expect(recordClick({ ...world.ports, audit }, 'A-1', 'U0BOB')).resolves.toBeUndefined();
    expect(audit.count('append')).toBe(1);
  });
});
