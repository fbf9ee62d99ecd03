import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { EffectContext } from '../delivery/runner.js';
import { effectKeys, type Reply } from '../domain/effects.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { ReplyContent, SlackDelivery } from '../ports/slack.js';
import type { ApprovalsPort, AuditPort, ClaimedEffect, OutboxPort, RoutesPort } from '../ports/store.js';
import { done, type EffectResult, slackRetry } from './effect-result.js';
import { lookBeforeResending } from './look-before-resending.js';

export interface MessageDeps {
  readonly approvals: Pick<ApprovalsPort, 'get'>;
  readonly routes: Pick<RoutesPort, 'list'>;
  readonly outbox: Pick<OutboxPort, 'find'>;
  readonly audit: Pick<AuditPort, 'append'>;
  readonly slack: Pick<
    SlackDelivery,
    'respond' | 'replyByDirect' | 'sendDirect' | 'postInThread' | 'postNotice' | 'findSent' | 'explain'
  >;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Pick<Metrics, 'reminderSent'>;
}

/** Slack honours a response_url for 30 minutes; stop a little earlier and DM instead. */
const responseUrlLifetimeMs = 29 * 60_000;

/** What a reply needs to be rendered now: the approval it is about, the routes, why its card is late. */
async function replyContent(deps: MessageDeps, workspaceId: string, reply: Reply): Promise<ReplyContent> {
  switch (reply.kind) {
    case 'funding-requested': {
      const card = await deps.outbox.find(effectKeys.card(reply.approvalId));
      const approval = await deps.approvals.get(reply.approvalId);
      return { reply, ...(approval === undefined ? {} : { approval }), cardError: card?.lastError ?? null };
    }
    case 'already-pending': {
      const card = await deps.outbox.find(effectKeys.card(reply.approvalId));
      const approval = await deps.approvals.get(reply.approvalId);
      const cardError = approval?.card.ts === null ? (card?.lastError ?? null) : null;
      return { reply, ...(approval === undefined ? {} : { approval }), cardError };
    }
    case 'routes':
    case 'route-saved':
      return { reply, routes: await deps.routes.list(workspaceId) };
    default:
      return { reply };
  }
}

/**
 * What a request's reply recorded of itself: that a message went (or may have gone) through its response_url,
 * so the next one replaces it instead of adding a second.
 */
const ReplyProgress = z
  .object({ shown: z.literal(true) })
  .nullable()
  .catch(null);

/**
 * A private reply to the person who asked: through the command's response_url while it is fresh, otherwise,
 * or when Slack refuses it, as a DM. One request leaves one message: the command is acknowledged with no
 * message at all (Slack never lets a response_url replace the acknowledgement's), the outcome is this
 * reply's only message, and when a progress line went first through the response_url, the outcome replaces
 * it there (`replace_original`). A progress line never goes by DM.
 */
export async function sendReply(
  deps: MessageDeps,
  claimed: ClaimedEffect<'reply'>,
  context: EffectContext,
): Promise<EffectResult> {
  const { to, reply } = claimed.effect;
  const now = deps.clock.now();
  const content = await replyContent(deps, claimed.workspaceId, reply);
  const fresh = to.responseUrl !== null && now.getTime() - to.requestedAt.getTime() < responseUrlLifetimeMs;
  const progressLine = reply.kind === 'working';
  if (fresh) {
    const replaceOriginal = ReplyProgress.parse(claimed.progress) !== null;
    try {
      // Recorded before sending: a message that may have landed is replaced, never added to.
      if (!replaceOriginal) await context.checkpoint({ shown: true });
      await deps.slack.respond(to, content, now, { replaceOriginal });
      return done;
    } catch (error) {
      const info = deps.slack.explain(error);
      // Replacing is idempotent, so a failed attempt is simply made again.
      if (info.failure === 'rate-limited' || info.failure === 'unavailable') {
        return progressLine ? { kind: 'dropped', reason: `response_url: ${info.code}` } : slackRetry(info);
      }
      deps.log.info({ code: info.code }, 'response_url refused the reply; sending a DM instead');
    }
  }
  if (progressLine) return { kind: 'dropped', reason: 'no fresh response_url for a progress line' };
  const looked = await lookBeforeResending(deps, claimed, { userId: to.userId });
  if (looked.kind === 'retry') return looked.result;
  if (looked.kind === 'found') return done;
  try {
    await deps.slack.replyByDirect(to, content, now, claimed.key);
    return done;
  } catch (error) {
    return slackRetry(deps.slack.explain(error));
  }
}

/** A DM to the requester about an approval: a reminder (only while it can still be acted on), the outcome, or that its card arrived. */
export async function sendDirect(deps: MessageDeps, claimed: ClaimedEffect<'dm'>): Promise<EffectResult> {
  const { approvalId, userId, message } = claimed.effect;
  const approval = await deps.approvals.get(approvalId);
  if (approval === undefined) return { kind: 'dropped', reason: 'approval not tracked' };
  const now = deps.clock.now();
  if (message.about === 'reminder') {
    if (approval.status !== 'pending') return { kind: 'dropped', reason: `approval is ${approval.status}` };
    if (approval.expiresAt <= now) return { kind: 'dropped', reason: 'approval has lapsed' };
  }
  const looked = await lookBeforeResending(deps, claimed, { userId });
  if (looked.kind === 'retry') return looked.result;
  if (looked.kind === 'absent') {
    try {
      await deps.slack.sendDirect(userId, { message, approval }, now, claimed.key);
    } catch (error) {
      return slackRetry(deps.slack.explain(error));
    }
  }
  if (message.about === 'card-arrived') return done;
  if (message.about === 'reminder') deps.metrics.reminderSent();
  const action = message.about === 'reminder' ? 'reminder-sent' : 'outcome-sent';
  const detail =
    message.about === 'reminder'
      ? { offsetMs: message.offsetMs, to: userId }
      : { status: message.status, to: userId };
  await deps.audit.append(
    [{ approvalId, milestoneId: approval.milestoneId, actor: 'countersign', action, detail }],
    now,
  );
  return done;
}

/** A reply in the card's thread: the outcome, or the last reminder mentioning the approvers. */
export async function sendToThread(
  deps: MessageDeps,
  claimed: ClaimedEffect<'thread'>,
): Promise<EffectResult> {
  const { approvalId, purpose } = claimed.effect;
  const approval = await deps.approvals.get(approvalId);
  if (approval === undefined) return { kind: 'dropped', reason: 'approval not tracked' };
  const now = deps.clock.now();
  if (purpose === 'reminder' && (approval.status !== 'pending' || approval.expiresAt <= now)) {
    return { kind: 'dropped', reason: `approval is ${approval.status}` };
  }
  const { channelId, ts } = approval.card;
  if (ts === null || channelId === null) {
    // The card is not in Slack yet (its own retries are under way); the thread waits for it.
    return { kind: 'retry', reason: 'waiting', error: 'card not posted yet', uncertain: false };
  }
  const looked = await lookBeforeResending(deps, claimed, { channelId, threadTs: ts });
  if (looked.kind === 'retry') return looked.result;
  if (looked.kind === 'found') return done;
  try {
    await deps.slack.postInThread(approval, { channelId, ts }, purpose, now, claimed.key);
    return done;
  } catch (error) {
    return slackRetry(deps.slack.explain(error));
  }
}

/** A message in a channel that is not about one approval (what an autofund rule could not do). */
export async function sendNotice(deps: MessageDeps, claimed: ClaimedEffect<'notice'>): Promise<EffectResult> {
  const { channelId, notice } = claimed.effect;
  const looked = await lookBeforeResending(deps, claimed, { channelId });
  if (looked.kind === 'retry') return looked.result;
  if (looked.kind === 'found') return done;
  try {
    await deps.slack.postNotice(channelId, notice, claimed.key);
    return done;
  } catch (error) {
    return slackRetry(deps.slack.explain(error));
  }
}
