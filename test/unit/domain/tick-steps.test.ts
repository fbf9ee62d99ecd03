import { describe, expect, it } from 'vitest';
import type { TickAction } from '../../../src/domain/plan-tick.js';
import { tickSteps } from '../../../src/domain/tick-steps.js';
import { t0 } from '../../helpers/builders.js';
import { anAdvance, anEnd, named } from './tick-builders.js';

const end = (n: number): TickAction =>
  anEnd(`A-${n}`, { status: 'confirmed', resolvedAt: t0, source: `opentrain:event:${n}` });
const ends = (from: number, to: number): TickAction[] =>
  Array.from({ length: to - from + 1 }, (_, index) => end(from + index));
const remind: TickAction = { kind: 'remind', approvalId: 'A-9', offsetMs: 3_600_000, effects: [] };

/** A step as the approval ids it ends, or the kind of its one action. */
function shape(actions: readonly TickAction[], maxEnds: number): (string | string[])[] {
  return tickSteps(actions, maxEnds).map((step) =>
    step.kind === 'ends' ? step.actions.map((action) => action.approvalId) : step.action.kind,
  );
}

describe('tickSteps', () => {
  it.each(
    named([
      { label: 'an empty plan has no steps', actions: [], maxEnds: 3, steps: [] },
      {
        label: "a page's ends go together, and its cursor move follows them on its own",
        actions: [...ends(1, 3), anAdvance(null, '1')],
        maxEnds: 3,
        steps: [['A-1', 'A-2', 'A-3'], 'advance-cursor'],
      },
      {
        label: 'a run longer than the bound is cut into steps of at most the bound, in order',
        actions: ends(1, 7),
        maxEnds: 3,
        steps: [['A-1', 'A-2', 'A-3'], ['A-4', 'A-5', 'A-6'], ['A-7']],
      },
      {
        label: 'ends on either side of a cursor move are never in one step',
        actions: [end(1), anAdvance(null, '1'), end(2), anAdvance('1', '2')],
        maxEnds: 3,
        steps: [['A-1'], 'advance-cursor', ['A-2'], 'advance-cursor'],
      },
      {
        label: 'every action other than an end is a step of its own',
        actions: [anAdvance(null, '1'), remind, remind, ...ends(1, 2)],
        maxEnds: 3,
        steps: ['advance-cursor', 'remind', 'remind', ['A-1', 'A-2']],
      },
      {
        label: 'with a bound of one, each end is a step of its own',
        actions: ends(1, 2),
        maxEnds: 1,
        steps: [['A-1'], ['A-2']],
      },
    ]),
  )('%s', (_, { actions, maxEnds, steps }) => {
    expect(shape(actions, maxEnds)).toEqual(steps);
  });

  it('keeps every action of the plan, each once, in the order planned', () => {
    const actions = [...ends(1, 5), anAdvance(null, '1'), remind, ...ends(6, 8)];

    const flat = tickSteps(actions, 2).flatMap((step): TickAction[] =>
      step.kind === 'ends' ? [...step.actions] : [step.action],
    );

    expect(flat).toEqual(actions);
  });
});
