import { z } from 'zod';
import { renderOutcome } from '../../slack/messages/direct.js';
import type { Effect } from '../../store/store.js';
import { type EffectResult, type JobDeps, retryIfTransient } from '../deps.js';

const OutcomePayload = z.object({ status: z.enum(['confirmed', 'declined', 'expired']) });

/** Closes the loop: the requester learns how it ended without having to look. */
export async function sendOutcome(deps: JobDeps, effect: Effect): Promise<EffectResult> {
  const { status } = OutcomePayload.parse(effect.payload);
  const approval = effect.approvalId === null ? undefined : await deps.store.getApproval(effect.approvalId);
  if (approval === undefined) return { kind: 'dropped', reason: 'approval not tracked' };
  if (approval.requester.kind !== 'slack') return { kind: 'dropped', reason: 'no Slack requester to tell' };
  try {
    await deps.slack.sendDirectMessage(approval.requester.userId, renderOutcome(approval, status));
  } catch (error) {
    return retryIfTransient(error);
  }
  await deps.store.appendAudit(
    [
      {
        approvalId: approval.id,
        milestoneId: approval.milestoneId,
        actor: 'countersign',
        action: 'outcome-sent',
        detail: { status, to: approval.requester.userId },
      },
    ],
    deps.clock.now(),
  );
  return { kind: 'done' };
}
