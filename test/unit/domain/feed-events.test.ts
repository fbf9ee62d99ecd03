import { describe, expect, it } from 'vitest';
import type { FeedEvent } from '../../../src/domain/feed.js';
import { toFeedEvent } from '../../../src/opentrain/port.js';
import { UpdateEvent, UpdatesPage } from '../../../src/opentrain/schema.js';
import { named, recordedJson } from './tick-builders.js';

// toFeedEvent reads OpenTrain's wire events into the domain's union. The recorded pages come from the
// simulator (test/fixtures/opentrain); the variations below start from one of them and change what OpenTrain
// might send differently (an older or terser payload, a type the catalog does not have yet).

type Wire = Record<string, unknown> & { id: string; data?: unknown };

function recordedWire(page: string, id: string): Wire {
  const { events } = recordedJson(page) as { events: Wire[] };
  const event = events.find((candidate) => candidate.id === id);
  if (event === undefined) throw new Error(`${page} has no event ${id}`);
  return event;
}

/** Through the adapter's schema, then toFeedEvent, as a page of /updates is read. */
function read(wire: unknown): FeedEvent {
  return toFeedEvent(UpdateEvent.parse(wire));
}

const declined = recordedWire('updates-outcomes', '3');
const milestoneFunded = recordedWire('updates-outcomes', '4');
const budgetLow = recordedWire('updates-budget', '1');

describe('toFeedEvent on recorded events', () => {
  it.each(
    named([
      {
        label: 'a declined approval.confirmed ends the approval as declined',
        wire: declined,
        event: {
          kind: 'approval-ended',
          id: '3',
          at: new Date('2026-06-12T11:00:00.000Z'),
          approvalId: 'A-2001',
          status: 'declined',
          reportedStatus: null,
        },
      },
      {
        label: 'a confirmed approval.confirmed ends it as confirmed',
        wire: recordedWire('updates-outcomes', '5'),
        event: {
          kind: 'approval-ended',
          id: '5',
          at: new Date('2026-06-12T11:05:00.000Z'),
          approvalId: 'A-2002',
          status: 'confirmed',
          reportedStatus: null,
        },
      },
      {
        label: 'an expired approval.confirmed ends it as expired',
        wire: recordedWire('updates-outcomes', '6'),
        event: {
          kind: 'approval-ended',
          id: '6',
          at: new Date('2026-06-12T11:10:00.000Z'),
          approvalId: 'A-2003',
          status: 'expired',
          reportedStatus: null,
        },
      },
      {
        label: 'a status outside the documented four is left for a read to settle, carrying its word',
        wire: recordedWire('updates-outcomes', '7'),
        event: {
          kind: 'approval-ended',
          id: '7',
          at: new Date('2026-06-12T11:15:00.000Z'),
          approvalId: 'A-2004',
          status: undefined,
          reportedStatus: 'on_hold',
        },
      },
      {
        label: 'milestone.status_changed carries the milestone, its contract, its job and the new status',
        wire: milestoneFunded,
        event: {
          kind: 'milestone-status',
          id: '4',
          at: new Date('2026-06-12T11:05:00.000Z'),
          milestoneId: 'M-1002',
          contractId: 'C-502',
          jobId: 'J-200',
          status: 'ACTIVE_FUNDED',
        },
      },
      {
        label: 'a new milestone is reported NOT_FUNDED',
        wire: recordedWire('updates-autofund', '16'),
        event: {
          kind: 'milestone-status',
          id: '16',
          at: new Date('2026-06-12T14:00:00.000Z'),
          milestoneId: 'M-1006',
          contractId: 'C-501',
          jobId: 'J-100',
          status: 'NOT_FUNDED',
        },
      },
      {
        label: 'contract.budget_state_changed carries the states and every figure',
        wire: budgetLow,
        event: {
          kind: 'budget-state',
          id: '1',
          at: new Date('2026-06-12T10:05:00.000Z'),
          contractId: 'C-950',
          previousState: 'OK',
          state: 'LOW',
          paymentType: 'PAY_PER_HOUR',
          fundedVolume: 100,
          consumedVolume: 82,
          remainingVolume: 18,
          consumedFraction: 0.82,
        },
      },
      {
        label: 'a depleted budget reads zero remaining and a whole fraction consumed',
        wire: recordedWire('updates-budget', '2'),
        event: {
          kind: 'budget-state',
          id: '2',
          at: new Date('2026-06-12T10:20:00.000Z'),
          contractId: 'C-950',
          previousState: 'LOW',
          state: 'DEPLETED',
          paymentType: 'PAY_PER_HOUR',
          fundedVolume: 100,
          consumedVolume: 100,
          remainingVolume: 0,
          consumedFraction: 1,
        },
      },
      {
        label: 'contract.created is kept as an event Countersign does not act on',
        wire: recordedWire('updates-autofund', '20'),
        event: {
          kind: 'other',
          id: '20',
          at: new Date('2026-06-12T14:20:00.000Z'),
          type: 'contract.created',
        },
      },
    ]),
  )('%s', (_label, { wire, event }) => {
    expect(read(wire)).toEqual(event);
  });

  it('keeps every recorded event, in order, with its id and time, so the cursor can pass any of them', () => {
    const names = [
      'updates-budget',
      'updates-outcomes',
      'updates-paged-1',
      'updates-paged-2',
      'updates-paged-3',
      'updates-autofund',
      'updates-before-lapse',
      'updates-after-lapse',
    ];

    const events = names.flatMap((name) => UpdatesPage.parse(recordedJson(name)).events.map(toFeedEvent));

    // Event 23 (the hire's proposal.status_changed) needs proposals:read, which the recording's token lacks.
    const ids = [
      ...Array.from({ length: 22 }, (_, n) => String(n + 1)),
      ...['24', '25', '26', '27', '28', '29'],
    ];
    expect(events.map((event) => event.id)).toEqual(ids);
    expect(events.every((event) => event.at instanceof Date && !Number.isNaN(event.at.getTime()))).toBe(true);
  });
});

describe('toFeedEvent on what OpenTrain may send otherwise', () => {
  const at = new Date('2026-06-12T11:00:00.000Z');

  it.each(
    named([
      {
        label: 'an approval event without data.approvalId names the approval by its resourceId',
        wire: { ...declined, data: { status: 'declined' } },
        event: {
          kind: 'approval-ended',
          id: '3',
          at,
          approvalId: 'A-2001',
          status: 'declined',
          reportedStatus: null,
        },
      },
      {
        label: 'an approval event whose approvalId is not a string names it by its resourceId',
        wire: { ...declined, data: { approvalId: 2001, status: 'declined' } },
        event: {
          kind: 'approval-ended',
          id: '3',
          at,
          approvalId: 'A-2001',
          status: 'declined',
          reportedStatus: null,
        },
      },
      {
        label: 'an approval event with no data at all names the approval and leaves its status to a read',
        wire: { ...declined, data: null },
        event: {
          kind: 'approval-ended',
          id: '3',
          at,
          approvalId: 'A-2001',
          status: undefined,
          reportedStatus: null,
        },
      },
      {
        label: 'an approval event that says pending leaves the status to a read',
        wire: { ...declined, data: { approvalId: 'A-2001', status: 'pending' } },
        event: {
          kind: 'approval-ended',
          id: '3',
          at,
          approvalId: 'A-2001',
          status: undefined,
          reportedStatus: null,
        },
      },
      {
        label: 'an approval event with a status word nobody documented leaves it to a read, with the word',
        wire: { ...declined, data: { approvalId: 'A-2001', status: 'superseded' } },
        event: {
          kind: 'approval-ended',
          id: '3',
          at,
          approvalId: 'A-2001',
          status: undefined,
          reportedStatus: 'superseded',
        },
      },
      {
        label: 'an approval event whose status is not a string leaves it to a read',
        wire: { ...declined, data: { approvalId: 'A-2001', status: 7 } },
        event: {
          kind: 'approval-ended',
          id: '3',
          at,
          approvalId: 'A-2001',
          status: undefined,
          reportedStatus: null,
        },
      },
      {
        label: 'an approval event that names no approval anywhere is passed over',
        wire: { ...declined, resourceId: null, data: { status: 'declined' } },
        event: { kind: 'other', id: '3', at, type: 'approval.confirmed' },
      },
    ]),
  )('%s', (_label, { wire, event }) => {
    expect(read(wire)).toEqual(event);
  });

  it.each(
    named([
      {
        label: 'a milestone event without data.milestoneId names the milestone by its resourceId',
        wire: { ...milestoneFunded, data: { contractId: 'C-502', status: 'ACTIVE_FUNDED' } },
        event: { milestoneId: 'M-1002', contractId: 'C-502', jobId: 'J-200', status: 'ACTIVE_FUNDED' },
      },
      {
        label: 'a milestone event without a top-level jobId takes the one in its data',
        wire: { ...milestoneFunded, jobId: null, data: { milestoneId: 'M-1002', jobId: 'J-200' } },
        event: { milestoneId: 'M-1002', contractId: null, jobId: 'J-200', status: null },
      },
      {
        label: 'a milestone event that says nothing else leaves contract, job and status unknown',
        wire: { ...milestoneFunded, jobId: null, data: { milestoneId: 'M-1002', status: 7 } },
        event: { milestoneId: 'M-1002', contractId: null, jobId: null, status: null },
      },
    ]),
  )('%s', (_label, { wire, event }) => {
    expect(read(wire)).toEqual({
      kind: 'milestone-status',
      id: '4',
      at: new Date('2026-06-12T11:05:00.000Z'),
      ...event,
    });
  });

  it('passes over a milestone event that names no milestone anywhere', () => {
    const wire = {
      ...milestoneFunded,
      resourceId: null,
      data: { contractId: 'C-502', status: 'NOT_FUNDED' },
    };

    expect(read(wire)).toEqual({
      kind: 'other',
      id: '4',
      at: new Date('2026-06-12T11:05:00.000Z'),
      type: 'milestone.status_changed',
    });
  });

  // Found by fuzzing: ids in the feed were taken as they came, and an autofund rule would have sent one that is
  // no OpenTrain id (M-1/../x) straight into POST /milestones/{id}/fund.
  it('passes over a milestone event whose milestone is not an OpenTrain id, and drops such a contract or job', () => {
    const unusable = {
      ...milestoneFunded,
      resourceId: null,
      data: { milestoneId: 'M-1/../x', status: 'NOT_FUNDED' },
    };
    const odd = {
      ...milestoneFunded,
      jobId: 'J 200',
      data: { milestoneId: 'M-1002', contractId: '<C-502>', jobId: 'J 200', status: 'NOT_FUNDED' },
    };

    expect(read(unusable)).toMatchObject({ kind: 'other', type: 'milestone.status_changed' });
    expect(read(odd)).toMatchObject({
      kind: 'milestone-status',
      milestoneId: 'M-1002',
      contractId: null,
      jobId: null,
    });
  });

  it('reads a terse budget event: the contract from its resourceId, unknown or non-numeric fields as null', () => {
    const wire = {
      ...budgetLow,
      data: { previousState: 'CRITICAL', state: 'LOW', fundedVolume: '100', consumedVolume: 82 },
    };

    expect(read(wire)).toEqual({
      kind: 'budget-state',
      id: '1',
      at: new Date('2026-06-12T10:05:00.000Z'),
      contractId: 'C-950',
      previousState: null,
      state: 'LOW',
      paymentType: null,
      fundedVolume: null,
      consumedVolume: 82,
      remainingVolume: null,
      consumedFraction: null,
    });
  });

  it.each(
    named([
      {
        label: 'a budget event with a state outside OK, LOW and DEPLETED is passed over',
        wire: { ...budgetLow, data: { ...(budgetLow.data as object), state: 'CRITICAL' } },
      },
      {
        label: 'a budget event without a state is passed over',
        wire: { ...budgetLow, data: { contractId: 'C-950' } },
      },
      {
        label: 'a budget event that names no contract anywhere is passed over',
        wire: { ...budgetLow, resourceId: null, data: { state: 'LOW' } },
      },
    ]),
  )('%s', (_label, { wire }) => {
    expect(read(wire)).toEqual({
      kind: 'other',
      id: '1',
      at: new Date('2026-06-12T10:05:00.000Z'),
      type: 'contract.budget_state_changed',
    });
  });

  it.each([
    // The docs' own example of a proposal event (section 5), the other catalog types Countersign ignores, and
    // a type the catalog does not have yet.
    ['proposal.received', { proposalId: 'P-801', jobId: 'J-300' }],
    ['proposal.status_changed', { proposalId: 'P-801', status: 'HIRED' }],
    ['message.received', { conversationId: 'CONV-9001', messageId: 'MSG-1' }],
    ['payment.pending', { invoiceId: 'INV-7002', milestoneId: 'M-1002', contractId: 'C-502' }],
    ['invoice.disputed', { invoiceId: 'INV-7002' }],
  ] as const)('keeps %s as an event Countersign does not act on', (type, data) => {
    const wire = {
      id: '1042',
      type,
      apiVersion: 'v1',
      createdAt: '2026-06-12T10:00:00.000Z',
      resourceId: 'P-801',
      jobId: 'J-300',
      data,
    };

    expect(read(wire)).toEqual({ kind: 'other', id: '1042', at: new Date('2026-06-12T10:00:00.000Z'), type });
  });
});

describe('a page with an event that does not parse', () => {
  it('keeps the rest of the page, and the bad event as one nothing acts on, so the cursor can pass it', () => {
    const page = UpdatesPage.parse({
      events: [
        {
          id: '1',
          type: 'approval.confirmed',
          createdAt: 'not a date',
          resourceId: 'A-1',
          jobId: null,
          data: {},
        },
        {
          id: '2',
          type: 'approval.confirmed',
          createdAt: '2026-06-12T10:00:00.000Z',
          resourceId: 'A-2',
          jobId: null,
          data: 'oops',
        },
        {
          id: '3',
          type: 'approval.confirmed',
          createdAt: '2026-06-12T10:00:00.000Z',
          resourceId: 'A-3',
          jobId: null,
          data: { status: 'declined' },
        },
      ],
      nextCursor: '3',
      hasMore: false,
    });

    const events = page.events.map(toFeedEvent);

    expect(events.map((event) => [event.id, event.kind])).toEqual([
      ['1', 'other'],
      ['2', 'other'],
      ['3', 'approval-ended'],
    ]);
    expect(page.nextCursor).toBe('3');
  });

  it('reads an approval event with an empty resourceId and no approvalId as one it does not act on', () => {
    const [event] = UpdatesPage.parse({
      events: [
        {
          id: '9',
          type: 'approval.confirmed',
          createdAt: '2026-06-12T10:00:00.000Z',
          resourceId: '',
          jobId: null,
          data: {},
        },
      ],
      nextCursor: '9',
      hasMore: false,
    }).events.map(toFeedEvent);

    expect(event?.kind).toBe('other');
  });
});
