import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store, UpstreamKeyClaim } from '../../../src/store/store.js';
import { anApproval, at, hours, t0 } from '../../helpers/builders.js';

const requester = { kind: 'slack', userId: 'U0ALICE', teamId: 'T1' } as const;
const audit = (created: boolean) => ({
  approvalId: 'A-1',
  milestoneId: 'M-1001',
  actor: 'slack:U0ALICE',
  action: created ? 'requested' : 're-requested',
});
const lease = (owner: string, now: Date, limit = 10) => ({ owner, now, leaseMs: 60_000, limit });

/** The behaviour every Store adapter must share; run against each one with a fresh, empty store. */
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

    const context = {
      milestoneName: 'x',
      milestoneNumber: 1,
      amountUsd: 5,
      contractTitle: null,
      freelancerName: null,
    };

    async function track(id = 'A-1', expiresAt = at(hours(72))) {
      return store.trackApproval(
        {
          approval: anApproval({ id, expiresAt }),
          requester,
          note: 'n',
          channelId: 'C0FUND',
          approvers: [],
          context,
          contextRetryAt: null,
        },
        t0,
        audit,
      );
    }

    /** An approval whose contract lookup failed: no context, a retry due a minute after t0. */
    async function trackWithoutContext(id: string) {
      return store.trackApproval(
        {
          approval: anApproval({ id }),
          requester,
          note: null,
          channelId: 'C0FUND',
          approvers: [],
          context: null,
          contextRetryAt: at(60_000),
        },
        t0,
        audit,
      );
    }

    it('tracks an approval once and hands back the existing row the second time', async () => {
      const first = await track();
      const second = await track();

      expect(first.created).toBe(true);
      expect(second.created).toBe(false);
      expect(second.approval).toEqual(first.approval);
      expect(first.approval).toMatchObject({
        id: 'A-1',
        status: 'pending',
        requester,
        note: 'n',
        channelId: 'C0FUND',
        version: 1,
      });
      expect(first.approval.card).toMatchObject({ version: 0, ts: null });
      const actions = (await store.listAudit({ approvalId: 'A-1', limit: 10 })).map((entry) => entry.action);
      expect(actions).toEqual(['re-requested', 'requested']);
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
      const effect = {
        key: 'outcome:A-1',
        kind: 'outcome',
        approvalId: 'A-1',
        payload: { status: 'confirmed' },
      } as const;

      const applied = await store.recordTransition(transition, at(hours(2)), [effect]);
      const again = await store.recordTransition({ ...transition, status: 'expired' }, at(hours(3)), [
        effect,
      ]);

      expect(applied).toMatchObject({ status: 'confirmed', result: { invoiceId: 'INV-1' }, version: 2 });
      expect(again).toBeUndefined();
      expect((await store.getApproval('A-1'))?.status).toBe('confirmed');
      expect(await store.getEffect('outcome:A-1')).toMatchObject({ kind: 'outcome', state: 'pending' });
      const [latest] = await store.listAudit({ approvalId: 'A-1', limit: 1 });
      expect(latest).toMatchObject({
        actor: 'opentrain',
        action: 'confirmed',
        detail: { source: 'opentrain:event:7' },
      });
    });

    it('leases a card to one worker at a time and records where it was posted', async () => {
      await track();

      const [mine] = await store.claimCards(lease('w1', t0));
      const theirs = await store.claimCards(lease('w2', t0));
      await store.recordCardSynced(
        'A-1',
        'w1',
        { channelId: 'C0FUND', ts: '1.000001', version: 1, refreshAt: null },
        t0,
      );
      await store.recordCardPermalink('A-1', '1.000001', 'https://p');
      const after = await store.claimCards(lease('w2', at(hours(1))));

      expect(mine?.id).toBe('A-1');
      expect(theirs).toEqual([]);
      expect(after).toEqual([]);
      expect((await store.getApproval('A-1'))?.card).toMatchObject({
        version: 1,
        ts: '1.000001',
        permalink: 'https://p',
        attempts: 0,
      });
    });

    it('tries a failed contract lookup again when due, and shows the context once found', async () => {
      const tracked = await trackWithoutContext('A-bare');
      expect(tracked.approval.context).toBeNull();
      // The bare card is out, showing version 1.
      await store.claimCards(lease('w1', t0), 'A-bare');
      await store.recordCardSynced(
        'A-bare',
        'w1',
        { channelId: 'C', ts: '1.1', version: 1, refreshAt: null },
        t0,
      );

      expect(await store.listContextRetries(at(59_999), 10)).toEqual([]);
      await store.recordContext('A-bare', { context: null, retryAt: at(180_000) }, at(60_000));
      expect(await store.listContextRetries(at(60_000), 10)).toEqual([]);
      const [due] = await store.listContextRetries(at(180_000), 10);
      expect(due?.id).toBe('A-bare');

      await store.recordContext('A-bare', { context }, at(180_000));
      expect(await store.getApproval('A-bare')).toMatchObject({ context, version: 2 });
      expect(await store.listContextRetries(at(hours(1)), 10)).toEqual([]);
      expect((await store.claimCards(lease('w1', at(180_000)))).map((approval) => approval.id)).toEqual([
        'A-bare',
      ]);

      // Found twice (two lookups raced): nothing more to show. A late failure schedules nothing either.
      await store.recordContext('A-bare', { context }, at(200_000));
      await store.recordContext('A-bare', { context: null, retryAt: at(300_000) }, at(200_000));
      expect(await store.getApproval('A-bare')).toMatchObject({ version: 2 });
      expect(await store.listContextRetries(at(hours(1)), 10)).toEqual([]);
    });

    it('drops a pending context retry when the approval ends', async () => {
      await trackWithoutContext('A-ends');
      await store.recordTransition(
        { approvalId: 'A-ends', status: 'declined', resolvedAt: at(1_000), result: null, source: 't' },
        at(1_000),
        [],
      );
      await store.recordContext('A-ends', { context: null, retryAt: at(120_000) }, at(2_000));

      expect(await store.listContextRetries(at(hours(1)), 10)).toEqual([]);
    });

    it('saves a permalink for the card it belongs to, without touching a lease taken since', async () => {
      await track();
      await store.claimCards(lease('w1', t0));
      await store.recordCardSynced(
        'A-1',
        'w1',
        { channelId: 'C', ts: '1.1', version: 1, refreshAt: null },
        t0,
      );
      await store.recordTransition(
        { approvalId: 'A-1', status: 'declined', resolvedAt: t0, result: null, source: 't' },
        t0,
        [],
      );
      const [next] = await store.claimCards(lease('w1', t0));

      await store.recordCardPermalink('A-1', '1.1', 'https://p/1.1');
      await store.recordCardPermalink('A-1', '9.9', 'https://p/other-card');

      expect(next?.id).toBe('A-1');
      expect(await store.claimCards(lease('w2', at(1_000)))).toEqual([]);
      expect((await store.getApproval('A-1'))?.card.permalink).toBe('https://p/1.1');
    });

    it('lets another worker take a card whose lease ran out', async () => {
      await track();
      await store.claimCards(lease('w1', t0));

      const taken = await store.claimCards(lease('w2', at(61_000)));

      expect(taken.map((approval) => approval.id)).toEqual(['A-1']);
    });

    it('keeps the first card posted even when its lease was lost, and reports a second one as extra', async () => {
      await track();
      await store.claimCards(lease('w1', t0));
      await store.claimCards(lease('w2', at(61_000)));
      const card = (ts: string) => ({
        channelId: 'C0FUND',
        ts,
        version: 1,
        refreshAt: null,
      });

      const late = await store.recordCardSynced('A-1', 'w1', card('9.1'), at(62_000));
      const extra = await store.recordCardSynced('A-1', 'w2', card('9.2'), at(63_000));
      const again = await store.recordCardSynced('A-1', 'w1', card('9.1'), at(64_000));

      expect([late, extra, again]).toEqual([true, false, true]);
      expect((await store.getApproval('A-1'))?.card.ts).toBe('9.1');
    });

    it('backs off a failed card and forgets a deleted one', async () => {
      await track();
      await store.claimCards(lease('w1', t0));
      // Posted, but showing an older version than the row: still due for an edit.
      await store.recordCardSynced(
        'A-1',
        'w1',
        { channelId: 'C0FUND', ts: '1.1', version: 0, refreshAt: null },
        t0,
      );
      await store.claimCards(lease('w1', t0));

      await store.recordCardFailure('A-1', 'w1', {
        error: 'message_not_found',
        nextAttemptAt: at(5_000),
        forgetCard: true,
      });

      const approval = await store.getApproval('A-1');
      expect(approval?.card).toMatchObject({
        ts: null,
        attempts: 1,
        lastError: 'message_not_found',
        nextAttemptAt: at(5_000),
      });
      expect(approval?.context?.amountUsd).toBe(5);
      expect(await store.claimCards(lease('w1', at(4_000)))).toEqual([]);
      expect(await store.claimCards(lease('w1', at(5_000)))).toHaveLength(1);
    });

    it('enqueues an effect once per key and runs it under a lease', async () => {
      const effect = { key: 'reply:1', kind: 'notify', approvalId: null, payload: { userId: 'U1' } } as const;

      expect(await store.enqueueEffects([effect, effect], t0)).toBe(1);
      const [claimed] = await store.claimEffects(lease('w1', t0));
      expect(await store.claimEffects(lease('w2', t0))).toEqual([]);
      await store.retryEffect(claimed?.id ?? -1, 'w1', 'ratelimited', at(30_000));
      expect(await store.nextWakeAt()).toEqual(at(30_000));
      const [retried] = await store.claimEffects(lease('w2', at(30_000)));
      await store.finishEffect(retried?.id ?? -1, 'w2', 'done', at(31_000));

      expect(claimed).toMatchObject({
        key: 'reply:1',
        kind: 'notify',
        attempts: 1,
        payload: { userId: 'U1' },
      });
      expect(retried?.attempts).toBe(2);
      expect(await store.getEffect('reply:1')).toMatchObject({ state: 'done', lastError: 'ratelimited' });
      expect(await store.enqueueEffects([effect], at(40_000))).toBe(0);
      expect(await store.nextWakeAt()).toBeNull();
    });

    it('extends the leases a worker still holds, and only its own', async () => {
      await track();
      await store.enqueueEffects([{ key: 'x', kind: 'notify', approvalId: null, payload: {} }], t0);
      const [effect] = await store.claimEffects(lease('w1', t0));
      await store.claimCards(lease('w1', t0));

      await store.renewLeases(
        'w1',
        { effectIds: [effect?.id ?? -1], approvalIds: ['A-1'], homeUserIds: [] },
        at(90_000),
      );
      await store.renewLeases(
        'w2',
        { effectIds: [effect?.id ?? -1], approvalIds: ['A-1'], homeUserIds: [] },
        at(900_000),
      );

      expect(await store.claimEffects(lease('w2', at(61_000)))).toEqual([]);
      expect(await store.claimCards(lease('w2', at(61_000)))).toEqual([]);
      expect(await store.claimEffects(lease('w2', at(90_000)))).toHaveLength(1);
      expect(await store.claimCards(lease('w2', at(90_000)))).toHaveLength(1);
    });

    it('wakes for a card that is behind, and not for one in sync', async () => {
      await track();
      expect(await store.nextWakeAt()).toEqual(t0);

      await store.claimCards(lease('w1', t0));
      expect(await store.nextWakeAt()).toEqual(at(60_000));

      await store.recordCardSynced(
        'A-1',
        'w1',
        { channelId: 'C', ts: '1.1', version: 1, refreshAt: null },
        t0,
      );
      expect(await store.nextWakeAt()).toBeNull();
    });

    it('marks a card for an edit when its countdown goes stale, unless it is already behind or ended', async () => {
      await track('A-1');
      await track('A-2');
      await track('A-3');
      // A-2's card shows an older version (its edit is waiting, maybe backing off), A-3 ended: only A-1
      // needs an edit for the clock alone.
      for (const [id, version] of [
        ['A-1', 1],
        ['A-2', 0],
        ['A-3', 1],
      ] as const) {
        await store.claimCards(lease('w1', t0), id);
        await store.recordCardSynced(
          id,
          'w1',
          { channelId: 'C', ts: '1.1', version, refreshAt: at(hours(1.5)) },
          t0,
        );
      }
      await store.recordTransition(
        { approvalId: 'A-3', status: 'declined', resolvedAt: at(hours(1)), result: null, source: 't' },
        at(hours(1)),
        [],
      );
      const versions = async () =>
        (await store.getApprovals(['A-1', 'A-2', 'A-3'])).map((approval) => approval.version);

      expect(await store.refreshCountdowns(at(hours(1.5) - 1))).toBe(0);
      const before = await versions();
      expect(await store.refreshCountdowns(at(hours(1.5)))).toBe(1);
      expect(await versions()).toEqual([(before[0] ?? 0) + 1, before[1], before[2]]);
      expect(await store.refreshCountdowns(at(hours(2)))).toBe(0);
      expect(
        (await store.claimCards(lease('w1', at(hours(2))))).map((approval) => approval.id).sort(),
      ).toEqual(['A-1', 'A-2', 'A-3']);
    });

    it('handles each reminder offset once, smallest last, and never after the approval ended', async () => {
      await track();
      const reminder = (offset: number) =>
        ({
          key: `reminder:A-1:${offset}`,
          kind: 'reminder',
          approvalId: 'A-1',
          payload: { offsetMs: offset },
        }) as const;

      expect(await store.scheduleReminder('A-1', hours(24), [reminder(hours(24))], at(hours(48)))).toBe(true);
      expect(await store.scheduleReminder('A-1', hours(24), [reminder(hours(24))], at(hours(49)))).toBe(
        false,
      );
      expect((await store.getApproval('A-1'))?.reminderFloorMs).toBe(hours(24));
      await store.recordTransition(
        { approvalId: 'A-1', status: 'declined', resolvedAt: at(hours(50)), result: null, source: 't' },
        at(hours(50)),
        [],
      );
      expect(await store.scheduleReminder('A-1', hours(1), [reminder(hours(1))], at(hours(71)))).toBe(false);
      expect(await store.getEffect(`reminder:A-1:${hours(1)}`)).toBeUndefined();
    });

    it('finds lapsed pending approvals and reminder candidates by expiry', async () => {
      await track('A-soon', at(hours(10)));
      await track('A-later', at(hours(72)));
      await track('A-gone', at(hours(1)));

      const lapsed = await store.listLapsedPending(at(hours(2)), 10);
      const candidates = await store.listReminderCandidates(at(hours(2)), hours(24));

      expect(lapsed.map((approval) => approval.id)).toEqual(['A-gone']);
      expect(candidates.map((approval) => approval.id)).toEqual(['A-soon']);
    });

    it('saves the feed cursor', async () => {
      expect(await store.getCursor('updates')).toBeNull();

      await store.setCursor('updates', '1042', t0);
      await store.setCursor('updates', '1043', t0);

      expect(await store.getCursor('updates')).toBe('1043');
    });

    it('saves one route per job or contract, replaces it, and removes it with audit entries', async () => {
      const route = {
        scope: 'job',
        targetId: 'J-1',
        label: 'Job one',
        channelId: 'C1',
        approvers: [{ kind: 'usergroup', id: 'S1' }],
        autoFund: true,
        createdBy: 'U1',
      } as const;
      const entry = { approvalId: null, milestoneId: null, actor: 'slack:U1', action: 'route-set' };

      await store.saveRoute(route, t0, entry);
      const replaced = await store.saveRoute(
        { ...route, channelId: 'C2', autoFund: false },
        at(1_000),
        entry,
      );
      await store.saveRoute({ ...route, scope: 'contract', targetId: 'C-1' }, at(2_000), entry);

      expect(replaced).toEqual({ ...route, channelId: 'C2', autoFund: false, updatedAt: at(1_000) });
      expect(await store.findRoute('job', 'J-1')).toEqual(replaced);
      expect(await store.findRoute('contract', 'J-1')).toBeUndefined();
      expect((await store.listRoutes()).map((r) => r.targetId)).toEqual(['C-1', 'J-1']);
      const removed = { ...entry, action: 'route-removed' };
      expect(await store.removeRoute({ scope: 'contract', id: 'J-1' }, at(3_000), removed)).toBeUndefined();
      expect(await store.removeRoute({ scope: undefined, id: 'J-1' }, at(3_000), removed)).toMatchObject({
        scope: 'job',
        targetId: 'J-1',
      });
      expect(await store.removeRoute({ scope: 'job', id: 'J-1' }, at(3_000), removed)).toBeUndefined();
      expect((await store.listAudit({ limit: 10 })).map((e) => e.action)).toEqual([
        'route-removed',
        'route-set',
        'route-set',
        'route-set',
      ]);
    });

    it('republishes a Home tab once per change, only for people who opened it', async () => {
      await store.homeOpened('U1', t0);
      await store.markHomesStale(['U1', 'U-never-opened'], t0);

      const [home] = await store.claimHomes(lease('w1', t0));
      expect(await store.claimHomes(lease('w2', t0))).toEqual([]);
      await store.recordHomePublished('U1', 'w1', home?.version ?? 0, null);

      expect(home).toMatchObject({ userId: 'U1', version: 2 });
      expect(await store.claimHomes(lease('w2', at(1_000)))).toEqual([]);
      await store.markHomesStale(['U1'], at(2_000));
      await store.claimHomes(lease('w1', at(2_000)));
      await store.recordHomeFailure('U1', 'w1', 'ratelimited', at(9_000));
      expect(await store.nextWakeAt()).toEqual(at(9_000));
    });

    it('republishes a Home tab when its countdown goes stale, for recent viewers only', async () => {
      const publishAll = async (now: Date, refreshAt: Date) => {
        for (const home of await store.claimHomes(lease('w1', now))) {
          await store.recordHomePublished(home.userId, 'w1', home.version, refreshAt);
        }
      };
      await store.homeOpened('U1', t0);
      await store.homeOpened('U-away', t0);
      await publishAll(t0, at(hours(1)));

      expect(await store.refreshHomeCountdowns(at(hours(1) - 1))).toBe(0);
      expect(await store.refreshHomeCountdowns(at(hours(1)))).toBe(2);
      expect(await store.refreshHomeCountdowns(at(hours(1)))).toBe(0);

      // A month on, only the person who opened the tab again is kept up to date.
      await publishAll(at(hours(1)), at(hours(24 * 31)));
      await store.homeOpened('U1', at(hours(24 * 30)));
      await publishAll(at(hours(24 * 30)), at(hours(24 * 31)));
      expect(await store.refreshHomeCountdowns(at(hours(24 * 31)))).toBe(1);
    });

    it('lists pending approvals and those ended since a date for App Home', async () => {
      await track('A-open');
      await track('A-old');
      await track('A-new');
      const end = (id: string, when: Date) =>
        store.recordTransition(
          { approvalId: id, status: 'declined', resolvedAt: when, result: null, source: 't' },
          when,
          [],
        );
      await end('A-old', at(hours(1)));
      await end('A-new', at(hours(5)));

      const listed = await store.listForHome(at(hours(2)), 10);

      expect(listed.map((approval) => approval.id).sort()).toEqual(['A-new', 'A-open']);
    });

    it('holds an upstream idempotency key while a request runs, and remembers where it led', async () => {
      const holderOf = (claim: UpstreamKeyClaim) => (claim.state === 'new' ? claim.holder : '');
      const first = await store.claimUpstreamKey('k', t0, 60_000);
      expect(first).toEqual({ state: 'new', holder: expect.any(String) });
      expect(await store.claimUpstreamKey('k', at(1_000), 60_000)).toEqual({ state: 'busy' });
      const second = await store.claimUpstreamKey('k', at(61_000), 60_000);
      // The first request outlived its lock: its release must not free the key under the second one.
      await store.finishUpstreamKey('k', holderOf(first), null, at(62_000));
      expect(await store.claimUpstreamKey('k', at(63_000), 60_000)).toEqual({ state: 'busy' });
      await store.finishUpstreamKey('k', holderOf(second), 'A-9', at(64_000));
      expect(await store.claimUpstreamKey('k', at(65_000), 60_000)).toEqual({
        state: 'done',
        approvalId: 'A-9',
      });

      const released = await store.claimUpstreamKey('released', t0, 60_000);
      await store.finishUpstreamKey('released', holderOf(released), null, t0);
      expect(await store.claimUpstreamKey('released', at(1_000), 60_000)).toMatchObject({ state: 'new' });
    });

    it('sees each webhook delivery once and forgets old ones', async () => {
      expect(await store.recordDelivery('d1', t0)).toBe(true);
      expect(await store.recordDelivery('d1', at(1_000))).toBe(false);
      await store.pruneDeliveries(at(2_000));
      expect(await store.recordDelivery('d1', at(3_000))).toBe(true);
    });

    it('keeps everything across a reopen', async () => {
      if (reopen === undefined) return;
      await track();
      await store.setCursor('updates', '7', t0);
      await store.close();

      store = await reopen();

      expect((await store.getApproval('A-1'))?.id).toBe('A-1');
      expect(await store.getCursor('updates')).toBe('7');
    });
  });
}
