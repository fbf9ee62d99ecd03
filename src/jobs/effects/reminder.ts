import { z } from 'zod';
import { renderReminder } from '../../slack/messages/direct.js';
import type { Effect } from '../../store/store.js';
import { type EffectResult, type JobDeps, retryIfTransient } from '../deps.js';

const ReminderPayload = z.object({ offsetMs: z.number() });

/** DMs the requester before expiry. Re-checks the approval first: an ended one gets no reminder. */
export async function sendReminder(deps: JobDeps, effect: Effect): Promise<EffectResult> {
  const { offsetMs } = ReminderPayload.parse(effect.payload);
  const approval = effect.approvalId === null ? undefined : await deps.store.getApproval(effect.approvalId);
  if (approval === undefined) return { kind: 'dropped', reason: 'approval not tracked' };
  const now = deps.clock.now();
  if (approval.status !== 'pending') return { kind: 'dropped', reason: `approval is ${approval.status}` };
  if (approval.expiresAt <= now) return { kind: 'dropped', reason: 'approval has lapsed' };
  if (approval.requester.kind !== 'slack') return { kind: 'dropped', reason: 'no Slack requester to remind' };
  try {
    await deps.slack.sendDirectMessage(approval.requester.userId, renderReminder(approval, now));
  } catch (error) {
    return retryIfTransient(error);
  }
  await deps.store.appendAudit(
    [
      {
        approvalId: approval.id,
        milestoneId: approval.milestoneId,
        actor: 'countersign',
        action: 'reminder-sent',
        detail: { offsetMs, to: approval.requester.userId },
      },
    ],
    now,
  );
  return { kind: 'done' };
}
