import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { botMessages, dmsTo, type Harness, ids, startHarness } from './harness.js';

const cursorName = 'opentrain-updates';
const milestones: readonly string[] = ['M-9001', 'M-9002', 'M-9003', 'M-9004', 'M-9005'];
const outcomeOnCard = {
  confirmed: 'Milestone funded',
  declined: 'Funding declined',
  expired: 'Funding request expired',
} as const;
const outcomeInDm = { confirmed: 'Milestone funded', declined: 'was declined', expired: 'expired' } as const;
type Outcome = keyof typeof outcomeOnCard;

/**
 * Five approvals, each with its card posted and the poller caught up, so the next tick sees only what the
 * test does. The milestones live on a contract of their own, named "Batch 1" to "Batch 5".
 */
async function fiveTrackedApprovals(h: Harness): Promise<Map<string, { approvalId: string; ts: string }>> {
  h.opentrain.addContract({
    id: 'C-900',
    jobId: 'J-100',
    title: 'Paging contract',
    rateUsd: 10,
    freelancer: { userId: 'F-90', displayName: 'Pia P.', country: 'Spain', profilePath: '/profile/pia-p' },
    milestones: milestones.map((id, n) => ({ id, name: `Batch ${n + 1}`, amountUsd: 10 })),
  });
  for (const milestoneId of milestones) await h.command(milestoneId);
  await h.slack.waitUntil(
    () => botMessages(h, ids.financeApprovals).length === milestones.length || undefined,
    10_000,
    'five cards',
  );
  await h.service.pollNow();
  const tracked = new Map<string, { approvalId: string; ts: string }>();
  for (const milestoneId of milestones) {
    const approval = h.opentrain.snapshot().approvals.find((a) => a.milestoneId === milestoneId);
    const card = botMessages(h, ids.financeApprovals).find((m) =>
      JSON.stringify(m.blocks).includes(milestoneId),
    );
    if (approval === undefined || card === undefined)
      throw new Error(`no approval or card for ${milestoneId}`);
    tracked.set(milestoneId, { approvalId: approval.id, ts: card.ts });
  }
  return tracked;
}

/** The cursor each `GET /updates` the bot sent since the last clearRequests() carried (null: none). */
function updatesCursors(h: Harness): Array<string | null> {
  return h.opentrain.requests
    .filter((request) => request.method === 'GET' && request.path === '/updates')
    .map((request) => new URLSearchParams(request.query).get('cursor'));
}

function approvalReads(h: Harness): Array<{ path: string; status: number | null }> {
  return h.opentrain.requests
    .filter((request) => request.method === 'GET' && request.path.startsWith('/approvals/'))
    .map((request) => ({ path: request.path, status: request.status }));
}

/** Ids of the feed's events after `cursor`, oldest first. */
function eventIdsAfter(h: Harness, cursor: string | null): string[] {
  return h.opentrain
    .snapshot()
    .events.map((event) => event.id)
    .filter((id) => cursor === null || Number(id) > Number(cursor));
}

function cardJson(h: Harness, ts: string): string {
  const card = h.slack.message(ids.financeApprovals, ts);
  if (card === undefined) throw new Error(`card ${ts} vanished`);
  return JSON.stringify(card.blocks);
}

describe('the poller follows a feed that spans several pages', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('reads every page in one tick, each once and in order, and edits every card in that tick', async () => {
    const tracked = await fiveTrackedApprovals(h);
    const before = await h.service.store.cursors.get(h.service.useCases.workspaceId, cursorName);
    const outcomes: [string, Outcome][] = [
      ['M-9001', 'confirmed'],
      ['M-9002', 'declined'],
      ['M-9003', 'confirmed'],
      ['M-9004', 'expired'],
      ['M-9005', 'confirmed'],
    ];
    for (const [milestoneId, outcome] of outcomes) {
      const { approvalId } = tracked.get(milestoneId) ?? { approvalId: '' };
      if (outcome === 'confirmed') h.opentrain.confirm(approvalId);
      else if (outcome === 'declined') h.opentrain.decline(approvalId);
      else h.opentrain.expire(approvalId);
    }
    // A confirmation also moves its milestone (two events), so the feed holds eight events: four pages of two.
    const fresh = eventIdsAfter(h, before);
    expect(fresh).toHaveLength(8);
    h.opentrain.updatesMaxPageSize = 2;
    h.opentrain.clearRequests();

    await h.service.pollNow();

    // Page n is asked for with the last id of page n - 1; the last page is full and says hasMore: false.
    expect(updatesCursors(h)).toEqual([before, fresh[1], fresh[3], fresh[5]]);
    expect(
      h.opentrain.requests.filter((r) => r.path === '/updates').every((r) => r.query.includes('limit=200')),
    ).toBe(true);
    const confirmed = outcomes.filter(([, outcome]) => outcome === 'confirmed');
    expect(approvalReads(h)).toEqual(
      confirmed.map(([milestoneId]) => ({
        path: `/approvals/${tracked.get(milestoneId)?.approvalId}`,
        status: 200,
      })),
    );
    expect(await h.service.store.cursors.get(h.service.useCases.workspaceId, cursorName)).toBe(fresh.at(-1));
    // pollNow waits for the tick and for the work it scheduled: every card is edited by now, no waiting.
    for (const [milestoneId, outcome] of outcomes) {
      expect(cardJson(h, tracked.get(milestoneId)?.ts ?? ''), milestoneId).toContain(outcomeOnCard[outcome]);
    }
    expect(dmsTo(h, ids.alice)).toHaveLength(outcomes.length);

    h.opentrain.clearRequests();
    await h.service.pollNow();

    expect(updatesCursors(h)).toEqual([fresh.at(-1)]);
    expect(approvalReads(h)).toEqual([]);
  });

  it('keeps the cursor at the last page applied when an approval read fails mid-feed, then replays from there without doubling anything', async () => {
    const tracked = await fiveTrackedApprovals(h);
    const approvalOf = (milestoneId: string) => tracked.get(milestoneId)?.approvalId ?? '';
    const cardOf = (milestoneId: string) => tracked.get(milestoneId)?.ts ?? '';
    const before = await h.service.store.cursors.get(h.service.useCases.workspaceId, cursorName);
    // How often each card was edited before anything ended (a card may be edited once its context arrives).
    const editsBefore = new Map(
      milestones.map((id) => [id, h.slack.message(ids.financeApprovals, cardOf(id))?.history.length ?? 0]),
    );
    h.opentrain.decline(approvalOf('M-9001')); // e1
    h.opentrain.confirm(approvalOf('M-9002')); // e2 milestone funded, e3 approval confirmed
    h.opentrain.decline(approvalOf('M-9003')); // e4
    h.opentrain.confirm(approvalOf('M-9004')); // e5 milestone funded, e6 approval confirmed
    h.opentrain.decline(approvalOf('M-9005')); // e7
    const fresh = eventIdsAfter(h, before);
    expect(fresh).toHaveLength(7);
    // Pages of three: [e1 e2 e3] [e4 e5 e6] [e7]. The read for M-9004's confirmation (e6) fails after e4 on the
    // same page was applied, so that page is applied only in part.
    h.opentrain.updatesMaxPageSize = 3;
    h.opentrain.injectFault({
      method: 'GET',
      path: `/approvals/${approvalOf('M-9004')}`,
      status: 503,
      times: Number.POSITIVE_INFINITY,
    });
    h.opentrain.clearRequests();

    await h.service.pollNow();

    expect(updatesCursors(h)).toEqual([before, fresh[2]]);
    expect(await h.service.store.cursors.get(h.service.useCases.workspaceId, cursorName)).toBe(fresh[2]);
    const failedReads = approvalReads(h).filter((read) => read.path === `/approvals/${approvalOf('M-9004')}`);
    expect(failedReads.length).toBeGreaterThan(0);
    expect(failedReads.every((read) => read.status === 503)).toBe(true);
    const ready = await (await fetch(`${h.service.url}/readyz`)).json();
    expect(ready).toMatchObject({ poller: { failingPhases: ['feed'] } });
    expect(cardJson(h, cardOf('M-9001'))).toContain(outcomeOnCard.declined);
    expect(cardJson(h, cardOf('M-9002'))).toContain(outcomeOnCard.confirmed);
    expect(cardJson(h, cardOf('M-9003'))).toContain(outcomeOnCard.declined);
    expect(cardJson(h, cardOf('M-9004'))).toContain('status: *pending*');
    expect(cardJson(h, cardOf('M-9005'))).toContain('status: *pending*');

    h.opentrain.clearFaults();
    h.opentrain.clearRequests();
    await h.service.pollNow();

    // The replay starts at the saved cursor: page 1 is not read again, page 2 is, and page 3 follows.
    expect(updatesCursors(h)).toEqual([fresh[2], fresh[5]]);
    expect(approvalReads(h)).toEqual([{ path: `/approvals/${approvalOf('M-9004')}`, status: 200 }]);
    expect(await h.service.store.cursors.get(h.service.useCases.workspaceId, cursorName)).toBe(fresh[6]);
    const expected: [string, Outcome][] = [
      ['M-9001', 'declined'],
      ['M-9002', 'confirmed'],
      ['M-9003', 'declined'],
      ['M-9004', 'confirmed'],
      ['M-9005', 'declined'],
    ];
    for (const [milestoneId, outcome] of expected) {
      const card = h.slack.message(ids.financeApprovals, cardOf(milestoneId));
      expect(JSON.stringify(card?.blocks), milestoneId).toContain(outcomeOnCard[outcome]);
      // One more edit (pending -> outcome) and one outcome reply in its thread, replayed page or not.
      expect(card?.history, milestoneId).toHaveLength((editsBefore.get(milestoneId) ?? 0) + 1);
      expect(card?.replies, milestoneId).toHaveLength(1);
    }
    expect(botMessages(h, ids.financeApprovals)).toHaveLength(milestones.length);
    const dms = dmsTo(h, ids.alice).map((message) => JSON.stringify(message.blocks));
    expect(dms).toHaveLength(expected.length);
    for (const [n, [milestoneId, outcome]] of expected.entries()) {
      const about = dms.filter((dm) => dm.includes(`Batch ${n + 1}`));
      expect(about, milestoneId).toHaveLength(1);
      expect(about[0], milestoneId).toContain(outcomeInDm[outcome]);
    }
  });
});
