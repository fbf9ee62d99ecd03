import type { Clock } from '../clock.js';
import type { TrackedApproval, WorkspaceId } from '../domain/approval.js';
import { countdownRefreshAt, earliest } from '../domain/countdown.js';
import { homeEffect, priorities } from '../domain/effects.js';
import type { Logger } from '../logger.js';
import type { SlackDelivery, SlackDirectory } from '../ports/slack.js';
import type { ApprovalsPort, ClaimedEffect, HomeViewsPort, OutboxPort } from '../ports/store.js';
import { done, type EffectResult, slackRetry } from './effect-result.js';

export interface HomeDeps {
  readonly approvals: Pick<ApprovalsPort, 'get' | 'listForHome'>;
  readonly homes: Pick<HomeViewsPort, 'opened' | 'recentViewers' | 'published'>;
  readonly outbox: Pick<OutboxPort, 'enqueue'>;
  readonly slack: Pick<SlackDelivery, 'publishHome' | 'explain'>;
  readonly directory: SlackDirectory;
  readonly clock: Clock;
  readonly log: Logger;
}

/** How far back App Home lists outcomes. */
const outcomesWindowMs = 14 * 24 * 3_600_000;
/** The most a tab lists; it shows the soonest to expire first (messages/home.ts). */
const maxShown = 25;

/** Someone opened the app's Home tab: remember them and publish a fresh view at once. */
export async function openHome(deps: HomeDeps, workspaceId: WorkspaceId, userId: string): Promise<void> {
  const now = deps.clock.now();
  await deps.homes.opened(workspaceId, userId, now, [homeEffect(workspaceId, userId, priorities.waiting)]);
}

/**
 * The `homes` effect: an approval was posted, gained its context or ended, so the Home tabs of everyone who
 * sees it (its requester and its channel's members) are republished, for people who opened the tab lately.
 */
export async function refreshAudience(
  deps: HomeDeps,
  claimed: ClaimedEffect<'homes'>,
): Promise<EffectResult> {
  const approval = await deps.approvals.get(claimed.effect.approvalId);
  if (approval === undefined) return { kind: 'dropped', reason: 'approval not tracked' };
  const audience = new Set<string>();
  if (approval.requester.kind === 'slack') audience.add(approval.requester.userId);
  try {
    for (const member of await deps.directory.channelMembers(approval.channelId)) audience.add(member);
  } catch (error) {
    const info = deps.slack.explain(error);
    if (info.failure === 'rate-limited' || info.failure === 'unavailable') return slackRetry(info);
    deps.log.warn(
      { code: info.code, channel: approval.channelId },
      'cannot read channel members for App Home',
    );
  }
  const now = deps.clock.now();
  const viewers = await deps.homes.recentViewers(approval.workspaceId, [...audience], now);
  await deps.outbox.enqueue(
    viewers.map((userId) => homeEffect(approval.workspaceId, userId, priorities.routine)),
    now,
  );
  return done;
}

/** The `home` effect: renders and publishes one person's Home tab from the store. */
export async function publishHome(deps: HomeDeps, claimed: ClaimedEffect<'home'>): Promise<EffectResult> {
  const { userId } = claimed.effect;
  const workspaceId = claimed.workspaceId;
  const now = deps.clock.now();
  try {
    const approvals = await deps.approvals.listForHome(
      workspaceId,
      new Date(now.getTime() - outcomesWindowMs),
    );
    const visible = await visibleTo(deps, userId, approvals);
    const pending = visible.filter((approval) => approval.status === 'pending');
    const outcomes = visible.filter((approval) => approval.status !== 'pending');
    await deps.slack.publishHome(userId, { pending, outcomes }, now);
    // Republished when the first countdown it shows changes (each changes at most once an hour).
    const shown = [...pending]
      .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime())
      .slice(0, maxShown);
    await deps.homes.published(
      workspaceId,
      userId,
      earliest(shown.map((approval) => countdownRefreshAt(approval, now))),
    );
    return done;
  } catch (error) {
    const info = deps.slack.explain(error);
    deps.log.warn({ userId, code: info.code }, 'App Home not published; will retry');
    return slackRetry(info, { always: true });
  }
}

/**
 * What this person sees: approvals they asked for, or whose card is in a channel they are in. One membership
 * lookup per channel (cached); a failed lookup fails the publish, which is retried: a view silently missing
 * approvals would be worse than a late one.
 */
async function visibleTo(
  deps: HomeDeps,
  userId: string,
  approvals: readonly TrackedApproval[],
): Promise<TrackedApproval[]> {
  const channels = [...new Set(approvals.map((approval) => approval.channelId))];
  const memberships = await Promise.all(channels.map((channel) => deps.directory.channelMembers(channel)));
  const inChannel = new Map(channels.map((channel, index) => [channel, memberships[index]]));
  return approvals.filter(
    (approval) =>
      (approval.requester.kind === 'slack' && approval.requester.userId === userId) ||
      inChannel.get(approval.channelId)?.has(userId) === true,
  );
}
