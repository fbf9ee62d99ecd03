import { describe, expect, it } from 'vitest';
import type { TrackedApproval } from '../../../src/domain/approval.js';
import type { ContextLookup } from '../../../src/domain/context.js';
import { effectKeys, priorities } from '../../../src/domain/effects.js';
import {
  type ApprovalRead,
  type FeedPageFacts,
  planTick,
  type TickAction,
} from '../../../src/domain/plan-tick.js';
import type { Route } from '../../../src/domain/routing.js';
import { ApprovalEnvelope } from '../../../src/opentrain/schema.js';
import { anApproval, at, hours, t0 } from '../../helpers/builders.js';
import {
  anAdvance,
  anAutofund,
  anEnd,
  aPage,
  aRead,
  aReport,
  aRoute,
  aSnapshot,
  cutAtFailedRead,
  named,
  recordedJson,
  requested,
} from './tick-builders.js';

// The pages and reads come from test/fixtures/opentrain; its README tells what happened before each.

function june(day: number, time: string): Date {
  return new Date(`2026-06-${day}T${time}:00.000Z`);
}

const gone: ApprovalRead = { kind: 'gone' };
const unreadable: ApprovalRead = { kind: 'unreadable' };
const system = { kind: 'system', name: 'upstream:erp' } as const;
const invoice2002 = { invoiceId: 'INV-7002', paymentIntentId: 'PI-8001' };

/** The outcomes page (events 3 to 8) with Countersign's A-2001 … A-2004 pending, and A-2002's read. */
function outcomesPage(overrides: Partial<FeedPageFacts> = {}): FeedPageFacts {
  return aPage('updates-outcomes', '2', {
    tracked: ['A-2001', 'A-2002', 'A-2003', 'A-2004'].map((id) => requested(id)),
    reads: { 'A-2002': aRead('approval-A-2002'), 'A-2004': unreadable },
    ...overrides,
  });
}

function tick(pages: FeedPageFacts[], now: Date = june(12, '12:00')): TickAction[] {
  return planTick(aSnapshot({ pages }), now);
}

describe('planTick on a page of approval outcomes', () => {
  it('ends each tracked approval the page reports, in feed order, then moves the cursor past the page', () => {
    const page = outcomesPage();

    const actions = tick([page]);

    expect(actions).toEqual([
      anEnd('A-2001', { status: 'declined', resolvedAt: june(12, '11:00'), source: 'opentrain:event:3' }),
      anEnd('A-2002', {
        status: 'confirmed',
        resolvedAt: june(12, '11:05'),
        result: invoice2002,
        source: 'opentrain:event:5',
      }),
      anEnd('A-2003', { status: 'expired', resolvedAt: june(12, '11:10'), source: 'opentrain:event:6' }),
      // A-2004's read is refused: its event's on_hold is what is known, and it is still followed.
      aReport('A-2004', 'on_hold', 'opentrain:event:7'),
      anAdvance('2', '8'),
    ]);
  });

  it.each(
    named([
      {
        label: 'a declined event ends the approval by itself, dated by the event',
        approvalId: 'A-2001',
        read: undefined,
        end: { status: 'declined', resolvedAt: june(12, '11:00'), result: null, source: 'opentrain:event:3' },
      },
      {
        label: 'a declined event is not second-guessed by a read',
        approvalId: 'A-2001',
        read: aRead('approval-A-2002'),
        end: { status: 'declined', resolvedAt: june(12, '11:00'), result: null, source: 'opentrain:event:3' },
      },
      {
        label: 'an expired event ends the approval by itself, dated by the event',
        approvalId: 'A-2003',
        read: undefined,
        end: { status: 'expired', resolvedAt: june(12, '11:10'), result: null, source: 'opentrain:event:6' },
      },
      {
        label: 'a confirmed event takes its invoice and date from the fresh read',
        approvalId: 'A-2002',
        read: aRead('approval-A-2002'),
        end: {
          status: 'confirmed',
          resolvedAt: june(12, '11:05'),
          result: invoice2002,
          source: 'opentrain:event:5',
        },
      },
      {
        label: 'a confirmed event whose approval is gone (404) stands on what the event says',
        approvalId: 'A-2002',
        read: gone,
        end: {
          status: 'confirmed',
          resolvedAt: june(12, '11:05'),
          result: null,
          source: 'opentrain:event:5',
        },
      },
      {
        label: 'a confirmed event whose approval cannot be read stands on what the event says',
        approvalId: 'A-2002',
        read: unreadable,
        end: {
          status: 'confirmed',
          resolvedAt: june(12, '11:05'),
          result: null,
          source: 'opentrain:event:5',
        },
      },
      {
        label: 'an on_hold event whose read reports on_hold ends nothing and shows the word',
        approvalId: 'A-2004',
        read: aRead('approval-A-2004-on-hold'),
        end: undefined,
        report: aReport('A-2004', 'on_hold', 'opentrain:event:7'),
      },
      {
        label: 'an on_hold event with an unreadable approval ends nothing; the event says on_hold',
        approvalId: 'A-2004',
        read: unreadable,
        end: undefined,
        report: aReport('A-2004', 'on_hold', 'opentrain:event:7'),
      },
      {
        label: 'an on_hold event with a gone approval ends nothing; the event says on_hold',
        approvalId: 'A-2004',
        read: gone,
        end: undefined,
        report: aReport('A-2004', 'on_hold', 'opentrain:event:7'),
      },
      {
        label: 'an on_hold event whose read is plainly pending ends nothing and shows nothing new',
        approvalId: 'A-2004',
        read: { kind: 'read', approval: anApproval({ id: 'A-2004', status: 'pending' }) },
        end: undefined,
      },
      {
        label: 'an on_hold event ends the approval as the read says',
        approvalId: 'A-2004',
        read: {
          kind: 'read',
          approval: anApproval({ id: 'A-2004', status: 'declined', resolvedAt: june(12, '11:40') }),
        },
        end: { status: 'declined', resolvedAt: june(12, '11:40'), result: null, source: 'opentrain:event:7' },
      },
    ] as const),
  )('%s', (_label, row) => {
    const { approvalId, read, end } = row;
    const report = 'report' in row ? row.report : undefined;
    const page = outcomesPage({
      tracked: [requested(approvalId)],
      reads: read === undefined ? {} : { [approvalId]: read },
    });

    const actions = tick([page]);

    expect(actions).toEqual([
      ...(end === undefined ? [] : [anEnd(approvalId, end)]),
      ...(report === undefined ? [] : [report]),
      anAdvance('2', '8'),
    ]);
  });

  it('reads an approval that reports a status outside the documented four as pending, carrying the word', () => {
    const onHold = recordedJson('approval-A-2004-on-hold');

    const parsed = ApprovalEnvelope.parse(onHold);

    expect(parsed).toMatchObject({
      id: 'A-2004',
      status: 'pending',
      reportedStatus: 'on_hold',
      resolvedAt: null,
      result: null,
    });
  });

  it('shows a word once, and nothing when the card shows it already', () => {
    const shown = requested('A-2004', { reportedStatus: 'on_hold' });
    const again = outcomesPage({ tracked: [shown], reads: { 'A-2004': aRead('approval-A-2004-on-hold') } });

    expect(tick([again])).toEqual([anAdvance('2', '8')]);
  });

  it('shows plain pending again when the read no longer carries the word', () => {
    const shown = requested('A-2004', { reportedStatus: 'on_hold' });
    const read: ApprovalRead = { kind: 'read', approval: anApproval({ id: 'A-2004', status: 'pending' }) };
    const page = outcomesPage({ tracked: [shown], reads: { 'A-2004': read } });

    expect(tick([page])).toEqual([aReport('A-2004', null, 'opentrain:event:7'), anAdvance('2', '8')]);
  });

  it('keeps following a lapsed approval that reports an unknown word, and ends it when its expiry is read', () => {
    const lapsed = requested('A-2004', { expiresAt: june(15, '10:00') });
    const onHold: ApprovalRead = {
      kind: 'read',
      approval: anApproval({ id: 'A-2004', status: 'pending', reportedStatus: 'on_hold' }),
    };
    const expired: ApprovalRead = {
      kind: 'read',
      approval: anApproval({ id: 'A-2004', status: 'expired', expiresAt: june(15, '10:00') }),
    };

    const stillOnHold = planTick(
      aSnapshot({ lapsed: [{ approval: lapsed, read: onHold }] }),
      june(15, '10:05'),
    );
    const ended = planTick(
      aSnapshot({ lapsed: [{ approval: { ...lapsed, reportedStatus: 'on_hold' }, read: expired }] }),
      june(15, '10:10'),
    );

    expect(stillOnHold).toEqual([aReport('A-2004', 'on_hold', 'opentrain:read')]);
    expect(ended).toEqual([
      anEnd('A-2004', { status: 'expired', resolvedAt: june(15, '10:00'), source: 'opentrain:read' }),
    ]);
  });

  it('ignores events about approvals it does not track or that already ended here', () => {
    const page = outcomesPage({
      tracked: [
        requested('A-2001', { status: 'declined', resolvedAt: june(12, '11:00') }),
        requested('A-2002', { status: 'confirmed', resolvedAt: june(12, '11:05') }),
        requested('A-2003', { status: 'expired' }),
      ],
      reads: {},
    });

    const actions = tick([page]);

    expect(actions).toEqual([anAdvance('2', '8')]);
  });

  it('ignores the expiry event of an approval it ended itself from a lapsed read', () => {
    const page = aPage('updates-after-lapse', '28', {
      tracked: [requested('A-2009', { status: 'expired', resolvedAt: june(15, '10:00') })],
    });

    const actions = tick([page], june(15, '10:10'));

    expect(actions).toEqual([anAdvance('28', '29')]);
  });

  it('tells a system requester nothing directly: the card, its thread and Home tabs still follow', () => {
    const page = outcomesPage({ tracked: [requested('A-2001', { requester: system })] });

    const actions = tick([page]);

    expect(actions).toEqual([
      anEnd(
        'A-2001',
        { status: 'declined', resolvedAt: june(12, '11:00'), source: 'opentrain:event:3' },
        system,
      ),
      anAdvance('2', '8'),
    ]);
  });

  it('puts the outcome of a decision a person made before that of a lapse nobody acted on', () => {
    const page = outcomesPage();

    const actions = tick([page]);

    const priorityOf = (approvalId: string) =>
      actions
        .flatMap((action) =>
          action.kind === 'end' && action.approvalId === approvalId ? action.effects : [],
        )
        .filter((effect) => effect.effect.kind !== 'homes')
        .map((effect) => `${effect.effect.kind} ${effect.priority}`);
    expect(priorityOf('A-2001')).toEqual(['card 1', 'thread 1', 'dm 1']);
    expect(priorityOf('A-2003')).toEqual(['card 2', 'thread 2', 'dm 2']);
  });
});

describe('planTick on an approval named by several events', () => {
  /** Paged pages 1 and 2 as one tick gathers them: A-2005 … A-2007 pending in both (nothing is applied yet). */
  function pagedTick(reads: { 'A-2005': ApprovalRead; 'A-2006': ApprovalRead }): FeedPageFacts[] {
    const tracked = ['A-2005', 'A-2006', 'A-2007'].map((id) => requested(id));
    return [
      aPage('updates-paged-1', '8', { tracked, reads }),
      aPage('updates-paged-2', '11', { tracked, reads: { 'A-2007': aRead('approval-A-2007') } }),
    ];
  }

  it('ends it once, from the first event, when the read vouches for the end', () => {
    const pages = pagedTick({ 'A-2005': aRead('approval-A-2005'), 'A-2006': aRead('approval-A-2006') });

    const actions = tick(pages, june(12, '12:30'));

    expect(actions).toEqual([
      anEnd('A-2005', { status: 'declined', resolvedAt: june(12, '12:05'), source: 'opentrain:event:9' }),
      anEnd('A-2006', { status: 'expired', resolvedAt: june(12, '12:15'), source: 'opentrain:event:11' }),
      anAdvance('8', '11'),
      anEnd('A-2007', {
        status: 'confirmed',
        resolvedAt: june(12, '12:20'),
        result: { invoiceId: 'INV-7003', paymentIntentId: 'PI-8002' },
        source: 'opentrain:event:14',
      }),
      anAdvance('11', '14'),
    ]);
  });

  it('ends it once, from the later event on the same page or the next, when the reads vouch for nothing', () => {
    const pages = pagedTick({ 'A-2005': unreadable, 'A-2006': unreadable });

    const actions = tick(pages, june(12, '12:30'));

    expect(actions).toEqual([
      anEnd('A-2005', { status: 'declined', resolvedAt: june(12, '12:05'), source: 'opentrain:event:10' }),
      // A-2005's on_hold is passed over (the same page ends it); A-2006's stands until the next page ends it.
      aReport('A-2006', 'on_hold', 'opentrain:event:11'),
      anAdvance('8', '11'),
      anEnd('A-2006', { status: 'expired', resolvedAt: june(12, '12:15'), source: 'opentrain:event:12' }),
      anEnd('A-2007', {
        status: 'confirmed',
        resolvedAt: june(12, '12:20'),
        result: { invoiceId: 'INV-7003', paymentIntentId: 'PI-8002' },
        source: 'opentrain:event:14',
      }),
      anAdvance('11', '14'),
    ]);
  });
});

describe('planTick and the feed cursor', () => {
  it('moves the cursor after each complete page, from where the page was read to where it ends', () => {
    // As one tick gathers them: nothing is applied yet, so A-2006 is pending on both pages that name it.
    const pages = [
      aPage('updates-paged-1', '8', {
        tracked: [requested('A-2005'), requested('A-2006')],
        reads: { 'A-2005': aRead('approval-A-2005') },
      }),
      aPage('updates-paged-2', '11', {
        tracked: [requested('A-2006'), requested('A-2007')],
        reads: { 'A-2007': aRead('approval-A-2007') },
      }),
      aPage('updates-paged-3', '14', { tracked: [requested('A-2004')] }),
      aPage('updates-paged-4', '15'),
    ];

    const actions = tick(pages, june(12, '12:30'));

    expect(actions.map((action) => (action.kind === 'end' ? action.approvalId : action))).toEqual([
      'A-2005',
      anAdvance('8', '11'),
      'A-2006',
      'A-2007',
      anAdvance('11', '14'),
      'A-2004',
      anAdvance('14', '15'),
    ]);
  });

  it.each(
    named([
      {
        label:
          'the first page of a new install, of events Countersign does not act on, moves it from nothing',
        name: 'updates-budget',
        cursor: null,
        advance: [anAdvance(null, '2')],
      },
      {
        label: 'the drained feed, echoing the cursor, leaves it',
        name: 'updates-paged-4',
        cursor: '15',
        advance: [],
      },
      {
        label: 'the empty feed of a new account leaves it unset',
        name: 'updates-empty',
        cursor: null,
        advance: [],
      },
    ]),
  )('%s', (_label, { name, cursor, advance }) => {
    const page = aPage(name, cursor);

    const actions = tick([page]);

    expect(actions).toEqual(advance);
  });

  it('applies the ends before a failed read on an incomplete page, and neither moves the cursor nor goes on', () => {
    // A-2007's read failed: the derive step kept events 12 and 13 and stopped reading the feed.
    const page = cutAtFailedRead(
      aPage('updates-paged-2', '11', {
        tracked: [requested('A-2006'), requested('A-2007')],
        reads: { 'A-2007': aRead('approval-A-2007') },
      }),
      'A-2007',
    );

    const actions = tick([page], june(12, '12:30'));

    expect(page.events.map((event) => event.id)).toEqual(['12', '13']);
    expect(actions).toEqual([
      anEnd('A-2006', { status: 'expired', resolvedAt: june(12, '12:15'), source: 'opentrain:event:12' }),
    ]);
  });

  it('plans no autofund for an incomplete page, whatever its unfunded milestones', () => {
    const page = cutAtFailedRead(
      aPage('updates-autofund', '15', {
        tracked: [requested('A-2008')],
        reads: { 'A-2008': aRead('approval-A-2008') },
        routes: [
          aRoute({ scope: 'contract', targetId: 'C-501' }),
          aRoute({ scope: 'job', targetId: 'J-200' }),
        ],
      }),
      'A-2008',
    );

    const actions = tick([page], june(12, '14:30'));

    expect(page.events.map((event) => event.kind)).toContain('milestone-status');
    expect(actions).toEqual([]);
  });
});

describe('planTick and autofund rules', () => {
  // In the autofund page, M-1006 appears NOT_FUNDED on contract C-501 (job J-100) at 14:00 and M-1007 on C-502
  // (job J-200) at 14:05; M-9011 (C-900, J-100) and the hire's M-9009 (C-951, J-300) are funded later on the
  // same page.
  function autofundTick(routes: Route[]): TickAction[] {
    return tick([aPage('updates-autofund', '15', { routes })], june(12, '14:30'));
  }

  it('asks once for each new unfunded milestone on an autofund route, before moving the cursor', () => {
    const routes = [
      aRoute({ scope: 'contract', targetId: 'C-501', channelId: 'C0LABELING' }),
      aRoute({ scope: 'job', targetId: 'J-200', channelId: 'C0QA' }),
      aRoute({ scope: 'contract', targetId: 'C-900', channelId: 'C0BATCHES' }),
      aRoute({ scope: 'job', targetId: 'J-300', channelId: 'C0REVIEW' }),
    ];

    const actions = autofundTick(routes);

    expect(actions).toEqual([
      anAutofund('M-1006', { scope: 'contract', targetId: 'C-501', channelId: 'C0LABELING' }),
      anAutofund('M-1007', { scope: 'job', targetId: 'J-200', channelId: 'C0QA' }),
      anAdvance('15', '26'),
    ]);
  });

  it('spells out the funding request as an autofund rule of the route, told to the route channel', () => {
    const routes = [aRoute({ scope: 'job', targetId: 'J-200', channelId: 'C0QA', workspaceId: 'T1' })];

    const [action] = autofundTick(routes);

    expect(action).toEqual({
      kind: 'autofund',
      milestoneId: 'M-1007',
      route: { scope: 'job', targetId: 'J-200' },
      effects: [
        {
          key: 'autofund:M-1007',
          workspaceId: 'T1',
          mode: 'once',
          priority: priorities.waiting,
          effect: {
            kind: 'fund',
            request: {
              workspaceId: 'T1',
              via: 'autofund',
              milestoneId: 'M-1007',
              note: null,
              requester: { kind: 'system', name: 'autofund rule for job J-200' },
              actor: 'system:autofund rule for job J-200',
              fallbackChannel: null,
              replyTo: null,
              noticeChannelId: 'C0QA',
            },
          },
        },
      ],
    });
  });

  const contractRule = { scope: 'contract', targetId: 'C-501', channelId: 'C0CONTRACT' } as const;
  const jobRule = { scope: 'job', targetId: 'J-100', channelId: 'C0JOB' } as const;

  it.each(
    named([
      { label: 'a contract route with autofund asks', routes: [aRoute(contractRule)], by: contractRule },
      { label: 'a job route with autofund asks', routes: [aRoute(jobRule)], by: jobRule },
      {
        label: 'the contract route wins over its job route',
        routes: [aRoute(jobRule), aRoute(contractRule)],
        by: contractRule,
      },
      {
        label: 'a contract route without autofund overrides an autofund rule on its job',
        routes: [aRoute(jobRule), aRoute({ ...contractRule, autoFund: false })],
        by: undefined,
      },
      {
        label: 'a job route without autofund does not ask',
        routes: [aRoute({ ...jobRule, autoFund: false })],
        by: undefined,
      },
      {
        label: 'a rule set exactly when the milestone appeared asks',
        routes: [aRoute({ ...contractRule, updatedAt: june(12, '14:00') })],
        by: contractRule,
      },
      {
        label: 'a rule set after the milestone appeared does not replay it',
        routes: [aRoute({ ...contractRule, updatedAt: june(12, '14:01') })],
        by: undefined,
      },
      { label: 'a milestone without a route is left alone', routes: [], by: undefined },
    ]),
  )('for M-1006 on C-501 (job J-100), %s', (_label, { routes, by }) => {
    const actions = autofundTick(routes);

    expect(actions).toEqual([...(by === undefined ? [] : [anAutofund('M-1006', by)]), anAdvance('15', '26')]);
  });

  it.each(
    named([
      {
        label: 'M-9011, which someone funded in the app two minutes after adding it',
        route: aRoute({ scope: 'contract', targetId: 'C-900' }),
      },
      {
        label: 'M-9009, which a hire created and funded in one step',
        route: aRoute({ scope: 'job', targetId: 'J-300' }),
      },
    ]),
  )('does not ask for %s: a later event on the page moved it on', (_label, { route }) => {
    const actions = autofundTick([route]);

    expect(actions).toEqual([anAdvance('15', '26')]);
  });

  it('asks under the same key when a page is read again after a failure, so the queue asks OpenTrain once', () => {
    const routes = [aRoute({ scope: 'contract', targetId: 'C-501' })];

    const first = autofundTick(routes);
    const replay = autofundTick(routes);

    const keys = [...first, ...replay].flatMap((action) =>
      action.kind === 'autofund' ? action.effects.map((effect) => effect.key) : [],
    );
    expect(keys).toEqual([effectKeys.autofund('M-1006'), effectKeys.autofund('M-1006')]);
  });

  it('ends the confirmed approval of the page first, then asks, then moves the cursor', () => {
    const page = aPage('updates-autofund', '15', {
      tracked: [requested('A-2008')],
      reads: { 'A-2008': aRead('approval-A-2008') },
      routes: [aRoute({ scope: 'job', targetId: 'J-200', channelId: 'C0QA' })],
    });

    const actions = tick([page], june(12, '14:30'));

    expect(actions).toEqual([
      anEnd('A-2008', {
        status: 'confirmed',
        resolvedAt: june(12, '14:25'),
        result: { invoiceId: 'INV-7006', paymentIntentId: 'PI-8003' },
        source: 'opentrain:event:26',
      }),
      anAutofund('M-1007', { scope: 'job', targetId: 'J-200', channelId: 'C0QA' }),
      anAdvance('15', '26'),
    ]);
  });
});

describe('planTick on approvals past their expiry', () => {
  const now = june(15, '10:05');

  it.each(
    named([
      {
        label: 'a read OpenTrain flipped to expired ends it, dated by its expiry',
        approvalId: 'A-2009',
        read: aRead('approval-A-2009-lapsed'),
        end: { status: 'expired', resolvedAt: june(15, '10:00'), result: null, source: 'opentrain:read' },
      },
      {
        label: 'a read that says confirmed ends it with its invoice',
        approvalId: 'A-2010',
        read: aRead('approval-A-2010'),
        end: {
          status: 'confirmed',
          resolvedAt: june(15, '09:59'),
          result: { invoiceId: 'INV-7007', paymentIntentId: 'PI-8004' },
          source: 'opentrain:read',
        },
      },
      {
        label: 'a gone approval has expired, at its expiry, on our own authority',
        approvalId: 'A-2009',
        read: gone,
        end: {
          status: 'expired',
          resolvedAt: june(15, '10:00'),
          result: null,
          source: 'countersign:lapsed-unreadable',
        },
      },
      {
        label: 'an unreadable approval is left for the next tick',
        approvalId: 'A-2009',
        read: unreadable,
        end: undefined,
      },
      {
        label: 'a read that is still pending ends nothing',
        approvalId: 'A-2009',
        read: { kind: 'read', approval: anApproval({ id: 'A-2009', status: 'pending' }) },
        end: undefined,
      },
    ] as const),
  )('%s', (_label, { approvalId, read, end }) => {
    const snapshot = aSnapshot({ lapsed: [{ approval: requested(approvalId), read }] });

    const actions = planTick(snapshot, now);

    expect(actions).toEqual(end === undefined ? [] : [anEnd(approvalId, end)]);
  });

  it('leaves a lapsed approval that ended here already alone', () => {
    const approval = requested('A-2009', { status: 'declined', resolvedAt: june(14, '09:00') });
    const snapshot = aSnapshot({ lapsed: [{ approval, read: gone }] });

    const actions = planTick(snapshot, now);

    expect(actions).toEqual([]);
  });

  it('skips a lapsed approval the feed ended in the same tick, and still ends the others', () => {
    const page = aPage('updates-before-lapse', '26', {
      tracked: [requested('A-2010')],
      reads: { 'A-2010': aRead('approval-A-2010') },
    });
    const snapshot = aSnapshot({
      pages: [page],
      lapsed: [
        { approval: requested('A-2009'), read: aRead('approval-A-2009-lapsed') },
        { approval: requested('A-2010'), read: aRead('approval-A-2010') },
      ],
    });

    const actions = planTick(snapshot, now);

    expect(actions).toEqual([
      anEnd('A-2010', {
        status: 'confirmed',
        resolvedAt: june(15, '09:59'),
        result: { invoiceId: 'INV-7007', paymentIntentId: 'PI-8004' },
        source: 'opentrain:event:28',
      }),
      anAdvance('26', '28'),
      anEnd('A-2009', { status: 'expired', resolvedAt: june(15, '10:00'), source: 'opentrain:read' }),
    ]);
  });
});

/** A reminder: a DM to the person who asked, and on the last offset a note in the card's thread too. */
function aReminder(approvalId: string, offsetMs: number, to: { dm: boolean; thread: boolean }): TickAction {
  return {
    kind: 'remind',
    approvalId,
    offsetMs,
    effects: [
      ...(to.dm
        ? [
            {
              key: effectKeys.reminder(approvalId, offsetMs),
              workspaceId: 'T1',
              mode: 'once',
              priority: priorities.routine,
              effect: {
                kind: 'dm',
                approvalId,
                userId: 'U0ALICE',
                message: { about: 'reminder', offsetMs },
              },
            } as const,
          ]
        : []),
      ...(to.thread
        ? [
            {
              key: effectKeys.thread(approvalId, 'reminder'),
              workspaceId: 'T1',
              mode: 'once',
              priority: priorities.routine,
              effect: { kind: 'thread', approvalId, purpose: 'reminder' },
            } as const,
          ]
        : []),
    ],
  };
}

describe('planTick and reminders (24 h and 1 h before an expiry at t0 + 72 h)', () => {
  it.each(
    named([
      { label: 'nothing is due two days ahead', now: at(hours(24)), floor: null, remind: undefined },
      {
        label: 'the 24 h reminder goes to the requester alone',
        now: at(hours(48)),
        floor: null,
        remind: aReminder('A-2001', hours(24), { dm: true, thread: false }),
      },
      {
        label: 'a reminder already sent is not sent again',
        now: at(hours(50)),
        floor: hours(24),
        remind: undefined,
      },
      {
        label: 'the last reminder also goes to the card thread, for the approvers',
        now: at(hours(71)),
        floor: hours(24),
        remind: aReminder('A-2001', hours(1), { dm: true, thread: true }),
      },
      {
        label: 'only the most urgent is sent when both are due',
        now: at(hours(71.5)),
        floor: null,
        remind: aReminder('A-2001', hours(1), { dm: true, thread: true }),
      },
    ]),
  )('%s', (_label, { now, floor, remind }) => {
    const snapshot = aSnapshot({ reminderCandidates: [requested('A-2001', { reminderFloorMs: floor })] });

    const actions = planTick(snapshot, now);

    expect(actions).toEqual(remind === undefined ? [] : [remind]);
  });

  it.each(
    named([
      {
        label: 'the 24 h reminder of a system requester goes nowhere, and is still recorded as handled',
        now: at(hours(48)),
        floor: null,
        remind: aReminder('A-2001', hours(24), { dm: false, thread: false }),
      },
      {
        label: 'the last reminder of a system requester goes to the card thread only',
        now: at(hours(71)),
        floor: hours(24),
        remind: aReminder('A-2001', hours(1), { dm: false, thread: true }),
      },
    ]),
  )('%s', (_label, { now, floor, remind }) => {
    const snapshot = aSnapshot({
      reminderCandidates: [requested('A-2001', { requester: system, reminderFloorMs: floor })],
    });

    const actions = planTick(snapshot, now);

    expect(actions).toEqual([remind]);
  });

  it('reminds nobody about an approval the feed ended in the same tick', () => {
    // The bot was away for two days: the outcome of A-2001 and its 24 h reminder arrive in one tick.
    const snapshot = aSnapshot({
      pages: [outcomesPage({ tracked: [requested('A-2001')] })],
      reminderCandidates: [requested('A-2001'), requested('A-2005')],
    });

    const actions = planTick(snapshot, at(hours(48)));

    expect(actions).toEqual([
      anEnd('A-2001', { status: 'declined', resolvedAt: june(12, '11:00'), source: 'opentrain:event:3' }),
      anAdvance('2', '8'),
      aReminder('A-2005', hours(24), { dm: true, thread: false }),
    ]);
  });
});

describe('planTick and contract lookups retried for cards without their context', () => {
  const context = {
    milestoneName: 'Batch 3',
    milestoneNumber: 3,
    amountUsd: 200,
    contractTitle: 'Sentiment QA batches',
    freelancerName: 'Pia P.',
  };

  it.each(
    named([
      {
        label: 'a found context goes on the card and the Home tabs',
        lookup: { kind: 'found', context },
        action: {
          kind: 'context-found',
          approvalId: 'A-2005',
          context,
          effects: [
            {
              key: effectKeys.card('A-2005'),
              workspaceId: 'T1',
              mode: 'rearm',
              priority: priorities.routine,
              effect: { kind: 'card', approvalId: 'A-2005' },
            },
            {
              key: effectKeys.homes('A-2005'),
              workspaceId: 'T1',
              mode: 'rearm',
              priority: priorities.routine,
              effect: { kind: 'homes', approvalId: 'A-2005' },
            },
          ],
        },
      },
      {
        label:
          'a lookup that failed for now is tried again later (half the time since tracking, a minute at least)',
        lookup: { kind: 'failed', retry: true },
        action: { kind: 'context-retry', approvalId: 'A-2005', retryAt: at(15 * 60_000) },
      },
      {
        label: 'a lookup that failed for good is not tried again',
        lookup: { kind: 'failed', retry: false },
        action: { kind: 'context-retry', approvalId: 'A-2005', retryAt: null },
      },
      {
        label: 'a lookup that found nothing to show is not tried again',
        lookup: { kind: 'found', context: null },
        action: { kind: 'context-retry', approvalId: 'A-2005', retryAt: null },
      },
    ] as const),
  )('%s', (_label, { lookup, action }) => {
    const snapshot = aSnapshot({
      contextLookups: [{ approval: requested('A-2005', { context: null }), lookup }],
    });

    const actions = planTick(snapshot, at(10 * 60_000));

    expect(actions).toEqual([action]);
  });

  it('leaves the lookup of an approval the feed ended in the same tick alone', () => {
    const found: ContextLookup = { kind: 'found', context };
    const snapshot = aSnapshot({
      pages: [outcomesPage({ tracked: [requested('A-2001')] })],
      contextLookups: [
        { approval: requested('A-2001', { context: null }), lookup: found },
        { approval: requested('A-2005', { context: null }), lookup: { kind: 'failed', retry: false } },
      ],
    });

    const actions = planTick(snapshot, june(12, '12:00'));

    expect(actions.map((action) => [action.kind, 'approvalId' in action ? action.approvalId : null])).toEqual(
      [
        ['end', 'A-2001'],
        ['advance-cursor', null],
        ['context-retry', 'A-2005'],
      ],
    );
  });
});

describe('planTick and stale countdowns', () => {
  it('refreshes a stale card behind everything else on the queue', () => {
    const snapshot = aSnapshot({ staleCards: [{ id: 'A-2005', workspaceId: 'T1' }] });

    const actions = planTick(snapshot, june(12, '12:00'));

    expect(actions).toEqual([
      {
        kind: 'refresh-card',
        approvalId: 'A-2005',
        effects: [
          {
            key: effectKeys.card('A-2005'),
            workspaceId: 'T1',
            mode: 'rearm',
            priority: priorities.countdown,
            effect: { kind: 'card', approvalId: 'A-2005' },
          },
        ],
      },
    ]);
  });

  it('skips the countdown of a card whose approval ended this tick, and edits the outcome ahead of countdowns', () => {
    const snapshot = aSnapshot({
      pages: [outcomesPage({ tracked: [requested('A-2001')] })],
      staleCards: [
        { id: 'A-2001', workspaceId: 'T1' },
        { id: 'A-2005', workspaceId: 'T1' },
      ],
    });

    const actions = planTick(snapshot, june(12, '12:00'));

    expect(actions.map((action) => action.kind)).toEqual(['end', 'advance-cursor', 'refresh-card']);
    const cardEdits = actions.flatMap((action) =>
      'effects' in action ? action.effects.filter((effect) => effect.effect.kind === 'card') : [],
    );
    expect(cardEdits.map((effect) => effect.key)).toEqual([
      effectKeys.card('A-2001'),
      effectKeys.card('A-2005'),
    ]);
    const [outcome, countdown] = cardEdits;
    expect(outcome?.priority).toBeLessThan(countdown?.priority ?? Number.NEGATIVE_INFINITY);
  });

  it('republishes stale Home tabs, behind everything else on the queue, even on a tick that ended something', () => {
    const snapshot = aSnapshot({
      pages: [outcomesPage({ tracked: [requested('A-2001')] })],
      staleHomes: [
        { workspaceId: 'T1', userId: 'U0ALICE' },
        { workspaceId: 'T1', userId: 'U0BOB' },
      ],
    });

    const actions = planTick(snapshot, june(12, '12:00'));

    expect(actions.slice(2)).toEqual(
      ['U0ALICE', 'U0BOB'].map((userId) => ({
        kind: 'refresh-home',
        userId,
        effects: [
          {
            key: effectKeys.home(userId),
            workspaceId: 'T1',
            mode: 'rearm',
            priority: priorities.countdown,
            effect: { kind: 'home', userId },
          },
        ],
      })),
    );
  });
});

describe('planTick as a whole', () => {
  it('plans the feed, then lapsed approvals, reminders, contexts, card and Home countdowns, in that order', () => {
    const now = at(hours(48));
    const snapshot = aSnapshot({
      pages: [outcomesPage()],
      lapsed: [{ approval: requested('A-2009', { expiresAt: at(hours(40)) }), read: gone }],
      reminderCandidates: [requested('A-2005')],
      contextLookups: [
        { approval: requested('A-2006', { context: null }), lookup: { kind: 'failed', retry: false } },
      ],
      staleCards: [{ id: 'A-2007', workspaceId: 'T1' }],
      staleHomes: [{ workspaceId: 'T1', userId: 'U0BOB' }],
    });

    const actions = planTick(snapshot, now);

    expect(actions.map(summary)).toEqual([
      'end A-2001',
      'end A-2002',
      'end A-2003',
      'report-status A-2004',
      'advance-cursor 2 → 8',
      'end A-2009',
      'remind A-2005',
      'context-retry A-2006',
      'refresh-card A-2007',
      'refresh-home U0BOB',
    ]);
  });

  it('ends an approval once and leaves it alone in every later step of the tick', () => {
    const approval: TrackedApproval = requested('A-2001', { context: null });
    const snapshot = aSnapshot({
      pages: [outcomesPage({ tracked: [approval] })],
      lapsed: [{ approval, read: gone }],
      reminderCandidates: [approval],
      contextLookups: [{ approval, lookup: { kind: 'failed', retry: true } }],
      staleCards: [{ id: 'A-2001', workspaceId: 'T1' }],
    });

    const actions = planTick(snapshot, at(hours(48)));

    expect(actions.map(summary)).toEqual(['end A-2001', 'advance-cursor 2 → 8']);
  });

  it('plans nothing for a quiet tick', () => {
    expect(planTick(aSnapshot(), t0)).toEqual([]);
  });
});

function summary(action: TickAction): string {
  switch (action.kind) {
    case 'advance-cursor':
      return `advance-cursor ${action.from} → ${action.to}`;
    case 'autofund':
      return `autofund ${action.milestoneId}`;
    case 'refresh-home':
      return `refresh-home ${action.userId}`;
    default:
      return `${action.kind} ${action.approvalId}`;
  }
}
