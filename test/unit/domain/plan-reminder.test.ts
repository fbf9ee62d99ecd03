import { describe, expect, it } from 'vitest';
import { dueReminder } from '../../../src/domain/plan-reminder.js';
import { aTrackedApproval, at, hours, t0 } from '../../helpers/builders.js';

const offsets = [hours(24), hours(1)];

describe('dueReminder', () => {
  it.each([
    { label: 'nothing is due 2 days before expiry', now: at(hours(24)), floor: null, due: undefined },
    {
      label: 'the 24h reminder is due 24 hours before expiry',
      now: at(hours(48)),
      floor: null,
      due: hours(24),
    },
    { label: 'the 24h reminder is not repeated', now: at(hours(50)), floor: hours(24), due: undefined },
    { label: 'the 1h reminder follows the 24h one', now: at(hours(71)), floor: hours(24), due: hours(1) },
    {
      label: 'only the most urgent is sent when both are due',
      now: at(hours(71.5)),
      floor: null,
      due: hours(1),
    },
    { label: 'no reminder once the approval has expired', now: at(hours(72)), floor: null, due: undefined },
  ])('$label', ({ now, floor, due }) => {
    const approval = aTrackedApproval({ reminderFloorMs: floor });

    expect(dueReminder(approval, offsets, now)).toBe(due);
  });

  it('skips offsets that were already past when tracking started', () => {
    const approval = aTrackedApproval({ trackedAt: at(hours(60)) });

    expect(dueReminder(approval, offsets, at(hours(61)))).toBeUndefined();
    expect(dueReminder(approval, offsets, at(hours(71)))).toBe(hours(1));
  });

  it('sends nothing for an approval that has ended', () => {
    const approval = aTrackedApproval({ status: 'confirmed' });

    expect(dueReminder(approval, offsets, at(hours(71)))).toBeUndefined();
  });

  it('sends nothing when no offsets are configured', () => {
    expect(dueReminder(aTrackedApproval(), [], at(hours(71)))).toBeUndefined();
  });

  it('treats the exact moment an offset is reached as due', () => {
    expect(dueReminder(aTrackedApproval({ trackedAt: t0 }), offsets, at(hours(48)))).toBe(hours(24));
  });
});
