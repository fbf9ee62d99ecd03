import { describe, expect, it } from 'vitest';
import type { Requester } from '../../../src/domain/approval.js';
import { countdownRefreshAt } from '../../../src/domain/countdown.js';
import { cardEffect, effectKeys, priorities } from '../../../src/domain/effects.js';
import type { SlackFailure } from '../../../src/ports/slack.js';
import { deliverCard } from '../../../src/use-cases/deliver-card.js';
import { anApproval, t0 } from '../../helpers/builders.js';
import { auditActions, directQueued } from '../../helpers/queue-reading.js';
import {
  attempt,
  aWorld,
  endApproval,
  trackApproval,
  type World,
  workspaceId,
} from '../../helpers/use-case-world.js';

const cardKey = effectKeys.card('A-1');

function deliver(world: World) {
  return attempt(world, cardKey, 'card', (claimed) => deliverCard(world.ports, claimed));
}

/** A1 tracked for #fund, its card not posted yet. */
async function tracked(requester?: Requester): Promise<World> {
  const world = aWorld();
  await trackApproval(world, anApproval(), requester === undefined ? {} : { requester });
  return world;
}

async function posted(): Promise<World> {
  const world = await tracked();
  await deliver(world);
  return world;
}

describe('deliverCard posting', () => {
  it('drops the effect of an approval nobody tracks, without calling Slack', async () => {
    const world = aWorld();
    await world.store.outbox.enqueue(
      [
        {
          key: cardKey,
          workspaceId,
          mode: 'rearm',
          priority: 1,
          effect: { kind: 'card', approvalId: 'A-1' },
        },
      ],
      t0,
    );

    const result = await deliver(world);

    expect(result).toEqual({ kind: 'dropped', reason: 'approval not tracked' });
    expect(world.slack.calls).toEqual([]);
  });

  it('posts the card in its channel under its effect key, records where it is, and refreshes Home tabs', async () => {
    const world = await tracked();

    const result = await deliver(world);

    expect(result).toEqual({ kind: 'done' });
    const cards = world.slack.live('card');
    expect(cards).toMatchObject([{ channelId: 'C0FUND', key: cardKey, approval: { id: 'A-1', version: 1 } }]);
    const [card] = cards;
    expect((await world.store.approvals.get('A-1'))?.card).toEqual({
      version: 1,
      channelId: 'C0FUND',
      ts: card?.ts,
      permalink: world.slack.permalinkOf({ channelId: 'C0FUND', ts: card?.ts ?? '' }),
    });
    expect(await auditActions(world.store, { approvalId: 'A-1' })).toEqual(['requested', 'card-posted']);
    expect(await world.store.outbox.find(effectKeys.homes('A-1'))).toMatchObject({ state: 'pending' });
    expect(await world.store.outbox.find(effectKeys.cardArrived('A-1'))).toBeUndefined();
  });

  it('records when the countdown it shows goes stale, so the poller refreshes it then', async () => {
    const world = await tracked();

    await deliver(world);

    const staleAt = countdownRefreshAt(anApproval(), t0);
    expect(staleAt).not.toBeNull();
    const staleBy = (moment: Date) => world.store.approvals.listStaleCountdowns(moment, 10);
    expect(await staleBy(new Date((staleAt?.getTime() ?? 0) - 1))).toEqual([]);
    expect(await staleBy(staleAt ?? t0)).toEqual([{ id: 'A-1', workspaceId }]);
  });

  it.each([
    {
      label: 'tells a requester in Slack',
      requester: { kind: 'slack', userId: 'U0ALICE', teamId: 'T1' },
      told: true,
    },
    {
      label: 'has nobody to tell for a system',
      requester: { kind: 'system', name: 'upstream:erp' },
      told: false,
    },
  ] as const)(
    '$label that the card is there, when it got there on a later attempt',
    async ({ requester, told }) => {
      const world = await tracked(requester);
      world.slack.failNext('postCard', 'not-in-channel');
      await deliver(world);

      const result = await deliver(world);

      expect(result).toEqual({ kind: 'done' });
      const dm = await directQueued(world.store, effectKeys.cardArrived('A-1'));
      expect(dm).toEqual(told ? { userId: 'U0ALICE', message: { about: 'card-arrived' } } : undefined);
    },
  );

  it('records the card without its permalink when Slack will not give one', async () => {
    const world = await tracked();
    world.slack.failNext('permalink', 'unavailable');

    const result = await deliver(world);

    expect(result).toEqual({ kind: 'done' });
    expect((await world.store.approvals.get('A-1'))?.card).toMatchObject({
      channelId: 'C0FUND',
      permalink: null,
    });
  });

  it.each<{ failure: SlackFailure; retryAfterMs?: number; expected: object }>([
    {
      failure: 'rate-limited',
      retryAfterMs: 5_000,
      expected: { reason: 'rate-limited', error: 'ratelimited', retryAfterMs: 5_000, uncertain: false },
    },
    {
      failure: 'unavailable',
      expected: { reason: 'unavailable', error: 'request_timeout', uncertain: true },
    },
    {
      failure: 'not-in-channel',
      expected: { reason: 'not-in-channel', error: 'not_in_channel', uncertain: false },
    },
    {
      failure: 'channel-not-found',
      expected: { reason: 'channel-not-found', error: 'channel_not_found', uncertain: false },
    },
    { failure: 'rejected', expected: { reason: 'rejected', error: 'invalid_blocks', uncertain: false } },
  ])(
    'keeps trying a card Slack refused with $failure, recording nothing',
    async ({ failure, retryAfterMs, expected }) => {
      const world = await tracked();
      world.slack.failNext('postCard', failure, retryAfterMs === undefined ? {} : { retryAfterMs });

      const result = await deliver(world);

      expect(result).toEqual({ kind: 'retry', ...expected });
      expect((await world.store.approvals.get('A-1'))?.card.ts).toBeNull();
      expect(await auditActions(world.store, { approvalId: 'A-1' })).toEqual(['requested']);
    },
  );
});

describe('deliverCard after an uncertain attempt', () => {
  it('records the card an earlier attempt posted without hearing back, instead of posting again', async () => {
    const world = await tracked();
    world.slack.failNext('postCard', 'unavailable', { landed: true });
    await deliver(world);
    world.clock.advance(30_000);

    const result = await deliver(world);

    expect(result).toEqual({ kind: 'done' });
    const cards = world.slack.live('card');
    expect(cards).toHaveLength(1);
    expect((await world.store.approvals.get('A-1'))?.card).toMatchObject({ ts: cards[0]?.ts, version: 1 });
    expect(await auditActions(world.store, { approvalId: 'A-1' })).toEqual(['requested', 'card-posted']);
  });

  it('posts when it looked and the earlier attempt never landed', async () => {
    const world = await tracked();
    world.slack.failNext('postCard', 'unavailable');
    await deliver(world);

    const result = await deliver(world);

    expect(result).toEqual({ kind: 'done' });
    expect(world.slack.calls).toEqual(['postCard', 'findSent', 'postCard', 'permalink']);
    expect(world.slack.live('card')).toHaveLength(1);
  });

  it('waits, rather than risk a second card, while Slack cannot say whether the first landed', async () => {
    const world = await tracked();
    world.slack.failNext('postCard', 'unavailable', { landed: true });
    await deliver(world);
    world.slack.failNext('findSent', 'rate-limited', { retryAfterMs: 10_000 });

    const result = await deliver(world);

    expect(result).toMatchObject({ kind: 'retry', reason: 'rate-limited', retryAfterMs: 10_000 });
    expect(world.slack.messages).toHaveLength(1);
  });

  it('posts again, blind, where Slack will not let it look (a missing history scope)', async () => {
    const world = await tracked();
    world.slack.failNext('postCard', 'unavailable');
    await deliver(world);
    world.slack.failNext('findSent', 'rejected', { code: 'missing_scope' });

    const result = await deliver(world);

    expect(result).toEqual({ kind: 'done' });
    expect(world.slack.live('card')).toHaveLength(1);
  });
});

describe('deliverCard with a second copy', () => {
  /** While our post is on its way, another worker posts its own copy and records it first. */
  function anotherWorkerPostsFirst(world: World): { permalink: () => string } {
    let permalink = '';
    world.slack.duringNextPost(async () => {
      const approval = await world.store.approvals.get('A-1');
      if (approval === undefined) throw new Error('A-1 is not tracked');
      const theirs = await world.slack.postCard(approval, world.clock.now(), cardKey);
      await world.store.approvals.recordCard(
        'A-1',
        { ...theirs, version: 1, refreshAt: null },
        world.clock.now(),
      );
      permalink = world.slack.permalinkOf(theirs);
      await world.store.approvals.recordPermalink('A-1', theirs.ts, permalink);
    });
    return { permalink: () => permalink };
  }

  it('turns its own copy into a pointer at the card recorded first, so one card is live', async () => {
    const world = await tracked();
    const theirs = anotherWorkerPostsFirst(world);

    const result = await deliver(world);

    expect(result).toEqual({ kind: 'done' });
    const [ours, real] = world.slack.messages;
    expect(world.slack.duplicates).toEqual([
      { channelId: ours?.channelId, ts: ours?.ts, realPermalink: theirs.permalink() },
    ]);
    expect((await world.store.approvals.get('A-1'))?.card.ts).toBe(real?.ts);
    expect(await auditActions(world.store, { approvalId: 'A-1' })).toEqual(['requested']);
  });

  it('is done all the same when the copy cannot be marked', async () => {
    const world = await tracked();
    anotherWorkerPostsFirst(world);
    world.slack.failNext('markDuplicate', 'unavailable');

    const result = await deliver(world);

    expect(result).toEqual({ kind: 'done' });
    expect(world.slack.duplicates).toEqual([]);
  });
});

describe('deliverCard editing', () => {
  it('needs no Slack call while the card shows the current version', async () => {
    const world = await posted();
    await world.store.outbox.enqueue(
      [
        {
          key: cardKey,
          workspaceId,
          mode: 'rearm',
          priority: 1,
          effect: { kind: 'card', approvalId: 'A-1' },
        },
      ],
      world.clock.now(),
    );
    const calls = world.slack.calls.length;

    const result = await deliver(world);

    expect(result).toEqual({ kind: 'done' });
    expect(world.slack.calls).toHaveLength(calls);
  });

  it('edits the card in place to show the approval as it is now', async () => {
    const world = await posted();
    world.clock.advance(60_000);
    await endApproval(world, 'A-1', 'declined');

    const result = await deliver(world);

    expect(result).toEqual({ kind: 'done' });
    const [card] = world.slack.live('card');
    expect(world.slack.edits).toMatchObject([
      { channelId: 'C0FUND', ts: card?.ts, approval: { status: 'declined', version: 2 } },
    ]);
    expect(world.slack.live('card')).toHaveLength(1);
    expect((await world.store.approvals.get('A-1'))?.card).toMatchObject({ ts: card?.ts, version: 2 });
  });

  it.each([
    ['a decision a person made', 'declined', priorities.change, false],
    ['a lapse nobody acted on', 'expired', priorities.routine, true],
    ['a countdown', null, priorities.countdown, true],
  ] as const)('edits for %s in the background: %s', async (_what, status, priority, background) => {
    const world = await posted();
    const effect = cardEffect(workspaceId, 'A-1', priority);
    if (status === null) await world.store.approvals.refreshCountdown('A-1', [effect], world.clock.now());
    else await endApproval(world, 'A-1', status, [effect]);

    await deliver(world);

    expect(world.slack.edits.map((edit) => edit.background)).toEqual([background]);
  });

  it('forgets a card a person deleted, and the next attempt posts a fresh one at once', async () => {
    const world = await posted();
    const [deleted] = world.slack.live('card');
    if (deleted !== undefined) world.slack.deleteMessage(deleted);
    await endApproval(world, 'A-1', 'declined');

    const first = await deliver(world);
    const second = await deliver(world);

    expect(first).toMatchObject({ kind: 'retry', reason: 'message-not-found' });
    expect(second).toEqual({ kind: 'done' });
    const cards = world.slack.live('card');
    expect(cards).toMatchObject([{ approval: { status: 'declined' } }]);
    expect((await world.store.approvals.get('A-1'))?.card).toMatchObject({ ts: cards[0]?.ts, version: 2 });
  });

  it('keeps trying an edit Slack is too busy for, with the card left where it is', async () => {
    const world = await posted();
    await endApproval(world, 'A-1', 'confirmed');
    world.slack.failNext('editCard', 'rate-limited', { retryAfterMs: 3_000 });

    const result = await deliver(world);

    expect(result).toMatchObject({ kind: 'retry', reason: 'rate-limited', retryAfterMs: 3_000 });
    expect((await world.store.approvals.get('A-1'))?.card).toMatchObject({ version: 1 });
    expect((await world.store.approvals.get('A-1'))?.card.ts).not.toBeNull();
  });
});
