import type { Clock } from '../clock.js';
import type { TrackedApproval } from '../domain/approval.js';
import { countdownRefreshAt } from '../domain/countdown.js';
import { dmEffect, homesEffect, priorities } from '../domain/effects.js';
import type { Logger } from '../logger.js';
import type { SentMessage, SlackDelivery } from '../ports/slack.js';
import type { ApprovalsPort, AuditPort, ClaimedEffect, OutboxPort } from '../ports/store.js';
import { done, type EffectResult, slackRetry } from './effect-result.js';
import { lookBeforeResending } from './look-before-resending.js';

export interface CardDeps {
  readonly approvals: Pick<ApprovalsPort, 'get' | 'recordCard' | 'recordPermalink' | 'forgetCard'>;
  readonly outbox: Pick<OutboxPort, 'enqueue'>;
  readonly audit: Pick<AuditPort, 'append'>;
  readonly slack: Pick<
    SlackDelivery,
    'postCard' | 'editCard' | 'markDuplicate' | 'permalink' | 'findSent' | 'explain'
  >;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * The `card` effect: makes the approval's one card show its current version. Posted the first time (with a
 * look for an earlier, uncertain post first), edited in place afterwards. The card is rendered now, from the
 * approval as it is now, so a burst of changes costs one edit.
 */
export async function deliverCard(deps: CardDeps, claimed: ClaimedEffect<'card'>): Promise<EffectResult> {
  const approval = await deps.approvals.get(claimed.effect.approvalId);
  if (approval === undefined) return { kind: 'dropped', reason: 'approval not tracked' };
  const { card } = approval;
  if (card.ts !== null && card.channelId !== null && card.version >= approval.version) return done;
  const now = deps.clock.now();
  const log = deps.log.child({ approvalId: approval.id });
  try {
    if (card.ts === null || card.channelId === null) return await post(deps, claimed, approval, now);
    // Countdowns, lapses and late context: nobody waits on them, so they yield Slack's allowance after a 429.
    await deps.slack.editCard(approval, { channelId: card.channelId, ts: card.ts }, now, {
      background: claimed.priority >= priorities.routine,
    });
    const refreshAt = countdownRefreshAt(approval, now);
    await deps.approvals.recordCard(
      approval.id,
      { channelId: card.channelId, ts: card.ts, version: approval.version, refreshAt },
      now,
    );
    log.info({ version: approval.version, status: approval.status }, 'card updated');
    return done;
  } catch (error) {
    const info = deps.slack.explain(error);
    // A person deleted the card: the next attempt, at once, posts a fresh one.
    if (info.failure === 'message-not-found' && card.ts !== null)
      await deps.approvals.forgetCard(approval.id, card.ts);
    log[info.failure === 'rate-limited' || info.failure === 'unavailable' ? 'warn' : 'error'](
      { code: info.code },
      'card not delivered; will retry',
    );
    return slackRetry(info, { always: true });
  }
}

async function post(
  deps: CardDeps,
  claimed: ClaimedEffect<'card'>,
  approval: TrackedApproval,
  now: Date,
): Promise<EffectResult> {
  const looked = await lookBeforeResending(deps, claimed, { channelId: approval.channelId });
  if (looked.kind === 'retry') return looked.result;
  const posted =
    looked.kind === 'found' ? looked.message : await deps.slack.postCard(approval, now, claimed.key);
  const refreshAt = countdownRefreshAt(approval, now);
  // A copy an earlier attempt posted shows the version rendered then, maybe older than this one: it is recorded
  // as showing none, so it is edited to the current version below.
  const version = looked.kind === 'found' ? 0 : approval.version;
  const real = await deps.approvals.recordCard(approval.id, { ...posted, version, refreshAt }, now);
  if (real !== null) {
    // Another copy is already the card: ours becomes a pointer at it, so only one card is ever live.
    await markDuplicate(deps, approval, posted, real.permalink);
    return done;
  }
  const permalink = await deps.slack.permalink(posted).catch((error: unknown) => {
    deps.log.warn({ err: error, approvalId: approval.id }, 'could not fetch the card permalink');
    return null;
  });
  if (permalink !== null) await deps.approvals.recordPermalink(approval.id, posted.ts, permalink);
  // Copies an earlier attempt posted without being able to look first: the oldest is the card, they point at it.
  for (const extra of looked.kind === 'found' ? looked.extras : [])
    await markDuplicate(deps, approval, extra, permalink);
  await deps.audit.append(
    [
      {
        approvalId: approval.id,
        milestoneId: approval.milestoneId,
        actor: 'countersign',
        action: 'card-posted',
        detail: { channel: posted.channelId, ts: posted.ts },
      },
    ],
    now,
  );
  const effects = [homesEffect(approval.workspaceId, approval.id)];
  if (claimed.attempts > 1 && approval.requester.kind === 'slack') {
    // The requester was told the card was not there yet; tell them it is now.
    effects.push(
      dmEffect(approval.workspaceId, approval.id, approval.requester.userId, { about: 'card-arrived' }),
    );
  }
  await deps.outbox.enqueue(effects, now);
  deps.log.info({ approvalId: approval.id, channel: posted.channelId, version }, 'card posted');
  return looked.kind === 'found' ? deliverCard(deps, claimed) : done;
}

async function markDuplicate(
  deps: CardDeps,
  approval: TrackedApproval,
  duplicate: SentMessage,
  realPermalink: string | null,
): Promise<void> {
  deps.log.warn(
    { approvalId: approval.id, ts: duplicate.ts },
    'a second copy of a card was posted; pointing it at the real one',
  );
  await deps.slack.markDuplicate(approval, duplicate, realPermalink).catch((error: unknown) => {
    deps.log.error(
      { err: error, approvalId: approval.id, ts: duplicate.ts },
      'could not mark the extra card',
    );
  });
}
