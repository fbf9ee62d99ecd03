import type { TickAction } from './plan-tick.js';

type EndAction = Extract<TickAction, { kind: 'end' }>;

/** One transaction of the act step: a run of approvals ended together, or any other action on its own. */
export type TickStep =
  | { readonly kind: 'ends'; readonly actions: readonly EndAction[] }
  | { readonly kind: 'one'; readonly action: Exclude<TickAction, EndAction> };

/**
 * How the act step applies a plan, in the plan's order: consecutive `end` actions go together, at most
 * `maxEnds` to a step (a commit is most of what ending one approval costs, and a bounded batch keeps the
 * event loop free between them); every other action is a step of its own. A step is one transaction, so a
 * failure leaves the plan applied up to a step boundary, and the cursor's move (a step of its own, after its
 * page's ends) never passes an end that did not apply.
 */
export function tickSteps(actions: readonly TickAction[], maxEnds: number): TickStep[] {
  const steps: TickStep[] = [];
  let run: EndAction[] | undefined;
  for (const action of actions) {
    if (action.kind !== 'end') {
      run = undefined;
      steps.push({ kind: 'one', action });
    } else if (run !== undefined && run.length < maxEnds) {
      run.push(action);
    } else {
      run = [action];
      steps.push({ kind: 'ends', actions: run });
    }
  }
  return steps;
}
