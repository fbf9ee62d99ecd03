import { describe, expect, it } from 'vitest';
import {
  type Direct,
  dmEffect,
  effectKeys,
  noticeEffect,
  progressReplyEffect,
  type Reply,
  replyEffect,
  replyOutcomeEffect,
  threadEffect,
} from '../../../src/domain/effects.js';
import type { ReplyTarget } from '../../../src/domain/funding.js';
import type { SlackFailure } from '../../../src/ports/slack.js';
import { deliverCard } from '../../../src/use-cases/deliver-card.js';
import { sendDirect, sendNotice, sendReply, sendToThread } from '../../../src/use-cases/send-messages.js';
import { at, hours, t0 } from '../../helpers/builders.js';
import { dmChannelOf } from '../../helpers/fake-slack.js';
import { auditOf } from '../../helpers/queue-reading.js';
import {
  aReplyTarget,
  attempt,
  aWorld,
  endApproval,
  saveRoute,
  trackApproval,
  type World,
  workspaceId,
} from '../../helpers/use-case-world.js';

const minutes = (n: number) => n * 60_000;
const requestKey = 'fund:slack-request-1';
const replyKey = effectKeys.reply(requestKey);

async function reply(world: World, content: Reply, to: ReplyTarget = aReplyTarget()) {
  await world.store.outbox.enqueue([replyEffect(requestKey, workspaceId, to, content)], world.clock.now());
  return replyAgain(world);
}

async function replyAgain(world: World) {
  return attempt(world, replyKey, 'reply', (claimed, context) => sendReply(world.ports, claimed, context));
}

async function postCard(world: World) {
  return attempt(world, effectKeys.card('A-1'), 'card', (claimed) => deliverCard(world.ports, claimed));
}

describe('sendReply', () => {
  it('answers through the response_url while it is fresh, with the routes as they are now, and sends no DM', async () => {
    const world = aWorld();
    const route = await saveRoute(world, { scope: 'job', targetId: 'J-1', channelId: 'C0JOB' });

    const result = await reply(world, { kind: 'routes' });

    expect(result).toEqual({ kind: 'done' });
    expect(world.slack.responses).toEqual([
      { to: aReplyTarget(), content: { reply: { kind: 'routes' }, routes: [route] } },
    ]);
    expect(world.slack.messages).toEqual([]);
  });

  it('sends a progress line through the response_url, then the outcome in its place with replace_original', async () => {
    const world = aWorld();
    await world.store.outbox.enqueue(
      [progressReplyEffect(requestKey, workspaceId, aReplyTarget(), 'M-1001', at(2_000))],
      t0,
    );
    world.clock.advance(2_000);

    const progress = await replyAgain(world);
    await world.store.outbox.enqueue(
      [
        replyOutcomeEffect(requestKey, workspaceId, aReplyTarget(), {
          kind: 'unrouted',
          milestoneId: 'M-1001',
        }),
      ],
      world.clock.now(),
    );
    const outcome = await replyAgain(world);

    expect([progress, outcome]).toEqual([{ kind: 'done' }, { kind: 'done' }]);
    expect(world.slack.responses).toEqual([
      { to: aReplyTarget(), content: { reply: { kind: 'working', milestoneId: 'M-1001' } } },
      {
        to: aReplyTarget(),
        content: { reply: { kind: 'unrouted', milestoneId: 'M-1001' } },
        replaceOriginal: true,
      },
    ]);
  });

  it('sends an outcome that came before its progress line was due as the only message, replacing nothing', async () => {
    const world = aWorld();
    await world.store.outbox.enqueue(
      [progressReplyEffect(requestKey, workspaceId, aReplyTarget(), 'M-1001', at(2_000))],
      t0,
    );
    world.clock.advance(800);
    await world.store.outbox.enqueue(
      [
        replyOutcomeEffect(requestKey, workspaceId, aReplyTarget(), {
          kind: 'unrouted',
          milestoneId: 'M-1001',
        }),
      ],
      world.clock.now(),
    );

    await replyAgain(world);

    expect(world.slack.responses).toEqual([
      { to: aReplyTarget(), content: { reply: { kind: 'unrouted', milestoneId: 'M-1001' } } },
    ]);
    world.clock.advance(hours(1));
    expect(
      await world.store.outbox.claim({ owner: 'w', now: world.clock.now(), leaseMs: 1_000, limit: 5 }),
    ).toEqual([]);
  });

  it('replaces what an earlier attempt may have shown when the reply is sent again', async () => {
    const world = aWorld();
    world.slack.failNext('respond', 'unavailable');

    const failed = await reply(world, { kind: 'not-admin' });
    const again = await replyAgain(world);

    expect(failed).toMatchObject({ kind: 'retry' });
    expect(again).toEqual({ kind: 'done' });
    expect(world.slack.responses).toEqual([
      { to: aReplyTarget(), content: { reply: { kind: 'not-admin' } }, replaceOriginal: true },
    ]);
  });

  it.each([
    { label: 'its response_url has gone stale', after: minutes(29), refusal: undefined },
    { label: 'its response_url refuses it', after: 0, refusal: 'expired-url' as const },
    { label: 'Slack is not answering', after: 0, refusal: 'unavailable' as const },
  ])('drops a progress line, and never sends one by DM, when $label', async ({ after, refusal }) => {
    const world = aWorld();
    world.clock.advance(after);
    if (refusal !== undefined) world.slack.failNext('respond', refusal);

    const result = await reply(world, { kind: 'working', milestoneId: 'M-1001' });

    expect(result).toMatchObject({ kind: 'dropped' });
    expect(world.slack.responses).toEqual([]);
    expect(world.slack.messages).toEqual([]);
  });

  it('waits for the card, then says why it could not be posted yet', async () => {
    const world = aWorld();
    await trackApproval(world);
    world.slack.failNext('postCard', 'not-in-channel');
    await world.store.outbox.enqueue(
      [
        replyEffect(requestKey, workspaceId, aReplyTarget(), {
          kind: 'funding-requested',
          approvalId: 'A-1',
          cardProblem: null,
        }),
      ],
      t0,
    );
    const waiting = await world.store.outbox.claim({
      owner: 'w',
      now: t0,
      leaseMs: 1_000,
      limit: 1,
      key: replyKey,
    });
    await postCard(world);

    await replyAgain(world);

    expect(waiting).toEqual([]);
    expect(world.slack.responses).toMatchObject([
      { content: { approval: { id: 'A-1', card: { ts: null } }, cardError: 'not_in_channel' } },
    ]);
  });

  it('says where the card is once it was posted', async () => {
    const world = aWorld();
    await trackApproval(world);
    await postCard(world);

    await reply(world, { kind: 'funding-requested', approvalId: 'A-1', cardProblem: null });

    const [card] = world.slack.live('card');
    expect(world.slack.responses).toMatchObject([
      { content: { approval: { card: { ts: card?.ts, channelId: 'C0FUND' } }, cardError: null } },
    ]);
  });

  it.each([
    {
      label: 'the response_url is 29 minutes old',
      to: aReplyTarget(),
      after: minutes(29),
      refusal: undefined,
    },
    {
      label: 'there is no response_url',
      to: aReplyTarget({ responseUrl: null }),
      after: 0,
      refusal: undefined,
    },
    { label: 'the response_url has expired', to: aReplyTarget(), after: 0, refusal: 'expired-url' as const },
    {
      label: 'the response_url refuses the reply',
      to: aReplyTarget(),
      after: 0,
      refusal: 'rejected' as const,
    },
  ])('sends the reply as a DM when $label', async ({ to, after, refusal }) => {
    const world = aWorld();
    world.clock.advance(after);
    if (refusal !== undefined) world.slack.failNext('respond', refusal);

    const result = await reply(world, { kind: 'not-admin' }, to);

    expect(result).toEqual({ kind: 'done' });
    expect(world.slack.responses).toEqual([]);
    expect(world.slack.live('reply')).toMatchObject([
      { channelId: dmChannelOf('U0ALICE'), key: replyKey, reply: { reply: { kind: 'not-admin' } } },
    ]);
  });

  it('still answers through a response_url a moment short of 29 minutes old', async () => {
    const world = aWorld();
    world.clock.advance(minutes(29) - 1);

    await reply(world, { kind: 'not-admin' });

    expect(world.slack.responses).toHaveLength(1);
    expect(world.slack.messages).toEqual([]);
  });

  it.each<SlackFailure>(['rate-limited', 'unavailable'])(
    'tries the response_url again later when Slack is %s, without a DM',
    async (failure) => {
      const world = aWorld();
      world.slack.failNext('respond', failure);

      const result = await reply(world, { kind: 'not-admin' });

      expect(result).toMatchObject({ kind: 'retry', reason: failure });
      expect(world.slack.messages).toEqual([]);
    },
  );

  it.each<{ failure: SlackFailure; result: object }>([
    { failure: 'rate-limited', result: { kind: 'retry', reason: 'rate-limited' } },
    { failure: 'unavailable', result: { kind: 'retry', reason: 'unavailable', uncertain: true } },
    { failure: 'rejected', result: { kind: 'failed', error: 'invalid_blocks' } },
  ])('when the DM fails with $failure: $result', async ({ failure, result }) => {
    const world = aWorld();
    world.slack.failNext('replyByDirect', failure);

    expect(await reply(world, { kind: 'not-admin' }, aReplyTarget({ responseUrl: null }))).toMatchObject(
      result,
    );
  });

  it('finds the DM an uncertain attempt sent, and sends no second one', async () => {
    const world = aWorld();
    world.slack.failNext('replyByDirect', 'unavailable', { landed: true });
    await reply(world, { kind: 'not-admin' }, aReplyTarget({ responseUrl: null }));

    const result = await replyAgain(world);

    expect(result).toEqual({ kind: 'done' });
    expect(world.slack.live('reply')).toHaveLength(1);
  });
});

describe('sendDirect', () => {
  async function direct(world: World, message: Direct) {
    const effect = dmEffect(workspaceId, 'A-1', 'U0ALICE', message);
    await world.store.outbox.enqueue([effect], world.clock.now());
    return attempt(world, effect.key, 'dm', (claimed) => sendDirect(world.ports, claimed));
  }

  async function directAgain(world: World, message: Direct) {
    const { key } = dmEffect(workspaceId, 'A-1', 'U0ALICE', message);
    return attempt(world, key, 'dm', (claimed) => sendDirect(world.ports, claimed));
  }

  const reminder: Direct = { about: 'reminder', offsetMs: hours(24) };

  it('drops a DM about an approval nobody tracks', async () => {
    const world = aWorld();

    expect(await direct(world, reminder)).toEqual({ kind: 'dropped', reason: 'approval not tracked' });
    expect(world.slack.calls).toEqual([]);
  });

  it('reminds the requester of a pending approval, audits it and counts it', async () => {
    const world = aWorld();
    await trackApproval(world);
    world.clock.set(at(hours(48)));

    const result = await direct(world, reminder);

    expect(result).toEqual({ kind: 'done' });
    expect(world.slack.live('direct')).toMatchObject([
      { channelId: dmChannelOf('U0ALICE'), key: effectKeys.reminder('A-1', hours(24)), direct: reminder },
    ]);
    const entries = await auditOf(world.store, { approvalId: 'A-1' });
    expect(entries.at(-1)).toMatchObject({
      action: 'reminder-sent',
      actor: 'countersign',
      detail: { offsetMs: hours(24), to: 'U0ALICE' },
    });
    expect(world.metrics.reminders).toBe(1);
  });

  it.each([
    {
      label: 'the approval was declined',
      end: 'declined' as const,
      now: at(hours(48)),
      reason: 'approval is declined',
    },
    {
      label: 'the approval was confirmed',
      end: 'confirmed' as const,
      now: at(hours(48)),
      reason: 'approval is confirmed',
    },
    {
      label: 'the approval lapsed unanswered',
      end: undefined,
      now: at(hours(72)),
      reason: 'approval has lapsed',
    },
  ])('drops a reminder once $label', async ({ end, now, reason }) => {
    const world = aWorld();
    await trackApproval(world);
    world.clock.set(now);
    if (end !== undefined) await endApproval(world, 'A-1', end);

    const result = await direct(world, reminder);

    expect(result).toEqual({ kind: 'dropped', reason });
    expect(world.slack.messages).toEqual([]);
    expect(world.metrics.reminders).toBe(0);
  });

  it('tells the requester the outcome, from the approval as it ended, and audits it', async () => {
    const world = aWorld();
    await trackApproval(world);
    await endApproval(world, 'A-1', 'confirmed');

    const result = await direct(world, { about: 'outcome', status: 'confirmed' });

    expect(result).toEqual({ kind: 'done' });
    expect(world.slack.live('direct')).toMatchObject([
      {
        direct: { about: 'outcome', status: 'confirmed' },
        approval: { status: 'confirmed', result: { invoiceId: 'INV-1' } },
      },
    ]);
    expect((await auditOf(world.store, { approvalId: 'A-1' })).at(-1)).toMatchObject({
      action: 'outcome-sent',
      detail: { status: 'confirmed', to: 'U0ALICE' },
    });
  });

  it('says the card arrived without an audit entry', async () => {
    const world = aWorld();
    await trackApproval(world);

    await direct(world, { about: 'card-arrived' });

    expect(world.slack.live('direct')).toMatchObject([{ direct: { about: 'card-arrived' } }]);
    expect((await auditOf(world.store, { approvalId: 'A-1' })).map((entry) => entry.action)).toEqual([
      'requested',
    ]);
  });

  it('finds a reminder an uncertain attempt sent: not sent again, audited and counted once', async () => {
    const world = aWorld();
    await trackApproval(world);
    world.clock.set(at(hours(48)));
    world.slack.failNext('sendDirect', 'unavailable', { landed: true });
    await direct(world, reminder);

    const result = await directAgain(world, reminder);

    expect(result).toEqual({ kind: 'done' });
    expect(world.slack.live('direct')).toHaveLength(1);
    const actions = (await auditOf(world.store, { approvalId: 'A-1' })).map((entry) => entry.action);
    expect(actions).toEqual(['requested', 'reminder-sent']);
    expect(world.metrics.reminders).toBe(1);
  });

  it.each<{ failure: SlackFailure; kind: string }>([
    { failure: 'rate-limited', kind: 'retry' },
    { failure: 'unavailable', kind: 'retry' },
    { failure: 'rejected', kind: 'failed' },
  ])('a DM Slack refuses with $failure ends in $kind, unaudited', async ({ failure, kind }) => {
    const world = aWorld();
    await trackApproval(world);
    world.slack.failNext('sendDirect', failure);

    const result = await direct(world, { about: 'card-arrived' });

    expect(result.kind).toBe(kind);
    expect((await auditOf(world.store, { approvalId: 'A-1' })).map((entry) => entry.action)).toEqual([
      'requested',
    ]);
  });
});

describe('sendToThread', () => {
  async function thread(world: World, purpose: 'outcome' | 'reminder') {
    const effect = threadEffect(workspaceId, 'A-1', purpose);
    await world.store.outbox.enqueue([effect], world.clock.now());
    return attempt(world, effect.key, 'thread', (claimed) => sendToThread(world.ports, claimed));
  }

  async function threadAgain(world: World, purpose: 'outcome' | 'reminder') {
    return attempt(world, effectKeys.thread('A-1', purpose), 'thread', (claimed) =>
      sendToThread(world.ports, claimed),
    );
  }

  it('waits for the card when it is not in Slack yet', async () => {
    const world = aWorld();
    await trackApproval(world);
    await endApproval(world, 'A-1', 'declined');

    const result = await thread(world, 'outcome');

    expect(result).toEqual({
      kind: 'retry',
      reason: 'waiting',
      error: 'card not posted yet',
      uncertain: false,
    });
    expect(world.slack.messages).toEqual([]);
  });

  it("posts the outcome in the card's thread once the card is there", async () => {
    const world = aWorld();
    await trackApproval(world);
    await postCard(world);
    await endApproval(world, 'A-1', 'declined');
    const [card] = world.slack.live('card');

    const result = await thread(world, 'outcome');

    expect(result).toEqual({ kind: 'done' });
    expect(world.slack.live('thread')).toMatchObject([
      {
        channelId: 'C0FUND',
        threadTs: card?.ts,
        purpose: 'outcome',
        key: effectKeys.thread('A-1', 'outcome'),
        approval: { status: 'declined' },
      },
    ]);
  });

  it('posts the last reminder in the thread while the approval is pending', async () => {
    const world = aWorld();
    await trackApproval(world);
    await postCard(world);
    world.clock.set(at(hours(71)));

    expect(await thread(world, 'reminder')).toEqual({ kind: 'done' });
    expect(world.slack.live('thread')).toMatchObject([{ purpose: 'reminder' }]);
  });

  it.each([
    { label: 'the approval ended', end: true, now: at(hours(71)) },
    { label: 'the approval lapsed', end: false, now: at(hours(72)) },
  ])('drops the thread reminder once $label', async ({ end, now }) => {
    const world = aWorld();
    await trackApproval(world);
    await postCard(world);
    world.clock.set(now);
    if (end) await endApproval(world, 'A-1', 'declined');

    expect(await thread(world, 'reminder')).toMatchObject({ kind: 'dropped' });
    expect(world.slack.live('thread')).toEqual([]);
  });

  it('finds a thread reply an uncertain attempt posted, and posts no second one', async () => {
    const world = aWorld();
    await trackApproval(world);
    await postCard(world);
    await endApproval(world, 'A-1', 'expired');
    world.slack.failNext('postInThread', 'unavailable', { landed: true });
    await thread(world, 'outcome');

    expect(await threadAgain(world, 'outcome')).toEqual({ kind: 'done' });
    expect(world.slack.live('thread')).toHaveLength(1);
  });

  it('keeps trying a thread reply Slack is too busy for', async () => {
    const world = aWorld();
    await trackApproval(world);
    await postCard(world);
    await endApproval(world, 'A-1', 'expired');
    world.slack.failNext('postInThread', 'rate-limited', { retryAfterMs: 1_000 });

    expect(await thread(world, 'outcome')).toMatchObject({
      kind: 'retry',
      reason: 'rate-limited',
      retryAfterMs: 1_000,
    });
  });
});

describe('sendNotice', () => {
  const notice = { kind: 'text', text: 'The autofund rule for job J-1 could not fund M-1001.' } as const;

  async function send(world: World) {
    await world.store.outbox.enqueue(
      [noticeEffect(requestKey, workspaceId, 'C0ROUTE', notice)],
      world.clock.now(),
    );
    return attempt(world, effectKeys.notice(requestKey), 'notice', (claimed) =>
      sendNotice(world.ports, claimed),
    );
  }

  async function sendAgain(world: World) {
    return attempt(world, effectKeys.notice(requestKey), 'notice', (claimed) =>
      sendNotice(world.ports, claimed),
    );
  }

  it('posts the notice in its channel under its key', async () => {
    const world = aWorld();

    expect(await send(world)).toEqual({ kind: 'done' });
    expect(world.slack.live('notice')).toMatchObject([
      { channelId: 'C0ROUTE', threadTs: null, key: effectKeys.notice(requestKey), notice },
    ]);
  });

  it('finds a notice an uncertain attempt posted, and posts no second one', async () => {
    const world = aWorld();
    world.slack.failNext('postNotice', 'unavailable', { landed: true });
    await send(world);

    expect(await sendAgain(world)).toEqual({ kind: 'done' });
    expect(world.slack.live('notice')).toHaveLength(1);
  });

  it.each<{ failure: SlackFailure; kind: string }>([
    { failure: 'rate-limited', kind: 'retry' },
    { failure: 'not-in-channel', kind: 'failed' },
    { failure: 'channel-not-found', kind: 'failed' },
  ])('a notice Slack refuses with $failure ends in $kind', async ({ failure, kind }) => {
    const world = aWorld();
    world.slack.failNext('postNotice', failure);

    expect((await send(world)).kind).toBe(kind);
  });
});
