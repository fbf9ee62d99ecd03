import { describe, expect, it } from 'vitest';
import { planEvents, transitionFromApproval } from '../../../src/approvals/plan-events.js';
import type { TrackedApproval } from '../../../src/approvals/types.js';
import type { UpdateEvent } from '../../../src/opentrain/schema.js';
import { anApproval, aTrackedApproval, at, hours } from '../../helpers/builders.js';

function event(id: string, approvalId: string, status: string, type = 'approval.confirmed'): UpdateEvent {
  return {
    id,
    type,
    createdAt: at(hours(1)),
    resourceId: approvalId,
    jobId: 'J-1',
    data: { approvalId, status },
  };
}

const tracked = new Map<string, TrackedApproval>([
  ['A-1', aTrackedApproval({ id: 'A-1' })],
  ['A-2', aTrackedApproval({ id: 'A-2' })],
  ['A-done', aTrackedApproval({ id: 'A-done', status: 'declined' })],
]);

describe('planEvents', () => {
  it('applies declined and expired events directly, dated by the event', () => {
    const actions = planEvents([event('10', 'A-1', 'declined'), event('11', 'A-2', 'expired')], tracked);

    expect(actions).toEqual([
      {
        kind: 'apply',
        eventId: '10',
        transition: {
          approvalId: 'A-1',
          status: 'declined',
          resolvedAt: at(hours(1)),
          result: null,
          source: 'opentrain:event:10',
        },
      },
      {
        kind: 'apply',
        eventId: '11',
        transition: {
          approvalId: 'A-2',
          status: 'expired',
          resolvedAt: at(hours(1)),
          result: null,
          source: 'opentrain:event:11',
        },
      },
    ]);
  });

  it('reads a confirmed approval before applying it, to learn its result', () => {
    const [action] = planEvents([event('12', 'A-1', 'confirmed')], tracked);

    expect(action).toMatchObject({
      kind: 'read-then-apply',
      approvalId: 'A-1',
      fallback: { status: 'confirmed' },
    });
  });

  it('ignores unknown approvals, approvals already ended here, and other event types', () => {
    const actions = planEvents(
      [
        event('13', 'A-unknown', 'confirmed'),
        event('14', 'A-done', 'expired'),
        event('15', 'A-1', 'confirmed', 'milestone.status_changed'),
      ],
      tracked,
    );

    expect(actions).toEqual([]);
  });

  it('reads the approval when the event carries no status it understands', () => {
    const [action] = planEvents([event('16', 'A-1', 'weird')], tracked);

    expect(action).toMatchObject({ kind: 'read-then-apply', fallback: undefined });
  });
});

describe('transitionFromApproval', () => {
  it('returns nothing while the approval is pending', () => {
    expect(transitionFromApproval(anApproval(), 'opentrain:read')).toBeUndefined();
  });

  it('keeps the result of a confirmed approval', () => {
    const remote = anApproval({
      status: 'confirmed',
      resolvedAt: at(hours(2)),
      result: { invoiceId: 'INV-1' },
    });

    expect(transitionFromApproval(remote, 'opentrain:read')).toEqual({
      approvalId: 'A-1',
      status: 'confirmed',
      resolvedAt: at(hours(2)),
      result: { invoiceId: 'INV-1' },
      source: 'opentrain:read',
    });
  });

  it('dates an expiry without resolvedAt at expiresAt', () => {
    const remote = anApproval({ status: 'expired' });

    expect(transitionFromApproval(remote, 'opentrain:read')?.resolvedAt).toEqual(remote.expiresAt);
  });
});
