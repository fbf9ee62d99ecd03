import { z } from 'zod';
import { renderThreadOutcome, renderThreadReminder } from '../../slack/messages/notices.js';
import type { Effect } from '../../store/store.js';
import { type EffectResult, type JobDeps, retryIfTransient } from '../deps.js';

const ThreadPayload = z.object({ purpose: z.enum(['outcome', 'reminder']) });

/** A reply in the card's thread: the outcome, or the last reminder mentioning the approvers. */
export async function postInThread(deps: JobDeps, effect: Effect): Promise<EffectResult> {
  const { purpose } = ThreadPayload.parse(effect.payload);
  const approval = effect.approvalId === null ? undefined : await deps.store.getApproval(effect.approvalId);
  if (approval === undefined) return { kind: 'dropped', reason: 'approval not tracked' };
  const now = deps.clock.now();
  if (purpose === 'reminder' && (approval.status !== 'pending' || approval.expiresAt <= now)) {
    return { kind: 'dropped', reason: `approval is ${approval.status}` };
  }
  if (approval.card.ts === null || approval.card.channelId === null) {
    // The card is not in Slack yet (its own retries are under way); the thread waits for it.
    return { kind: 'retry', error: 'card not posted yet' };
  }
  const message = purpose === 'outcome' ? renderThreadOutcome(approval) : renderThreadReminder(approval, now);
  try {
    await deps.slack.postMessage(approval.card.channelId, message, approval.card.ts);
  } catch (error) {
    return retryIfTransient(error);
  }
  return { kind: 'done' };
}
