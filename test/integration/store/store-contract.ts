import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalContext, TerminalStatus } from '../../../src/domain/approval.js';
import {
  cardEffect,
  dmEffect,
  type EffectKey,
  effectKeys,
  fundEffect,
  homeEffect,
  homesEffect,
  noticeEffect,
  type Priority,
  priorities,
  progressReplyEffect,
  type QueuedEffect,
  replyEffect,
  replyOutcomeEffect,
  threadEffect,
} from '../../../src/domain/effects.js';
import type { FundingRequest, FundOutcome } from '../../../src/domain/funding.js';
import type { NewAuditEntry, NewRoute, NewTrackedApproval, Store } from '../../../src/ports/store.js';
import { anApproval, at, hours, t0 } from '../../helpers/builders.js';

const ws = 'T1';
const days = (n: number) => hours(24 * n);
const requester = { kind: 'slack', userId: 'U0ALICE', teamId: 'T1' } as const;
const context: ApprovalContext = {
  milestoneName: 'First labeling batch',
  milestoneNumber: 1,
  amountUsd: 1250,
  contractTitle: 'Spanish Sentiment Labeling',
  freelancerName: 'Maria G.',
};
const leaseMs = 60_000;
const lease = (owner: string, now: Date, limit = 10) => ({ owner, now, leaseMs, limit });
const byKey = (owner: string, now: Date, key: EffectKey) => ({ owner, now, leaseMs, limit: 10, key });
const keysOf = (claimed: readonly { key: EffectKey }[]) => claimed.map((effect) => effect.key);
const idsOf = (approvals: readonly { id: string }[]) => approvals.map((approval) => approval.id);

/** A notice: the plainest effect, used once per key. */
function notice(name: string, priority: Priority = priorities.routine, workspaceId = ws): QueuedEffect {
  return { ...noticeEffect(name, workspaceId, 'C0NOTICE', { kind: 'text', text: name }), priority };
}

function fundRequest(overrides: Partial<FundingRequest> = {}): FundingRequest {
  return {
    workspaceId: ws,
    via: 'slack',
    milestoneId: 'M-1001',
    note: 'for the first batch',
    requester,
    actor: 'slack:U0ALICE',
    fallbackChannel: { id: 'C0FUND', via: 'invoking-channel' },
    replyTo: { userId: 'U0ALICE', responseUrl: 'https://hooks.slack.com/commands/1', requestedAt: t0 },
    noticeChannelId: null,
    ...overrides,
  };
}

const replyTo = { userId: 'U0ALICE', responseUrl: null, requestedAt: t0 };

/**
 * The behaviour every Store adapter must share; run against each one with a fresh, empty store. `reopen`, when
 * the adapter persists, opens the same data again after `store` was closed.
 */
export function describeStoreContract(
  label: string,
  open: () => Promise<{ store: Store; reopen?: () => Promise<Store> }>,
) {
  describe(`Store contract (${label})`, () => {
    let store: Store;
    let reopen: (() => Promise<Store>) | undefined;

    beforeEach(async () => {
      ({ store, reopen } = await open());
    });
    afterEach(async () => {
      await store.close();
    });

    const noEffects = () => [];

    async function track(
      id = 'A-1',
      options: { expiresAt?: Date; workspaceId?: string; input?: Partial<NewTrackedApproval> } = {},
      effects: (created: boolean) => readonly QueuedEffect[] = noEffects,
    ) {
      return store.approvals.track(
        {
          workspaceId: options.workspaceId ?? ws,
          approval: anApproval({ id, expiresAt: options.expiresAt ?? at(hours(72)) }),
          requester,
          note: 'n',
          channelId: 'C0FUND',
          approvers: [{ kind: 'usergroup', id: 'S0APPROVERS' }],
          context,
          contextRetryAt: null,
          ...options.input,
        },
        t0,
        (created) => ({
          approvalId: id,
          milestoneId: 'M-1001',
          actor: 'slack:U0ALICE',
          action: created ? 'requested' : 're-requested',
        }),
        effects,
      );
    }

    /** An approval whose contract lookup failed: no context, a retry due at `retryAt`. */
    async function trackWithoutContext(id: string, retryAt: Date | null = at(60_000)) {
      return track(id, { input: { context: null, contextRetryAt: retryAt, note: null } });
    }

    async function end(
      id: string,
      status: TerminalStatus,
      when: Date,
      effects: readonly QueuedEffect[] = [],
    ) {
      const source = 'opentrain:event:7';
      return store.approvals.end(
        { approvalId: id, status, resolvedAt: when, result: null, source },
        when,
        effects,
      );
    }

    async function recordCard(id: string, ts: string, version: number, refreshAt: Date | null = null) {
      return store.approvals.recordCard(id, { channelId: 'C0FUND', ts, version, refreshAt }, t0);
    }

    describe('approvals', () => {
      it('tracks an approval once, with its audit entry and effects, and hands back the existing row the second time', async () => {
        const effects = (created: boolean) =>
          created
            ? [cardEffect(ws, 'A-1', priorities.change)]
            : [replyEffect('fund:2', ws, replyTo, { kind: 'already-pending', approvalId: 'A-1' })];

        const first = await track('A-1', {}, effects);
        const second = await track('A-1', {}, effects);

        expect(first.created).toBe(true);
        expect(second.created).toBe(false);
        expect(second.approval).toEqual(first.approval);
        expect(first.approval).toMatchObject({
          id: 'A-1',
          workspaceId: ws,
          status: 'pending',
          milestoneId: 'M-1001',
          requester,
          note: 'n',
          channelId: 'C0FUND',
          approvers: [{ kind: 'usergroup', id: 'S0APPROVERS' }],
          context,
          version: 1,
          reminderFloorMs: null,
          trackedAt: t0,
        });
        expect(first.approval.card).toEqual({ version: 0, channelId: null, ts: null, permalink: null });
        const actions = (await store.audit.list({ approvalId: 'A-1', limit: 10 })).map(
          (entry) => entry.action,
        );
        expect(actions).toEqual(['re-requested', 'requested']);
        const [card] = await store.outbox.claim(byKey('w1', t0, effectKeys.card('A-1')));
        expect(card?.generation).toBe(0);
        expect((await store.outbox.find(effectKeys.reply('fund:2')))?.state).toBe('pending');
      });

      it('gets approvals by id, one or several at once, and nothing for ids it does not track', async () => {
        await track('A-1');
        await track('A-2');

        const one = await store.approvals.get('A-2');
        const several = await store.approvals.getMany(['A-2', 'A-unknown', 'A-1']);
        const unknown = await store.approvals.get('A-unknown');

        expect(one?.id).toBe('A-2');
        expect(idsOf(several).sort()).toEqual(['A-1', 'A-2']);
        expect(unknown).toBeUndefined();
      });

      it('applies a transition only while pending, with its audit entry and effects', async () => {
        await track();
        const transition = {
          approvalId: 'A-1',
          status: 'confirmed',
          resolvedAt: at(hours(2)),
          result: { invoiceId: 'INV-1' },
          source: 'opentrain:event:7',
        } as const;
        const outcome = dmEffect(ws, 'A-1', 'U0ALICE', { about: 'outcome', status: 'confirmed' });
        const late = dmEffect(ws, 'A-1', 'U0ALICE', { about: 'card-arrived' });

        const applied = await store.approvals.end(transition, at(hours(2)), [
          outcome,
          threadEffect(ws, 'A-1', 'outcome'),
        ]);
        const again = await store.approvals.end({ ...transition, status: 'expired' }, at(hours(3)), [late]);

        expect(applied).toMatchObject({
          status: 'confirmed',
          resolvedAt: at(hours(2)),
          result: { invoiceId: 'INV-1' },
          version: 2,
        });
        expect(again).toBeUndefined();
        expect(await store.approvals.get('A-1')).toEqual(applied);
        expect((await store.outbox.find(outcome.key))?.effect).toEqual(outcome.effect);
        expect((await store.outbox.find(effectKeys.thread('A-1', 'outcome')))?.state).toBe('pending');
        expect(await store.outbox.find(late.key)).toBeUndefined();
        const entries = await store.audit.list({ approvalId: 'A-1', limit: 10 });
        expect(entries.map((entry) => entry.action)).toEqual(['confirmed', 'requested']);
        expect(entries[0]).toMatchObject({
          actor: 'opentrain',
          milestoneId: 'M-1001',
          at: at(hours(2)),
          detail: { source: 'opentrain:event:7', result: { invoiceId: 'INV-1' } },
        });
      });

      it('names Countersign in the audit log for a transition it decided itself', async () => {
        await track();

        await store.approvals.end(
          {
            approvalId: 'A-1',
            status: 'expired',
            resolvedAt: null,
            result: null,
            source: 'countersign:lapsed-unreadable',
          },
          at(hours(73)),
          [],
        );

        const [latest] = await store.audit.list({ approvalId: 'A-1', limit: 1 });
        expect(latest).toMatchObject({
          actor: 'countersign',
          action: 'expired',
          detail: { source: 'countersign:lapsed-unreadable' },
        });
        expect(latest?.detail).not.toHaveProperty('result');
      });

      it('ends several approvals in one call, each only while pending, with its audit entry and effects, and returns those that ended in the order given', async () => {
        for (const id of ['A-1', 'A-2', 'A-3']) await track(id);
        await end('A-2', 'declined', at(hours(1)));
        const ending = (
          id: string,
          status: TerminalStatus,
          result: Record<string, unknown> | null = null,
        ) => ({
          transition: {
            approvalId: id,
            status,
            resolvedAt: at(hours(2)),
            result,
            source: 'opentrain:event:9',
          },
          effects: [
            threadEffect(ws, id, 'outcome'),
            dmEffect(ws, id, 'U0ALICE', { about: 'outcome', status }),
          ],
        });

        const ended = await store.approvals.endMany(
          [
            ending('A-3', 'expired'),
            ending('A-2', 'confirmed'),
            ending('A-unknown', 'confirmed'),
            ending('A-1', 'confirmed', { invoiceId: 'INV-1' }),
          ],
          at(hours(2)),
        );

        expect(ended).toEqual([
          { id: 'A-3', status: 'expired', resolvedAt: at(hours(2)), trackedAt: t0 },
          { id: 'A-1', status: 'confirmed', resolvedAt: at(hours(2)), trackedAt: t0 },
        ]);
        expect(await store.approvals.get('A-1')).toMatchObject({
          status: 'confirmed',
          result: { invoiceId: 'INV-1' },
          version: 2,
        });
        expect(await store.approvals.get('A-2')).toMatchObject({ status: 'declined', version: 2 });
        expect((await store.approvals.get('A-3'))?.status).toBe('expired');
        for (const id of ['A-1', 'A-3']) {
          expect((await store.outbox.find(effectKeys.thread(id, 'outcome')))?.state).toBe('pending');
          expect((await store.outbox.find(effectKeys.outcome(id)))?.state).toBe('pending');
        }
        expect(await store.outbox.find(effectKeys.thread('A-2', 'outcome'))).toBeUndefined();
        expect(await store.outbox.find(effectKeys.outcome('A-2'))).toBeUndefined();
        const [latest] = await store.audit.list({ approvalId: 'A-1', limit: 1 });
        expect(latest).toMatchObject({
          actor: 'opentrain',
          action: 'confirmed',
          milestoneId: 'M-1001',
          at: at(hours(2)),
          detail: { source: 'opentrain:event:9', result: { invoiceId: 'INV-1' } },
        });
        const actionsOf = async (id: string) =>
          (await store.audit.list({ approvalId: id, limit: 10 })).map((entry) => entry.action);
        expect(await actionsOf('A-2')).toEqual(['declined', 'requested']);
        expect(await actionsOf('A-3')).toEqual(['expired', 'requested']);
      });

      it('applies the first of two changes for one approval in one call, and nothing of the second', async () => {
        await track('A-1');
        const first = dmEffect(ws, 'A-1', 'U0ALICE', { about: 'outcome', status: 'declined' });
        const second = dmEffect(ws, 'A-1', 'U0ALICE', { about: 'card-arrived' });
        const transition = {
          approvalId: 'A-1',
          resolvedAt: at(hours(2)),
          result: null,
          source: 'opentrain:read',
        };

        const ended = await store.approvals.endMany(
          [
            { transition: { ...transition, status: 'declined' }, effects: [first] },
            { transition: { ...transition, status: 'confirmed' }, effects: [second] },
          ],
          at(hours(2)),
        );
        const none = await store.approvals.endMany([], at(hours(3)));

        expect(ended.map((approval) => approval.status)).toEqual(['declined']);
        expect(none).toEqual([]);
        expect((await store.approvals.get('A-1'))?.status).toBe('declined');
        expect((await store.outbox.find(first.key))?.state).toBe('pending');
        expect(await store.outbox.find(second.key)).toBeUndefined();
        const entries = await store.audit.list({ approvalId: 'A-1', limit: 10 });
        expect(entries.map((entry) => entry.action)).toEqual(['declined', 'requested']);
      });

      it('tracks a status word OpenTrain reports outside the four, while pending, with an audit entry and effects, and forgets it when the approval ends', async () => {
        const onHold = anApproval({ id: 'A-1', reportedStatus: 'on_hold' });
        const first = await track('A-1', { input: { approval: onHold } });
        await track('A-2');

        const shown = await store.approvals.reportStatus(
          'A-2',
          'under_review',
          'opentrain:event:9',
          at(60_000),
          [cardEffect(ws, 'A-2', priorities.change), homesEffect(ws, 'A-2')],
        );
        const again = await store.approvals.reportStatus(
          'A-2',
          'under_review',
          'opentrain:read',
          at(120_000),
          [notice('never')],
        );
        const cleared = await store.approvals.reportStatus('A-1', null, 'opentrain:read', at(60_000), []);
        await end('A-2', 'declined', at(hours(1)));
        const afterEnd = await store.approvals.reportStatus(
          'A-2',
          'on_hold',
          'opentrain:read',
          at(hours(2)),
          [],
        );

        expect(first.approval).toMatchObject({ status: 'pending', reportedStatus: 'on_hold', version: 1 });
        expect([shown, again, cleared, afterEnd]).toEqual([true, false, true, false]);
        expect(await store.approvals.get('A-1')).toMatchObject({ reportedStatus: null, version: 2 });
        expect(await store.approvals.get('A-2')).toMatchObject({
          status: 'declined',
          reportedStatus: null,
          version: 3,
        });
        expect((await store.outbox.find(effectKeys.homes('A-2')))?.state).toBe('pending');
        expect(await store.outbox.find(notice('never').key)).toBeUndefined();
        const entries = await store.audit.list({ approvalId: 'A-2', limit: 10 });
        expect(entries.map((entry) => entry.action)).toEqual(['declined', 'status-reported', 'requested']);
        expect(entries[1]).toMatchObject({
          actor: 'opentrain',
          milestoneId: 'M-1001',
          detail: { source: 'opentrain:event:9', status: 'under_review' },
        });
        const [clearedEntry] = await store.audit.list({ approvalId: 'A-1', limit: 1 });
        expect(clearedEntry).toMatchObject({
          action: 'status-cleared',
          detail: { source: 'opentrain:read' },
        });
        // Still pending underneath: listed among the pending approvals a viewer sees.
        const viewed = await store.approvals.listForViewer(ws, { userId: 'U0ALICE', channelIds: [] }, t0, {
          pending: 10,
          outcomes: 10,
        });
        expect(idsOf(viewed.pending)).toEqual(['A-1']);
      });

      it('delivers the card as a card effect leased to one worker at a time, and records where it was posted', async () => {
        await track('A-1', {}, () => [cardEffect(ws, 'A-1', priorities.change)]);

        const mine = await store.outbox.claim(lease('w1', t0));
        const theirs = await store.outbox.claim(lease('w2', t0));
        const extra = await store.approvals.recordCard(
          'A-1',
          { channelId: 'C0FUND', ts: '1.000001', version: 1, refreshAt: null },
          t0,
        );
        await store.approvals.recordPermalink('A-1', '1.000001', 'https://slack.example/p1');
        await store.outbox.finish(mine[0] ?? { id: -1, generation: 0 }, 'w1', 'done', at(1_000));
        const after = await store.outbox.claim(lease('w2', at(hours(1))));

        expect(keysOf(mine)).toEqual([effectKeys.card('A-1')]);
        expect(mine[0]?.effect).toEqual({ kind: 'card', approvalId: 'A-1' });
        expect(theirs).toEqual([]);
        expect(extra).toBeNull();
        expect(after).toEqual([]);
        expect((await store.approvals.get('A-1'))?.card).toEqual({
          version: 1,
          channelId: 'C0FUND',
          ts: '1.000001',
          permalink: 'https://slack.example/p1',
        });
        expect(await store.outbox.find(effectKeys.card('A-1'))).toMatchObject({ state: 'done', attempts: 1 });
      });

      it('keeps the first card posted even when its lease was lost, and reports a second one as extra', async () => {
        await track('A-1', {}, () => [cardEffect(ws, 'A-1', priorities.change)]);
        await store.outbox.claim(lease('w1', t0));
        const [taken] = await store.outbox.claim(lease('w2', at(leaseMs + 1_000)));

        const late = await recordCard('A-1', '9.1', 1);
        await store.approvals.recordPermalink('A-1', '9.1', 'https://slack.example/p9.1');
        const extra = await recordCard('A-1', '9.2', 1);
        const again = await recordCard('A-1', '9.1', 1);

        expect(taken?.key).toBe(effectKeys.card('A-1'));
        expect(late).toBeNull();
        expect(extra).toEqual({ channelId: 'C0FUND', ts: '9.1', permalink: 'https://slack.example/p9.1' });
        expect(again).toBeNull();
        expect((await store.approvals.get('A-1'))?.card.ts).toBe('9.1');
      });

      it('saves a permalink only for the card it belongs to, and changes nothing else', async () => {
        await track();
        await recordCard('A-1', '1.1', 1);
        await end('A-1', 'declined', at(1_000));
        const before = await store.approvals.get('A-1');

        await store.approvals.recordPermalink('A-1', '1.1', 'https://slack.example/p1.1');
        await store.approvals.recordPermalink('A-1', '9.9', 'https://slack.example/other-card');

        const after = await store.approvals.get('A-1');
        expect(after?.card).toEqual({
          version: 1,
          channelId: 'C0FUND',
          ts: '1.1',
          permalink: 'https://slack.example/p1.1',
        });
        expect(after?.version).toBe(before?.version);
      });

      it('backs off a failed card and forgets a deleted one, so the next attempt posts a fresh card', async () => {
        await track('A-1', {}, () => [cardEffect(ws, 'A-1', priorities.change)]);
        await recordCard('A-1', '1.1', 1);
        await store.approvals.recordPermalink('A-1', '1.1', 'https://slack.example/p1.1');
        const [claimed] = await store.outbox.claim(lease('w1', t0));

        await store.approvals.forgetCard('A-1', '9.9');
        const otherTsForgotten = (await store.approvals.get('A-1'))?.card.ts;
        await store.approvals.forgetCard('A-1', '1.1');
        await store.outbox.retry(claimed ?? { id: -1 }, 'w1', {
          error: 'message_not_found',
          nextAttemptAt: at(5_000),
          uncertain: false,
        });

        expect(otherTsForgotten).toBe('1.1');
        const approval = await store.approvals.get('A-1');
        expect(approval?.card).toEqual({ version: 0, channelId: null, ts: null, permalink: null });
        expect(approval?.context).toEqual(context);
        expect(await store.outbox.find(effectKeys.card('A-1'))).toMatchObject({
          state: 'pending',
          attempts: 1,
          lastError: 'message_not_found',
        });
        expect(await store.outbox.claim(lease('w1', at(4_999)))).toEqual([]);
        expect(keysOf(await store.outbox.claim(lease('w1', at(5_000))))).toEqual([effectKeys.card('A-1')]);
        expect(await recordCard('A-1', '2.2', 1)).toBeNull();
        expect((await store.approvals.get('A-1'))?.card.ts).toBe('2.2');
      });

      it('tries a failed contract lookup again when due, and shows the context once found', async () => {
        const tracked = await trackWithoutContext('A-bare');
        await recordCard('A-bare', '1.1', 1);

        const early = await store.approvals.listContextRetries(at(59_999), 10);
        await store.approvals.postponeContext('A-bare', at(180_000));
        const postponed = await store.approvals.listContextRetries(at(60_000), 10);
        const due = await store.approvals.listContextRetries(at(180_000), 10);
        const found = await store.approvals.recordContext(
          'A-bare',
          context,
          [cardEffect(ws, 'A-bare', priorities.change)],
          at(180_000),
        );

        expect(tracked.approval.context).toBeNull();
        expect(early).toEqual([]);
        expect(postponed).toEqual([]);
        expect(idsOf(due)).toEqual(['A-bare']);
        expect(found).toBe(true);
        expect(await store.approvals.get('A-bare')).toMatchObject({ context, version: 2 });
        expect(await store.approvals.listContextRetries(at(hours(1)), 10)).toEqual([]);
        expect((await store.outbox.find(effectKeys.card('A-bare')))?.state).toBe('pending');
      });

      it('changes nothing when a context is found a second time, and schedules no retry for a late failure', async () => {
        await trackWithoutContext('A-bare');
        await store.approvals.recordContext('A-bare', context, [], at(180_000));

        const twice = await store.approvals.recordContext(
          'A-bare',
          { ...context, amountUsd: 1 },
          [homesEffect(ws, 'A-bare')],
          at(200_000),
        );
        await store.approvals.postponeContext('A-bare', at(300_000));

        expect(twice).toBe(false);
        expect(await store.approvals.get('A-bare')).toMatchObject({ context, version: 2 });
        expect(await store.outbox.find(effectKeys.homes('A-bare'))).toBeUndefined();
        expect(await store.approvals.listContextRetries(at(hours(1)), 10)).toEqual([]);
      });

      it('lists context retries the longest waiting first, up to the limit', async () => {
        await trackWithoutContext('A-later', at(120_000));
        await trackWithoutContext('A-sooner', at(60_000));
        await trackWithoutContext('A-never', null);

        const all = await store.approvals.listContextRetries(at(hours(1)), 10);
        const first = await store.approvals.listContextRetries(at(hours(1)), 1);

        expect(idsOf(all)).toEqual(['A-sooner', 'A-later']);
        expect(idsOf(first)).toEqual(['A-sooner']);
      });

      it('drops a pending context retry when the approval ends', async () => {
        await trackWithoutContext('A-ends');

        await end('A-ends', 'declined', at(1_000));
        await store.approvals.postponeContext('A-ends', at(120_000));

        expect(await store.approvals.listContextRetries(at(hours(1)), 10)).toEqual([]);
      });

      it('lists cards whose countdown went stale, stalest first, but not one already behind or ended', async () => {
        for (const id of ['A-0', 'A-1', 'A-behind', 'A-ended']) await track(id);
        await recordCard('A-0', '1.0', 1, at(hours(1)));
        await recordCard('A-1', '1.1', 1, at(hours(1.5)));
        // Shows an older version than the row: its edit is waiting already (maybe backing off).
        await recordCard('A-behind', '1.2', 0, at(hours(1)));
        await recordCard('A-ended', '1.3', 1, at(hours(1)));
        await end('A-ended', 'declined', at(hours(0.5)));

        const early = await store.approvals.listStaleCountdowns(at(hours(1) - 1), 10);
        const stale = await store.approvals.listStaleCountdowns(at(hours(1.5)), 10);
        const first = await store.approvals.listStaleCountdowns(at(hours(1.5)), 1);

        expect(early).toEqual([]);
        expect(stale).toEqual([
          { id: 'A-0', workspaceId: ws },
          { id: 'A-1', workspaceId: ws },
        ]);
        expect(first).toEqual([{ id: 'A-0', workspaceId: ws }]);
      });

      it('refreshes a stale countdown once, with its card effect, and not for a card behind or an ended approval', async () => {
        for (const id of ['A-1', 'A-behind', 'A-ended']) await track(id);
        await recordCard('A-1', '1.1', 1, at(hours(1)));
        await recordCard('A-behind', '1.2', 0, at(hours(1)));
        await recordCard('A-ended', '1.3', 1, at(hours(1)));
        await end('A-ended', 'declined', at(hours(0.5)));
        const refresh = (id: string) =>
          store.approvals.refreshCountdown(id, [cardEffect(ws, id, priorities.countdown)], at(hours(1)));

        const refreshed = await refresh('A-1');
        const twice = await refresh('A-1');
        const behind = await refresh('A-behind');
        const ended = await refresh('A-ended');

        expect([refreshed, twice, behind, ended]).toEqual([true, false, false, false]);
        const versions = (await store.approvals.getMany(['A-1', 'A-behind', 'A-ended'])).map((a) => [
          a.id,
          a.version,
        ]);
        expect(Object.fromEntries(versions)).toEqual({ 'A-1': 2, 'A-behind': 1, 'A-ended': 2 });
        expect((await store.outbox.find(effectKeys.card('A-1')))?.state).toBe('pending');
        expect(await store.outbox.find(effectKeys.card('A-behind'))).toBeUndefined();
        expect(await store.outbox.find(effectKeys.card('A-ended'))).toBeUndefined();
        expect(await store.approvals.listStaleCountdowns(at(hours(2)), 10)).toEqual([]);
      });

      it('handles each reminder offset once, smallest last, and never after the approval ended', async () => {
        await track();
        const reminder = (offsetMs: number) => [
          dmEffect(ws, 'A-1', 'U0ALICE', { about: 'reminder', offsetMs }),
        ];

        const first = await store.approvals.remind('A-1', hours(24), reminder(hours(24)), at(hours(48)));
        const again = await store.approvals.remind('A-1', hours(24), reminder(hours(24)), at(hours(49)));
        const larger = await store.approvals.remind('A-1', hours(48), reminder(hours(48)), at(hours(49)));
        const floor = (await store.approvals.get('A-1'))?.reminderFloorMs;
        const smaller = await store.approvals.remind('A-1', hours(1), reminder(hours(1)), at(hours(71)));
        await end('A-1', 'declined', at(hours(71.5)));
        const ended = await store.approvals.remind(
          'A-1',
          hours(0.25),
          reminder(hours(0.25)),
          at(hours(71.75)),
        );

        expect([first, again, larger, smaller, ended]).toEqual([true, false, false, true, false]);
        expect(floor).toBe(hours(24));
        expect((await store.approvals.get('A-1'))?.reminderFloorMs).toBe(hours(1));
        expect((await store.outbox.find(effectKeys.reminder('A-1', hours(24))))?.state).toBe('pending');
        expect((await store.outbox.find(effectKeys.reminder('A-1', hours(1))))?.state).toBe('pending');
        expect(await store.outbox.find(effectKeys.reminder('A-1', hours(48)))).toBeUndefined();
        expect(await store.outbox.find(effectKeys.reminder('A-1', hours(0.25)))).toBeUndefined();
      });

      it('finds lapsed pending approvals by expiry, soonest first, up to the limit', async () => {
        await track('A-soon', { expiresAt: at(hours(10)) });
        await track('A-gone', { expiresAt: at(hours(1)) });
        await track('A-gone-earlier', { expiresAt: at(hours(0.5)) });
        await track('A-ended', { expiresAt: at(hours(1)) });
        await end('A-ended', 'declined', at(hours(0.25)));

        const lapsed = await store.approvals.listLapsed(at(hours(2)), 10);
        const firstLapsed = await store.approvals.listLapsed(at(hours(2)), 1);

        expect(idsOf(lapsed)).toEqual(['A-gone-earlier', 'A-gone']);
        expect(idsOf(firstLapsed)).toEqual(['A-gone-earlier']);
      });

      it('lists only the approvals with a reminder due now, soonest expiry first, up to the limit', async () => {
        const offsets = [hours(24), hours(1)];
        await track('A-due', { expiresAt: at(hours(72)) });
        await track('A-last-hour', { expiresAt: at(hours(50.5)) });
        await track('A-handled', { expiresAt: at(hours(72)) });
        await store.approvals.remind('A-handled', hours(24), [], at(hours(48)));
        await track('A-not-yet', { expiresAt: at(hours(80)) });
        await track('A-lapsed', { expiresAt: at(hours(40)) });
        await track('A-ended', { expiresAt: at(hours(72)) });
        await end('A-ended', 'declined', at(hours(1)));

        const due = await store.approvals.listDueReminders(at(hours(50)), offsets, 10);
        const first = await store.approvals.listDueReminders(at(hours(50)), offsets, 1);
        const none = await store.approvals.listDueReminders(at(hours(50)), [], 10);

        expect(idsOf(due)).toEqual(['A-last-hour', 'A-due']);
        expect(idsOf(first)).toEqual(['A-last-hour']);
        expect(none).toEqual([]);
      });

      it('skips a reminder whose moment had passed before tracking began', async () => {
        await store.approvals.track(
          {
            workspaceId: ws,
            approval: anApproval({ id: 'A-tracked-late', expiresAt: at(hours(30)) }),
            requester,
            note: null,
            channelId: 'C0FUND',
            approvers: [],
            context,
            contextRetryAt: null,
          },
          at(hours(10)),
          () => ({
            approvalId: 'A-tracked-late',
            milestoneId: null,
            actor: 'slack:U0ALICE',
            action: 'requested',
          }),
          noEffects,
        );

        const at12 = await store.approvals.listDueReminders(at(hours(12)), [hours(24), hours(1)], 10);
        const at29 = await store.approvals.listDueReminders(at(hours(29.5)), [hours(24), hours(1)], 10);

        expect(at12).toEqual([]);
        expect(idsOf(at29)).toEqual(['A-tracked-late']);
      });

      it('shows a viewer what they asked for and what is in their channels, from its own workspace, with the total', async () => {
        const inChannel = (id: string, channelId: string, expiresAt: Date, userId = 'U0SOMEONE') =>
          track(id, {
            expiresAt,
            input: { channelId, requester: { kind: 'slack', userId, teamId: 'T1' } },
          });
        await inChannel('A-fund-1', 'C0FUND', at(hours(30)));
        await inChannel('A-fund-2', 'C0FUND', at(hours(10)));
        await inChannel('A-fund-3', 'C0FUND', at(hours(20)));
        await inChannel('A-mine-elsewhere', 'C0OTHER', at(hours(15)), 'U0VIEWER');
        await inChannel('A-mine-here', 'C0FUND', at(hours(25)), 'U0VIEWER');
        await inChannel('A-not-mine', 'C0OTHER', at(hours(5)));
        await inChannel('A-ended', 'C0FUND', at(hours(40)));
        await end('A-ended', 'confirmed', at(hours(3)));
        await inChannel('A-ended-long-ago', 'C0FUND', at(hours(40)));
        await end('A-ended-long-ago', 'confirmed', at(hours(1)));
        await inChannel('A-ended-quiet', 'C0QUIET', at(hours(40)));
        await end('A-ended-quiet', 'declined', at(hours(3)));
        await inChannel('A-ended-quiet-long-ago', 'C0GONE', at(hours(40)));
        await end('A-ended-quiet-long-ago', 'declined', at(hours(1)));
        await track('A-elsewhere', { workspaceId: 'T2' });
        const viewer = { userId: 'U0VIEWER', channelIds: ['C0FUND'] };

        const view = await store.approvals.listForViewer(ws, viewer, at(hours(2)), {
          pending: 3,
          outcomes: 10,
        });
        const channels = await store.approvals.listCardChannels(ws, at(hours(2)));

        expect(idsOf(view.pending)).toEqual(['A-fund-2', 'A-mine-elsewhere', 'A-fund-3']);
        expect(view.pendingTotal).toBe(5);
        expect(idsOf(view.outcomes)).toEqual(['A-ended']);
        expect([...channels].sort()).toEqual(['C0FUND', 'C0OTHER', 'C0QUIET']);
        expect(await store.approvals.listCardChannels('T2', at(hours(2)))).toEqual(['C0FUND']);
      });
    });

    describe('outbox', () => {
      it('enqueues a once effect once per key, runs it under a lease, and never again after it is done', async () => {
        const effect = fundEffect(effectKeys.fund('cmd-1'), fundRequest());

        const added = await store.outbox.enqueue([effect, effect], t0);
        const [claimed] = await store.outbox.claim(lease('w1', t0));
        const theirs = await store.outbox.claim(lease('w2', t0));
        await store.outbox.retry(claimed ?? { id: -1 }, 'w1', {
          error: 'ratelimited',
          nextAttemptAt: at(30_000),
          uncertain: false,
        });
        const wakeAt = await store.outbox.nextDueAt();
        const early = await store.outbox.claim(lease('w2', at(29_999)));
        const [retried] = await store.outbox.claim(lease('w2', at(30_000)));
        await store.outbox.finish(retried ?? { id: -1, generation: 0 }, 'w2', 'done', at(31_000));
        const addedAgain = await store.outbox.enqueue([effect], at(40_000));

        expect(added).toBe(1);
        expect(claimed).toEqual({
          id: expect.any(Number),
          key: effectKeys.fund('cmd-1'),
          workspaceId: ws,
          effect: effect.effect,
          attempts: 1,
          generation: 0,
          createdAt: t0,
          uncertainSince: null,
          progress: null,
          priority: effect.priority,
        });
        expect(theirs).toEqual([]);
        expect(wakeAt).toEqual(at(30_000));
        expect(early).toEqual([]);
        expect(retried).toMatchObject({ id: claimed?.id, attempts: 2, effect: effect.effect });
        expect(addedAgain).toBe(0);
        expect(await store.outbox.find(effect.key)).toEqual({
          key: effect.key,
          kind: 'fund',
          state: 'done',
          attempts: 2,
          lastError: 'ratelimited',
          result: null,
          effect: effect.effect,
          createdAt: t0,
        });
        expect(await store.outbox.claim(lease('w1', at(hours(1))))).toEqual([]);
        expect(await store.outbox.nextDueAt()).toBeNull();
      });

      it('finds nothing under a key never used', async () => {
        await store.outbox.enqueue([notice('used')], t0);

        const found = await store.outbox.find(effectKeys.notice('never-used'));

        expect(found).toBeUndefined();
      });

      it('records how an effect ended: done with what a funding request came to, dropped or failed with why', async () => {
        const fund = fundEffect(
          effectKeys.upstream('idem-1'),
          fundRequest({ via: 'upstream', replyTo: null }),
        );
        const outcome: FundOutcome = { kind: 'tracked', approvalId: 'A-1', ours: true, cardProblem: null };
        await store.outbox.enqueue([fund, notice('dropped'), notice('failed')], t0);
        const claimed = await store.outbox.claim(lease('w1', t0));
        const claimOf = (key: EffectKey) =>
          claimed.find((effect) => effect.key === key) ?? { id: -1, generation: 0 };

        await store.outbox.finish(claimOf(fund.key), 'w1', 'done', at(1_000), { result: outcome });
        await store.outbox.finish(claimOf(effectKeys.notice('dropped')), 'w1', 'dropped', at(1_000), {
          note: 'channel archived',
        });
        await store.outbox.finish(claimOf(effectKeys.notice('failed')), 'w1', 'failed', at(1_000), {
          note: 'TypeError: boom',
        });

        expect(claimed).toHaveLength(3);
        expect(await store.outbox.find(fund.key)).toMatchObject({
          state: 'done',
          result: outcome,
          lastError: null,
        });
        expect(await store.outbox.find(effectKeys.notice('dropped'))).toMatchObject({
          kind: 'notice',
          state: 'dropped',
          lastError: 'channel archived',
          result: null,
        });
        expect(await store.outbox.find(effectKeys.notice('failed'))).toMatchObject({
          state: 'failed',
          lastError: 'TypeError: boom',
        });
        expect(await store.outbox.claim(lease('w2', at(hours(1))))).toEqual([]);
        expect(await store.outbox.nextDueAt()).toBeNull();
      });

      it('re-arms a rearm effect after it ran, as a new generation whose attempts start afresh', async () => {
        const home = homeEffect(ws, 'U1', priorities.routine);
        await store.outbox.enqueue([home], t0);
        const [first] = await store.outbox.claim(lease('w1', t0));
        await store.outbox.retry(first ?? { id: -1 }, 'w1', {
          error: 'ratelimited',
          nextAttemptAt: at(1_000),
          uncertain: false,
        });
        const [second] = await store.outbox.claim(lease('w1', at(1_000)));
        await store.outbox.finish(second ?? { id: -1, generation: 0 }, 'w1', 'done', at(2_000));

        const rearmed = await store.outbox.enqueue([home], at(10_000));
        const record = await store.outbox.find(home.key);
        const [third] = await store.outbox.claim(lease('w1', at(10_000)));

        expect(second).toMatchObject({ attempts: 2, generation: 0 });
        expect(rearmed).toBe(1);
        expect(record).toMatchObject({ state: 'pending', attempts: 0, lastError: null });
        expect(third).toMatchObject({ id: first?.id, key: home.key, attempts: 1, generation: 1 });
      });

      it('folds re-arming a waiting effect into one run, with the newest payload, the more urgent priority and the earlier time', async () => {
        const key = effectKeys.upstream('idem-1');
        const rearm = (note: string, priority: Priority): QueuedEffect => ({
          ...fundEffect(key, fundRequest({ note })),
          mode: 'rearm',
          priority,
        });
        await store.outbox.enqueue([rearm('first', priorities.countdown)], at(hours(1)));
        await store.outbox.enqueue([notice('routine', priorities.routine)], t0);

        const added = await store.outbox.enqueue([rearm('second', priorities.waiting)], at(1_000));
        const [next] = await store.outbox.claim(lease('w1', at(1_000), 1));
        const rest = await store.outbox.claim(lease('w1', at(1_000)));

        expect(added).toBe(1);
        expect(next).toMatchObject({ key, generation: 1, attempts: 1 });
        expect(next?.effect).toEqual(rearm('second', priorities.waiting).effect);
        expect(keysOf(rest)).toEqual([effectKeys.notice('routine')]);
      });

      it('makes a re-armed effect that was waiting on a retry due at once', async () => {
        const home = homeEffect(ws, 'U1', priorities.routine);
        await store.outbox.enqueue([home], t0);
        const [claimed] = await store.outbox.claim(lease('w1', t0));
        await store.outbox.retry(claimed ?? { id: -1 }, 'w1', {
          error: 'ratelimited',
          nextAttemptAt: at(hours(1)),
          uncertain: false,
        });

        await store.outbox.enqueue([home], at(1_000));

        expect(await store.outbox.nextDueAt()).toEqual(at(1_000));
        expect(keysOf(await store.outbox.claim(lease('w1', at(1_000))))).toEqual([home.key]);
      });

      it('runs an effect re-armed while it ran once more: finishing the older generation leaves it pending and due at once', async () => {
        const card = cardEffect(ws, 'A-1', priorities.change);
        await store.outbox.enqueue([card], t0);
        const [running] = await store.outbox.claim(lease('w1', t0));

        await store.outbox.enqueue([card], at(1_000));
        const meanwhile = await store.outbox.claim(lease('w2', at(1_500)));
        await store.outbox.finish(running ?? { id: -1, generation: 0 }, 'w1', 'done', at(2_000));
        const record = await store.outbox.find(card.key);
        const wakeAt = await store.outbox.nextDueAt();
        const [again] = await store.outbox.claim(lease('w2', at(2_000)));
        await store.outbox.finish(again ?? { id: -1, generation: 0 }, 'w2', 'done', at(3_000));

        expect(running?.generation).toBe(0);
        expect(meanwhile).toEqual([]);
        expect(record).toMatchObject({ state: 'pending', attempts: 0 });
        expect(wakeAt).toEqual(at(2_000));
        expect(again).toMatchObject({ generation: 1, attempts: 1, uncertainSince: null });
        expect((await store.outbox.find(card.key))?.state).toBe('done');
      });

      it('forgets what a re-armed funding request came to until it finishes again', async () => {
        const key = effectKeys.upstream('idem-1');
        const fund: QueuedEffect = { ...fundEffect(key, fundRequest({ via: 'upstream' })), mode: 'rearm' };
        const refusal = {
          failure: 'unavailable',
          status: 503,
          requestId: 'req-1',
          message: 'down',
          reason: null,
          retryAfterMs: null,
          milestoneStatus: null,
          contractId: null,
          requiredScopes: [],
          featureKey: null,
          featureUnconfirmed: false,
          billingUrl: null,
          claimUrl: null,
        } as const;
        const tracked: FundOutcome = { kind: 'tracked', approvalId: 'A-1', ours: true, cardProblem: null };
        await store.outbox.enqueue([fund], t0);
        const [first] = await store.outbox.claim(lease('w1', t0));
        await store.outbox.finish(first ?? { id: -1, generation: 0 }, 'w1', 'done', at(1_000), {
          result: { kind: 'refused', refusal },
        });
        const refused = (await store.outbox.find(key))?.result;

        await store.outbox.enqueue([fund], at(2_000));
        const whileRearmed = (await store.outbox.find(key))?.result;
        const [second] = await store.outbox.claim(lease('w1', at(2_000)));
        await store.outbox.enqueue([fund], at(2_500));
        await store.outbox.finish(second ?? { id: -1, generation: 0 }, 'w1', 'done', at(3_000), {
          result: tracked,
        });
        const afterOlderGeneration = await store.outbox.find(key);
        const [third] = await store.outbox.claim(lease('w1', at(3_000)));
        await store.outbox.finish(third ?? { id: -1, generation: 0 }, 'w1', 'done', at(4_000), {
          result: tracked,
        });

        expect(refused).toEqual({ kind: 'refused', refusal });
        expect(whileRearmed).toBeNull();
        expect(afterOlderGeneration).toMatchObject({ state: 'pending', result: null });
        expect(third?.generation).toBe(2);
        expect(await store.outbox.find(key)).toMatchObject({ state: 'done', result: tracked });
      });

      it('takes the most urgent due effects first: by priority, then the longest due, then the first enqueued', async () => {
        await store.outbox.enqueue([notice('countdown', priorities.countdown), notice('routine-1')], t0);
        await store.outbox.enqueue([notice('change', priorities.change), notice('routine-2')], t0);
        await store.outbox.enqueue([notice('routine-due-earlier')], at(-1_000));
        await store.outbox.enqueue([notice('waiting', priorities.waiting)], t0);
        await store.outbox.enqueue([notice('waiting-not-due', priorities.waiting)], at(hours(1)));

        const first = await store.outbox.claim(lease('w1', t0, 3));
        const rest = await store.outbox.claim(lease('w1', t0, 10));

        expect(keysOf(first)).toEqual(['notice:waiting', 'notice:change', 'notice:routine-due-earlier']);
        expect(keysOf(rest)).toEqual(['notice:routine-1', 'notice:routine-2', 'notice:countdown']);
      });

      it('holds a funding-requested reply back until its card has been tried once, and while the card is being tried', async () => {
        const card = cardEffect(ws, 'A-1', priorities.change);
        const requested = replyEffect('fund:1', ws, replyTo, {
          kind: 'funding-requested',
          approvalId: 'A-1',
          cardProblem: null,
        });
        const working = replyEffect('fund:2', ws, replyTo, { kind: 'working', milestoneId: 'M-1001' });
        await store.outbox.enqueue([card, requested, working], t0);

        const first = await store.outbox.claim(lease('w1', t0));
        const whileCardRuns = await store.outbox.claim(lease('w2', at(1_000)));
        const byItsKey = await store.outbox.claim(byKey('w2', at(1_000), requested.key));
        const cardClaim = first.find((effect) => effect.key === card.key) ?? { id: -1 };
        await store.outbox.retry(cardClaim, 'w1', {
          error: 'not_in_channel',
          nextAttemptAt: at(hours(1)),
          uncertain: false,
        });
        const afterCardTried = await store.outbox.claim(lease('w2', at(2_000)));

        expect(keysOf(first).sort()).toEqual([card.key, working.key].sort());
        expect(whileCardRuns).toEqual([]);
        expect(byItsKey).toEqual([]);
        expect(keysOf(afterCardTried)).toEqual([requested.key]);
      });

      it('lets a held-back reply go the moment its card is done, in the order it was queued', async () => {
        const card = cardEffect(ws, 'A-1', priorities.change);
        const reply = (n: number) =>
          replyEffect(`fund:${n}`, ws, replyTo, {
            kind: 'funding-requested',
            approvalId: 'A-1',
            cardProblem: null,
          });
        await store.outbox.enqueue([card], t0);
        const [cardClaim] = await store.outbox.claim(lease('w1', t0));
        await store.outbox.enqueue([reply(1)], at(1_000));
        await store.outbox.enqueue([reply(2)], at(2_000));

        const whileCardRuns = await store.outbox.claim(lease('w2', at(3_000)));
        await store.outbox.finish(cardClaim ?? { id: -1, generation: 0 }, 'w1', 'done', at(4_000));
        const wakeAt = await store.outbox.nextDueAt();
        const afterCard = await store.outbox.claim(lease('w2', at(4_000)));

        expect(whileCardRuns).toEqual([]);
        expect(wakeAt?.getTime()).toBeLessThanOrEqual(at(4_000).getTime());
        expect(keysOf(afterCard)).toEqual([reply(1).key, reply(2).key]);
      });

      it('holds an already-pending reply back until its card has been tried once, like a funding-requested one', async () => {
        const card = cardEffect(ws, 'A-1', priorities.change);
        const pointer = replyEffect('fund:2', ws, replyTo, { kind: 'already-pending', approvalId: 'A-1' });
        await store.outbox.enqueue([card, pointer], t0);

        const first = await store.outbox.claim(lease('w1', t0));
        const cardClaim = first.find((effect) => effect.key === card.key) ?? { id: -1, generation: 0 };
        await store.outbox.finish(cardClaim, 'w1', 'done', at(500));
        const after = await store.outbox.claim(lease('w1', at(1_000)));

        expect(keysOf(first)).toEqual([card.key]);
        expect(keysOf(after)).toEqual([pointer.key]);
      });

      it('holds an effect back until its notBefore, and lets an outcome re-armed under its key go at once instead', async () => {
        const progress = progressReplyEffect('fund:1', ws, replyTo, 'M-1001', at(2_000));
        const outcome = replyOutcomeEffect('fund:1', ws, replyTo, {
          kind: 'funding-requested',
          approvalId: 'A-1',
          cardProblem: null,
        });
        const card = cardEffect(ws, 'A-1', priorities.change);
        await store.outbox.enqueue([progress], t0);

        const early = await store.outbox.claim(lease('w1', at(1_999)));
        const due = await store.outbox.nextDueAt();
        await store.outbox.enqueue([card, outcome], at(1_000));
        const beforeCard = await store.outbox.claim(byKey('w1', at(1_100), progress.key));
        const cardClaim = (await store.outbox.claim(byKey('w1', at(1_100), card.key)))[0] ?? { id: -1 };
        await store.outbox.retry(cardClaim, 'w1', {
          error: 'x',
          nextAttemptAt: at(hours(1)),
          uncertain: false,
        });
        const [claimed] = await store.outbox.claim(lease('w1', at(1_200)));

        expect(early).toEqual([]);
        expect(due).toEqual(at(2_000));
        // It waits for the card like any funding-requested reply, then goes long before the progress line was due.
        expect(beforeCard).toEqual([]);
        expect(claimed?.key).toBe(progress.key);
        expect(claimed?.effect).toEqual(outcome.effect);
        expect(claimed?.generation).toBe(1);
      });

      it('keeps what an effect recorded of its progress across a re-arm, so its next generation knows', async () => {
        const progress = progressReplyEffect('fund:1', ws, replyTo, 'M-1001', t0);
        await store.outbox.enqueue([progress], t0);
        const [first] = await store.outbox.claim(lease('w1', t0));
        if (first === undefined) throw new Error('not claimed');
        await store.outbox.checkpoint(first, 'w1', { shown: true });
        await store.outbox.finish(first, 'w1', 'done', at(100));

        const outcome = replyOutcomeEffect('fund:1', ws, replyTo, {
          kind: 'unrouted',
          milestoneId: 'M-1001',
        });
        await store.outbox.enqueue([outcome], at(200));
        const [second] = await store.outbox.claim(lease('w1', at(300)));

        expect(second).toMatchObject({ generation: 1, attempts: 1, progress: { shown: true } });
        expect(second?.effect).toEqual(outcome.effect);
      });

      it('does not hold back a funding-requested reply whose approval has no card effect', async () => {
        const requested = replyEffect('fund:1', ws, replyTo, {
          kind: 'funding-requested',
          approvalId: 'A-9',
          cardProblem: 'delayed',
        });
        await store.outbox.enqueue([requested], t0);

        const claimed = await store.outbox.claim(lease('w1', t0));

        expect(keysOf(claimed)).toEqual([requested.key]);
        expect(claimed[0]?.effect).toEqual(requested.effect);
      });

      it('lets another worker take an effect whose lease ran out, marked uncertain since the first attempt began, until it is finished', async () => {
        const home = homeEffect(ws, 'U1', priorities.routine);
        await store.outbox.enqueue([home], t0);
        await store.outbox.claim(lease('w1', at(1_000)));

        const beforeExpiry = await store.outbox.claim(lease('w2', at(1_000 + leaseMs - 1)));
        const [taken] = await store.outbox.claim(lease('w2', at(1_000 + leaseMs)));
        await store.outbox.retry(taken ?? { id: -1 }, 'w2', {
          error: 'ratelimited',
          nextAttemptAt: at(hours(1)),
          uncertain: false,
        });
        const [third] = await store.outbox.claim(lease('w3', at(hours(1))));
        await store.outbox.finish(third ?? { id: -1, generation: 0 }, 'w3', 'done', at(hours(1)));
        await store.outbox.enqueue([home], at(hours(2)));
        const [afterFinish] = await store.outbox.claim(lease('w3', at(hours(2))));

        expect(beforeExpiry).toEqual([]);
        expect(taken).toMatchObject({ attempts: 2, uncertainSince: at(1_000) });
        expect(third).toMatchObject({ attempts: 3, uncertainSince: at(1_000) });
        expect(afterFinish).toMatchObject({ generation: 1, uncertainSince: null });
      });

      it('marks the next attempt uncertain after a retry that says the failed attempt may have landed, and only then', async () => {
        await store.outbox.enqueue([notice('timed-out'), notice('refused')], t0);
        const claimed = await store.outbox.claim(lease('w1', t0));
        const failure = (uncertain: boolean) => ({ error: 'timeout', nextAttemptAt: at(5_000), uncertain });

        await store.outbox.retry(
          claimed.find((e) => e.key === 'notice:timed-out') ?? { id: -1 },
          'w1',
          failure(true),
        );
        await store.outbox.retry(
          claimed.find((e) => e.key === 'notice:refused') ?? { id: -1 },
          'w1',
          failure(false),
        );
        const next = await store.outbox.claim(lease('w1', at(5_000)));

        const uncertainty = Object.fromEntries(next.map((effect) => [effect.key, effect.uncertainSince]));
        expect(uncertainty).toEqual({ 'notice:timed-out': t0, 'notice:refused': null });
      });

      it('hands the progress an attempt saved to the next attempt, after a retry or a lost lease', async () => {
        const fund = fundEffect(effectKeys.fund('cmd-1'), fundRequest());
        await store.outbox.enqueue([fund], t0);
        const [first] = await store.outbox.claim(lease('w1', t0));

        await store.outbox.checkpoint(first ?? { id: -1 }, 'w1', {
          phase: 'asking',
          since: t0.toISOString(),
          cursor: '42',
        });
        const [afterCrash] = await store.outbox.claim(lease('w2', at(leaseMs)));
        await store.outbox.checkpoint(afterCrash ?? { id: -1 }, 'w2', { phase: 'asked', approvalId: 'A-1' });
        await store.outbox.retry(afterCrash ?? { id: -1 }, 'w2', {
          error: 'store',
          nextAttemptAt: at(leaseMs + 1),
          uncertain: false,
        });
        const [afterRetry] = await store.outbox.claim(lease('w3', at(leaseMs + 1)));

        expect(first?.progress).toBeNull();
        expect(afterCrash?.progress).toEqual({ phase: 'asking', since: t0.toISOString(), cursor: '42' });
        expect(afterRetry?.progress).toEqual({ phase: 'asked', approvalId: 'A-1' });
      });

      it('claims one effect by its key, only while it is due and free', async () => {
        await store.outbox.enqueue([notice('a', priorities.waiting), notice('b', priorities.countdown)], t0);
        await store.outbox.enqueue([notice('later')], at(hours(1)));

        const b = await store.outbox.claim(byKey('w1', t0, effectKeys.notice('b')));
        const bAgain = await store.outbox.claim(byKey('w2', t0, effectKeys.notice('b')));
        const notDue = await store.outbox.claim(byKey('w1', t0, effectKeys.notice('later')));
        const unknown = await store.outbox.claim(byKey('w1', t0, effectKeys.notice('unknown')));
        const rest = await store.outbox.claim(lease('w1', t0));

        expect(keysOf(b)).toEqual(['notice:b']);
        expect(bAgain).toEqual([]);
        expect(notDue).toEqual([]);
        expect(unknown).toEqual([]);
        expect(keysOf(rest)).toEqual(['notice:a']);
      });

      it('lets only the holder of the lease finish, retry or checkpoint an effect once another worker took it over', async () => {
        await store.outbox.enqueue([notice('n')], t0);
        const [stale] = await store.outbox.claim(lease('w1', t0));
        const [current] = await store.outbox.claim(lease('w2', at(leaseMs)));
        const staleClaim = stale ?? { id: -1, generation: 0 };

        await store.outbox.finish(staleClaim, 'w1', 'failed', at(leaseMs + 1), { note: 'too late' });
        await store.outbox.retry(staleClaim, 'w1', {
          error: 'too late',
          nextAttemptAt: at(leaseMs + 1),
          uncertain: false,
        });
        await store.outbox.checkpoint(staleClaim, 'w1', { from: 'w1' });
        const whileHeld = await store.outbox.claim(lease('w3', at(leaseMs + 2)));
        const record = await store.outbox.find(effectKeys.notice('n'));
        await store.outbox.retry(current ?? { id: -1 }, 'w2', {
          error: 'ratelimited',
          nextAttemptAt: at(leaseMs + 3),
          uncertain: false,
        });
        const [next] = await store.outbox.claim(lease('w3', at(leaseMs + 3)));

        expect(stale?.id).toBe(current?.id);
        expect(whileHeld).toEqual([]);
        expect(record).toMatchObject({ state: 'pending', lastError: null });
        expect(next?.progress).toBeNull();
      });

      it('extends the leases a worker still holds, and only its own', async () => {
        await store.outbox.enqueue([notice('mine'), notice('theirs')], t0);
        const [mine] = await store.outbox.claim(byKey('w1', t0, effectKeys.notice('mine')));
        const [theirs] = await store.outbox.claim(byKey('w2', t0, effectKeys.notice('theirs')));
        const ids = [mine?.id ?? -1, theirs?.id ?? -1];

        await store.outbox.renew('w1', ids, at(90_000));
        const atFirstExpiry = await store.outbox.claim(lease('w3', at(leaseMs)));
        const atRenewedExpiry = await store.outbox.claim(lease('w3', at(90_000)));

        expect(keysOf(atFirstExpiry)).toEqual(['notice:theirs']);
        expect(keysOf(atRenewedExpiry)).toEqual(['notice:mine']);
      });

      it('says when the next effect becomes claimable: when it is due, or when its lease ends', async () => {
        const empty = await store.outbox.nextDueAt();
        await store.outbox.enqueue([notice('first')], at(hours(1)));
        await store.outbox.enqueue([notice('second')], at(hours(2)));
        const beforeClaim = await store.outbox.nextDueAt();
        const [first] = await store.outbox.claim(lease('w1', at(hours(1))));
        const whileLeased = await store.outbox.nextDueAt();
        await store.outbox.finish(first ?? { id: -1, generation: 0 }, 'w1', 'done', at(hours(1)));
        const afterFinish = await store.outbox.nextDueAt();

        expect(empty).toBeNull();
        expect(beforeClaim).toEqual(at(hours(1)));
        expect(whileLeased).toEqual(at(hours(1) + leaseMs));
        expect(afterFinish).toEqual(at(hours(2)));
      });
    });

    describe('routes', () => {
      const route: NewRoute = {
        workspaceId: ws,
        scope: 'job',
        targetId: 'J-1',
        label: 'Job one',
        channelId: 'C1',
        approvers: [{ kind: 'usergroup', id: 'S1' }],
        autoFund: true,
        createdBy: 'U1',
      };
      const entry: NewAuditEntry = {
        approvalId: null,
        milestoneId: null,
        actor: 'slack:U1',
        action: 'route-set',
      };

      it('saves one route per job or contract, replaces it, and removes it, with audit entries', async () => {
        await store.routes.save(route, t0, entry);
        const replaced = await store.routes.save(
          { ...route, channelId: 'C2', autoFund: false },
          at(1_000),
          entry,
        );
        await store.routes.save({ ...route, scope: 'contract', targetId: 'C-1' }, at(2_000), entry);
        const removed = { ...entry, action: 'route-removed' };

        const wrongScope = await store.routes.remove(
          ws,
          { scope: 'contract', id: 'J-1' },
          at(3_000),
          removed,
        );
        const eitherScope = await store.routes.remove(
          ws,
          { scope: undefined, id: 'J-1' },
          at(3_000),
          removed,
        );
        const gone = await store.routes.remove(ws, { scope: 'job', id: 'J-1' }, at(3_000), removed);

        expect(replaced).toEqual({ ...route, channelId: 'C2', autoFund: false, updatedAt: at(1_000) });
        expect(wrongScope).toBeUndefined();
        expect(eitherScope).toEqual(replaced);
        expect(gone).toBeUndefined();
        expect((await store.routes.list(ws)).map((r) => r.targetId)).toEqual(['C-1']);
        expect((await store.audit.list({ limit: 10 })).map((e) => e.action)).toEqual([
          'route-removed',
          'route-set',
          'route-set',
          'route-set',
        ]);
      });

      it('lists routes by scope and id, and finds those of the contracts and jobs asked for', async () => {
        await store.routes.save(route, t0, entry);
        await store.routes.save({ ...route, targetId: 'J-2' }, t0, entry);
        await store.routes.save({ ...route, scope: 'contract', targetId: 'C-1' }, t0, entry);

        const listed = await store.routes.list(ws);
        const found = await store.routes.findFor(ws, [
          { contractId: 'C-1', jobId: 'J-1' },
          { contractId: null, jobId: 'J-1' },
          { contractId: 'C-none', jobId: null },
        ]);

        expect(listed.map((r) => `${r.scope}:${r.targetId}`)).toEqual(['contract:C-1', 'job:J-1', 'job:J-2']);
        expect(found.map((r) => `${r.scope}:${r.targetId}`).sort()).toEqual(['contract:C-1', 'job:J-1']);
        expect(found.find((r) => r.scope === 'job')).toEqual({ ...route, updatedAt: t0 });
      });

      it("keeps each workspace's routes to itself", async () => {
        await store.routes.save({ ...route, workspaceId: 'T2', channelId: 'C-T2' }, t0, entry);

        const listed = await store.routes.list(ws);
        const found = await store.routes.findFor(ws, [{ contractId: null, jobId: 'J-1' }]);
        const removed = await store.routes.remove(ws, { scope: undefined, id: 'J-1' }, t0, entry);

        expect(listed).toEqual([]);
        expect(found).toEqual([]);
        expect(removed).toBeUndefined();
        expect((await store.routes.list('T2')).map((r) => r.channelId)).toEqual(['C-T2']);
      });
    });

    describe('App Home', () => {
      const open = (userId: string, when: Date, workspaceId = ws) =>
        store.homes.opened(workspaceId, userId, when, [homeEffect(workspaceId, userId, priorities.waiting)]);

      it('queues a fresh view when someone opens the tab, and counts as recent viewers only those who opened it in the last 30 days', async () => {
        await open('U1', t0);
        await open('U-away', at(-days(31)));
        await open('U-back', at(-days(31)));
        await open('U-back', at(-days(29)));
        await open('U-elsewhere', t0, 'T2');

        const viewers = await store.homes.recentViewers(
          ws,
          ['U1', 'U-away', 'U-back', 'U-elsewhere', 'U-never'],
          t0,
        );

        expect(viewers.sort()).toEqual(['U-back', 'U1']);
        expect(await store.outbox.find(effectKeys.home('U1'))).toMatchObject({
          state: 'pending',
          effect: { kind: 'home', userId: 'U1' },
        });
        expect(await store.homes.recentViewers(ws, ['U1'], at(days(31)))).toEqual([]);
      });

      it('lists views whose countdown went stale, stalest first, for recent viewers, until they are refreshed', async () => {
        await open('U1', t0);
        await open('U2', t0);
        await open('U-away', at(-days(31)));
        await store.homes.published(ws, 'U1', at(hours(1)));
        await store.homes.published(ws, 'U2', at(hours(0.5)));
        await store.homes.published(ws, 'U-away', at(hours(0.5)));

        const early = await store.homes.listStale(at(hours(0.5) - 1), 10);
        const stale = await store.homes.listStale(at(hours(1)), 10);
        const first = await store.homes.listStale(at(hours(1)), 1);
        await store.homes.clearStale(ws, 'U2', [homeEffect(ws, 'U2', priorities.countdown)], at(hours(1)));
        const afterClear = await store.homes.listStale(at(hours(1)), 10);
        await store.homes.published(ws, 'U1', null);
        const noCountdown = await store.homes.listStale(at(hours(10)), 10);

        expect(early).toEqual([]);
        expect(stale).toEqual([
          { workspaceId: ws, userId: 'U2' },
          { workspaceId: ws, userId: 'U1' },
        ]);
        expect(first).toEqual([{ workspaceId: ws, userId: 'U2' }]);
        expect(afterClear).toEqual([{ workspaceId: ws, userId: 'U1' }]);
        expect(noCountdown).toEqual([]);
        expect((await store.outbox.find(effectKeys.home('U2')))?.state).toBe('pending');
      });

      it('stops listing a stale view once its viewer has not opened the tab for 30 days', async () => {
        await open('U1', t0);
        await store.homes.published(ws, 'U1', at(hours(1)));

        const soon = await store.homes.listStale(at(hours(1)), 10);
        const aMonthOn = await store.homes.listStale(at(days(31)), 10);

        expect(soon).toEqual([{ workspaceId: ws, userId: 'U1' }]);
        expect(aMonthOn).toEqual([]);
      });
    });

    describe('inbound deliveries, cursor and audit log', () => {
      it('sees each webhook delivery once, and again after it was pruned', async () => {
        const first = await store.inbound.recordDelivery('d1', t0);
        const repeat = await store.inbound.recordDelivery('d1', at(1_000));
        await store.inbound.recordDelivery('d2', at(2_000));

        await store.inbound.pruneDeliveries(at(2_000));

        expect([first, repeat]).toEqual([true, false]);
        expect(await store.inbound.recordDelivery('d1', at(3_000))).toBe(true);
        expect(await store.inbound.recordDelivery('d2', at(3_000))).toBe(false);
      });

      it('keeps the feed cursor per workspace, and moves it only from where the caller read it', async () => {
        const unset = await store.cursors.get(ws, 'updates');

        const started = await store.cursors.advance(ws, 'updates', null, '1042', t0);
        const fromNullAgain = await store.cursors.advance(ws, 'updates', null, '9', at(1_000));
        const fromElsewhere = await store.cursors.advance(ws, 'updates', '1041', '1', at(1_000));
        const moved = await store.cursors.advance(ws, 'updates', '1042', '1043', at(2_000));

        expect(unset).toBeNull();
        expect([started, fromNullAgain, fromElsewhere, moved]).toEqual([true, false, false, true]);
        expect(await store.cursors.get(ws, 'updates')).toBe('1043');
        expect(await store.cursors.get('T2', 'updates')).toBeNull();
        expect(await store.cursors.get(ws, 'other')).toBeNull();
      });

      it('does not start a cursor that was never set from a position the caller only assumed', async () => {
        const moved = await store.cursors.advance(ws, 'updates', '1042', '1043', t0);

        const value = await store.cursors.get(ws, 'updates');

        expect(moved).toBe(false);
        expect(value).toBeNull();
      });

      it('lists audit entries newest first, by approval, by milestone or all, up to the limit', async () => {
        const entry = (
          approvalId: string | null,
          milestoneId: string | null,
          action: string,
        ): NewAuditEntry => ({
          approvalId,
          milestoneId,
          actor: 'countersign',
          action,
          detail: { at: 'detail', n: 1, nested: { list: [1, 2] } },
        });
        await store.audit.append([entry('A-1', 'M-1', 'first'), entry('A-2', 'M-1', 'second')], t0);
        await store.audit.append(
          [entry(null, 'M-2', 'third'), { ...entry('A-1', null, 'fourth'), detail: undefined }],
          at(1_000),
        );

        const byApproval = await store.audit.list({ approvalId: 'A-1', limit: 10 });
        const byMilestone = await store.audit.list({ milestoneId: 'M-1', limit: 10 });
        const latest = await store.audit.list({ limit: 2 });

        expect(byApproval.map((e) => e.action)).toEqual(['fourth', 'first']);
        expect(byMilestone.map((e) => e.action)).toEqual(['second', 'first']);
        expect(latest.map((e) => e.action)).toEqual(['fourth', 'third']);
        expect(byApproval[1]).toEqual({
          id: expect.any(Number),
          at: t0,
          approvalId: 'A-1',
          milestoneId: 'M-1',
          actor: 'countersign',
          action: 'first',
          detail: { at: 'detail', n: 1, nested: { list: [1, 2] } },
        });
        expect(byApproval[0]).not.toHaveProperty('detail');
      });
    });

    describe('retention', () => {
      const keepAll = { approvalsEndedBefore: null, effectsFinishedBefore: null, auditBefore: null };

      it('deletes ended approvals resolved before the cutoff, a batch at a time, and never a pending one', async () => {
        for (const id of ['A-1', 'A-2', 'A-3', 'A-4']) await track(id);
        await end('A-1', 'confirmed', at(hours(1)));
        await end('A-2', 'declined', at(hours(2)));
        await end('A-3', 'expired', at(days(10)));
        const cutoff = { ...keepAll, approvalsEndedBefore: at(days(5)) };

        const kept = await store.retention.prune(keepAll, 10);
        const first = await store.retention.prune(cutoff, 1);
        const second = await store.retention.prune(cutoff, 1);
        const third = await store.retention.prune(cutoff, 1);

        expect(kept).toEqual({ approvals: 0, effects: 0, audit: 0 });
        expect([first.approvals, second.approvals, third.approvals]).toEqual([1, 1, 0]);
        expect(await store.approvals.get('A-1')).toBeUndefined();
        expect(await store.approvals.get('A-2')).toBeUndefined();
        expect((await store.approvals.get('A-3'))?.status).toBe('expired');
        expect((await store.approvals.get('A-4'))?.status).toBe('pending');
        expect(await store.approvals.countByStatus()).toEqual({ pending: 1, expired: 1 });
      });

      it('deletes finished effects past the cutoff, never a pending one, and frees their keys', async () => {
        const [done, dropped, waiting] = [notice('done'), notice('dropped'), notice('waiting')];
        await store.outbox.enqueue([done, dropped], t0);
        for (const claimed of await store.outbox.claim(lease('w1', t0))) {
          await store.outbox.finish(claimed, 'w1', claimed.key === done.key ? 'done' : 'dropped', at(1_000));
        }
        await store.outbox.enqueue([waiting], at(2_000));

        const gone = await store.retention.prune({ ...keepAll, effectsFinishedBefore: at(days(1)) }, 10);

        expect(gone).toEqual({ approvals: 0, effects: 2, audit: 0 });
        expect(await store.outbox.find(done.key)).toBeUndefined();
        expect((await store.outbox.find(waiting.key))?.state).toBe('pending');
        expect(await store.outbox.enqueue([done], at(days(2)))).toBe(1);
      });

      it('deletes audit entries written before the cutoff, and keeps them all when told to', async () => {
        const entry = (action: string): NewAuditEntry => ({
          approvalId: 'A-1',
          milestoneId: 'M-1',
          actor: 'countersign',
          action,
        });
        await store.audit.append([entry('old')], t0);
        await store.audit.append([entry('new')], at(days(30)));

        const kept = await store.retention.prune(keepAll, 10);
        const gone = await store.retention.prune({ ...keepAll, auditBefore: at(days(1)) }, 10);

        expect(kept.audit).toBe(0);
        expect(gone.audit).toBe(1);
        expect((await store.audit.list({ limit: 10 })).map((e) => e.action)).toEqual(['new']);
      });
    });

    describe('approval lifetimes', () => {
      it("tells the shortest lifetime OpenTrain gave the workspace's latest approvals, pending or ended", async () => {
        const empty = await store.approvals.shortestLifetimeMs(ws, 10);
        await track('A-1', { expiresAt: at(hours(72)) });
        await track('A-2', { expiresAt: at(hours(48)) });
        await track('A-9', { expiresAt: at(hours(1)), workspaceId: 'T0OTHER' });

        const all = await store.approvals.shortestLifetimeMs(ws, 10);
        const latestOnly = await store.approvals.shortestLifetimeMs(ws, 1);
        await end('A-2', 'declined', at(hours(1)));
        const withEnded = await store.approvals.shortestLifetimeMs(ws, 1);

        expect(empty).toBeUndefined();
        expect(all).toBe(hours(48));
        expect(latestOnly).toBe(hours(72));
        expect(withEnded).toBe(hours(48));
      });

      it("finds a milestone's pending approval, the latest to expire, in its own workspace only", async () => {
        const milestone = (id: string, milestoneId: string, expiresAt: Date, workspaceId = ws) =>
          store.approvals.track(
            {
              workspaceId,
              approval: anApproval({ id, milestoneId, expiresAt }),
              requester,
              note: null,
              channelId: 'C0FUND',
              approvers: [],
              context,
              contextRetryAt: null,
            },
            t0,
            () => ({ approvalId: id, milestoneId, actor: 'slack:U0ALICE', action: 'requested' }),
            noEffects,
          );
        await milestone('A-1', 'M-1', at(hours(10)));
        await milestone('A-2', 'M-1', at(hours(20)));
        await milestone('A-3', 'M-1', at(hours(30)));
        await end('A-3', 'declined', at(hours(1)));
        await milestone('A-4', 'M-2', at(hours(40)), 'T0OTHER');

        const found = await store.approvals.findPendingOf(ws, 'M-1');
        const elsewhere = await store.approvals.findPendingOf(ws, 'M-2');

        expect(found?.id).toBe('A-2');
        expect(elsewhere).toBeUndefined();
      });
    });

    describe('what dashboards and the status command count', () => {
      it('counts tracked approvals by status', async () => {
        await track('A-1');
        await track('A-2');
        await track('A-3');
        await end('A-3', 'declined', at(hours(1)));

        const counts = await store.approvals.countByStatus();

        expect(counts).toEqual({ pending: 2, declined: 1 });
      });

      it('counts what waits on the queue, what is due, and since when the oldest due effect waits', async () => {
        const empty = await store.outbox.stats(t0);
        await store.outbox.enqueue([cardEffect(ws, 'A-1', priorities.change)], t0);
        await store.outbox.enqueue([cardEffect(ws, 'A-2', priorities.change)], at(1_000));
        await store.outbox.enqueue([cardEffect(ws, 'A-3', priorities.change)], at(60_000));

        const stats = await store.outbox.stats(at(2_000));

        expect(empty).toEqual({ pending: 0, due: 0, oldestDueAt: null });
        expect(stats).toEqual({ pending: 3, due: 2, oldestDueAt: t0 });
      });
    });

    describe('named leases, health and service state', () => {
      it('grants a named lease to one owner at a time, extends it for its holder, and hands it over once it expired', async () => {
        const first = await store.leases.acquire('poller', 'r1', t0, 10_000);
        const contested = await store.leases.acquire('poller', 'r2', at(5_000), 10_000);
        const extended = await store.leases.acquire('poller', 'r1', at(5_000), 10_000);
        const afterFirstTerm = await store.leases.acquire('poller', 'r2', at(12_000), 10_000);
        const takenOver = await store.leases.acquire('poller', 'r2', at(15_000), 10_000);
        const otherName = await store.leases.acquire('janitor', 'r1', at(15_000), 10_000);
        const backTooSoon = await store.leases.acquire('poller', 'r1', at(16_000), 10_000);

        expect([first, contested, extended, afterFirstTerm, takenOver, otherName, backTooSoon]).toEqual([
          true,
          false,
          true,
          false,
          true,
          true,
          false,
        ]);
      });

      it('names who holds a lease until it expires', async () => {
        await store.leases.acquire('poller', 'r1', t0, 10_000);

        const during = await store.leases.holder('poller', at(5_000));
        const after = await store.leases.holder('poller', at(10_000));
        const unknown = await store.leases.holder('janitor', t0);

        expect(during).toEqual({ owner: 'r1', until: at(10_000) });
        expect(after).toBeNull();
        expect(unknown).toBeNull();
      });

      it('releases a named lease only for its holder', async () => {
        await store.leases.acquire('poller', 'r1', t0, 10_000);

        await store.leases.release('poller', 'r2');
        const stillHeld = await store.leases.acquire('poller', 'r2', at(1_000), 10_000);
        await store.leases.release('poller', 'r1');
        const free = await store.leases.acquire('poller', 'r2', at(1_000), 10_000);

        expect(stillHeld).toBe(false);
        expect(free).toBe(true);
      });

      it('answers a ping and takes a probe write while open, and fails both once closed', async () => {
        await store.state.set('bot-user-id', 'U0BOT', t0);

        const pinged = store.health.ping();
        const probed = store.health.probeWrite(t0);

        await expect(pinged).resolves.toBeUndefined();
        await expect(probed).resolves.toBeUndefined();
        expect(await store.state.get('bot-user-id')).toBe('U0BOT');
        await store.close();
        await expect(store.health.ping()).rejects.toThrow();
        await expect(store.health.probeWrite(at(1_000))).rejects.toThrow();
      });

      it('keeps small facts about the service, the last value set winning', async () => {
        const unset = await store.state.get('bot-user-id');

        await store.state.set('bot-user-id', 'U0OLD', t0);
        await store.state.set('bot-user-id', 'U0BOT', at(1_000));
        await store.state.set('team-id', 'T1', at(1_000));

        expect(unset).toBeNull();
        expect(await store.state.get('bot-user-id')).toBe('U0BOT');
        expect(await store.state.get('team-id')).toBe('T1');
      });
    });

    describe('rows written before workspaces', () => {
      it("gives rows of no workspace to the service's workspace, including a queued request's own, and leaves other workspaces' rows alone", async () => {
        const unowned = '';
        await track('A-old', { workspaceId: unowned });
        await track('A-other', { workspaceId: 'T2' });
        await store.routes.save(
          {
            workspaceId: unowned,
            scope: 'job',
            targetId: 'J-1',
            label: null,
            channelId: 'C1',
            approvers: [],
            autoFund: true,
            createdBy: 'U1',
          },
          t0,
          { approvalId: null, milestoneId: null, actor: 'slack:U1', action: 'route-set' },
        );
        await store.cursors.advance(unowned, 'opentrain-updates', null, '7', t0);
        await store.homes.opened(unowned, 'U1', t0, []);
        const fund = fundEffect(
          effectKeys.autofund('M-1'),
          fundRequest({ workspaceId: unowned, via: 'autofund' }),
        );
        await store.outbox.enqueue(
          [{ ...fund, workspaceId: unowned }, notice('other', priorities.routine, 'T2')],
          t0,
        );

        await store.adoptUnownedRows(ws);

        expect((await store.approvals.get('A-old'))?.workspaceId).toBe(ws);
        expect((await store.approvals.get('A-other'))?.workspaceId).toBe('T2');
        const seen = await store.approvals.listForViewer(ws, { userId: 'U0ALICE', channelIds: [] }, t0, {
          pending: 10,
          outcomes: 10,
        });
        expect(idsOf(seen.pending)).toEqual(['A-old']);
        expect((await store.routes.list(ws)).map((r) => [r.workspaceId, r.targetId])).toEqual([[ws, 'J-1']]);
        expect(await store.routes.list(unowned)).toEqual([]);
        expect(await store.cursors.get(ws, 'opentrain-updates')).toBe('7');
        expect(await store.cursors.get(unowned, 'opentrain-updates')).toBeNull();
        expect(await store.homes.recentViewers(ws, ['U1'], t0)).toEqual(['U1']);
        const claimed = await store.outbox.claim(lease('w1', t0));
        const owners = Object.fromEntries(claimed.map((effect) => [effect.key, effect.workspaceId]));
        expect(owners).toEqual({ [fund.key]: ws, 'notice:other': 'T2' });
        const request = claimed.find((effect) => effect.key === fund.key)?.effect;
        expect(request).toEqual({ kind: 'fund', request: fundRequest({ workspaceId: ws, via: 'autofund' }) });
      });
    });

    it('keeps everything across a reopen', async ({ skip }) => {
      const reopenSame = reopen;
      if (reopenSame === undefined) return skip('this store keeps nothing once closed');
      await track('A-1', {}, () => [cardEffect(ws, 'A-1', priorities.change)]);
      await recordCard('A-1', '1.1', 1, at(hours(1)));
      const [card] = await store.outbox.claim(lease('w1', t0));
      await store.outbox.checkpoint(card ?? { id: -1 }, 'w1', { step: 1 });
      await store.outbox.enqueue([notice('later')], at(hours(5)));
      await store.cursors.advance(ws, 'opentrain-updates', null, '7', t0);
      await store.routes.save(
        {
          workspaceId: ws,
          scope: 'contract',
          targetId: 'C-1',
          label: null,
          channelId: 'C1',
          approvers: [],
          autoFund: false,
          createdBy: 'U1',
        },
        t0,
        { approvalId: null, milestoneId: null, actor: 'slack:U1', action: 'route-set' },
      );
      await store.homes.opened(ws, 'U1', t0, []);
      await store.homes.published(ws, 'U1', at(hours(1)));
      await store.inbound.recordDelivery('d1', t0);
      await store.leases.acquire('poller', 'r1', t0, hours(1));
      await store.state.set('bot-user-id', 'U0BOT', t0);
      const before = await store.approvals.get('A-1');
      await store.close();

      store = await reopenSame();

      expect(await store.approvals.get('A-1')).toEqual(before);
      expect(await store.approvals.listStaleCountdowns(at(hours(1)), 10)).toEqual([
        { id: 'A-1', workspaceId: ws },
      ]);
      expect(await store.outbox.claim(lease('w2', at(1_000)))).toEqual([]);
      expect(await store.outbox.nextDueAt()).toEqual(at(leaseMs));
      const [taken] = await store.outbox.claim(lease('w2', at(leaseMs)));
      expect(taken).toMatchObject({
        key: effectKeys.card('A-1'),
        attempts: 2,
        uncertainSince: t0,
        progress: { step: 1 },
      });
      expect((await store.outbox.find(effectKeys.notice('later')))?.state).toBe('pending');
      expect(await store.cursors.get(ws, 'opentrain-updates')).toBe('7');
      expect((await store.routes.list(ws)).map((r) => r.targetId)).toEqual(['C-1']);
      expect(await store.homes.listStale(at(hours(1)), 10)).toEqual([{ workspaceId: ws, userId: 'U1' }]);
      expect(await store.inbound.recordDelivery('d1', at(1_000))).toBe(false);
      expect(await store.leases.acquire('poller', 'r2', at(1_000), hours(1))).toBe(false);
      expect(await store.state.get('bot-user-id')).toBe('U0BOT');
      expect((await store.audit.list({ approvalId: 'A-1', limit: 10 })).map((e) => e.action)).toEqual([
        'requested',
      ]);
    });
  });
}
