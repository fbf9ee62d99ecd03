import { isTerminal, type TrackedApproval } from '../approvals/types.js';
import { backoffDelay } from '../backoff.js';
import { type SlackFailure, toSlackCallError } from '../slack/gateway.js';
import { countdownRefreshAt, renderCard } from '../slack/messages/card.js';
import { renderCardArrived } from '../slack/messages/direct.js';
import type { JobDeps } from './deps.js';
import { notifyEffect } from './effects/notify.js';
import { homeAudience } from './home.js';

export type CardOutcome =
  | { readonly kind: 'posted' | 'updated' }
  | { readonly kind: 'failed'; readonly failure: SlackFailure }
  /** Another worker holds the card, or it is not due. */
  | { readonly kind: 'busy' };

/**
 * Makes a claimed approval's card show its current version: post it when it has never been posted, edit it
 * otherwise. The ts is saved the moment Slack returns it, before anything else, so a crash cannot lead to a
 * second card.
 */
export async function syncCard(deps: JobDeps, approval: TrackedApproval): Promise<CardOutcome> {
  const { store, slack, clock } = deps;
  const log = deps.log.child({ approvalId: approval.id });
  const renderedAt = clock.now();
  const message = renderCard(approval, renderedAt);
  const refreshAt = countdownRefreshAt(approval, renderedAt);
  try {
    if (approval.card.ts === null || approval.card.channelId === null) {
      const posted = await slack.postMessage(approval.channelId, message);
      const synced = {
        channelId: posted.channel,
        ts: posted.ts,
        version: approval.version,
        refreshAt,
      };
      if (!(await store.recordCardSynced(approval.id, deps.workerId, synced, clock.now()))) {
        // Another worker's card won (our lease ran out mid-post): take ours down so only one stays live.
        log.warn({ ts: posted.ts }, 'a second card was posted by a worker that lost its lease; deleting it');
        await slack.deleteMessage(posted.channel, posted.ts).catch((error: unknown) => {
          log.error({ err: error, ts: posted.ts }, 'could not delete the extra card');
        });
        return { kind: 'busy' };
      }
      const permalink = await slack.permalink(posted.channel, posted.ts).catch((error: unknown) => {
        log.warn({ err: error }, 'could not fetch the card permalink');
        return null;
      });
      if (permalink !== null) await store.recordCardPermalink(approval.id, posted.ts, permalink);
      await store.appendAudit(
        [
          {
            approvalId: approval.id,
            milestoneId: approval.milestoneId,
            actor: 'countersign',
            action: 'card-posted',
            detail: { channel: posted.channel, ts: posted.ts },
          },
        ],
        clock.now(),
      );
      if (approval.card.attempts > 0 && approval.requester.kind === 'slack') {
        // The requester was told the card was stuck; tell them it is there now.
        const arrived = renderCardArrived(approval, permalink);
        await store.enqueueEffects(
          [
            notifyEffect(
              `card-arrived:${approval.id}`,
              approval.id,
              { userId: approval.requester.userId },
              arrived,
            ),
          ],
          clock.now(),
        );
      }
      log.info({ channel: posted.channel, version: approval.version }, 'card posted');
      await refreshHomes(deps, approval);
      return { kind: 'posted' };
    }
    await slack.updateMessage(approval.card.channelId, approval.card.ts, message);
    await store.recordCardSynced(
      approval.id,
      deps.workerId,
      {
        channelId: approval.card.channelId,
        ts: approval.card.ts,
        version: approval.version,
        refreshAt,
      },
      clock.now(),
    );
    log.info({ version: approval.version, status: approval.status }, 'card updated');
    // After the first post, only the outcome changes what App Home lists (it counts down by itself).
    if (isTerminal(approval.status)) await refreshHomes(deps, approval);
    return { kind: 'updated' };
  } catch (error) {
    const failure = toSlackCallError(error);
    const delay = cardRetryDelay(failure.failure, approval.card.attempts, failure.retryAfterMs);
    await store.recordCardFailure(approval.id, deps.workerId, {
      error: failure.code,
      nextAttemptAt: new Date(clock.now().getTime() + delay),
      forgetCard: failure.failure === 'message-not-found',
    });
    const level = failure.transient ? 'warn' : 'error';
    log[level]({ code: failure.code, retryInMs: delay }, 'card not synced; will retry');
    return { kind: 'failed', failure: failure.failure };
  }
}

/** The card changed, so the App Home tabs that list it are stale. Never fails the card itself. */
async function refreshHomes(deps: JobDeps, approval: TrackedApproval): Promise<void> {
  try {
    await deps.store.markHomesStale(await homeAudience(deps, approval), deps.clock.now());
  } catch (error) {
    deps.log.warn({ err: error, approvalId: approval.id }, 'could not mark App Home tabs stale');
  }
}

/**
 * Slack outages heal in seconds to minutes; a channel the bot is not in heals when someone invites it, so it
 * is retried on a slow, steady beat; a deleted card is re-posted at once.
 */
export function cardRetryDelay(
  failure: SlackFailure,
  attempts: number,
  retryAfterMs: number | undefined,
): number {
  switch (failure) {
    case 'rate-limited':
      return retryAfterMs ?? backoffDelay(attempts, { baseMs: 2_000, maxMs: 60_000 });
    case 'unavailable':
    case 'expired-url':
      return backoffDelay(attempts, { baseMs: 1_000, maxMs: 5 * 60_000 });
    case 'not-in-channel':
    case 'channel-not-found':
      return backoffDelay(attempts, { baseMs: 30_000, maxMs: 5 * 60_000 });
    case 'message-not-found':
      return 0;
    case 'rejected':
      return backoffDelay(attempts, { baseMs: 60_000, maxMs: 30 * 60_000 });
  }
}
