import type { Clock } from '../clock.js';
import type { WorkspaceId } from '../domain/approval.js';
import { countdownRefreshAt, earliest } from '../domain/countdown.js';
import { homeEffect, priorities } from '../domain/effects.js';
import type { Logger } from '../logger.js';
import type { SlackDelivery, SlackDirectory } from '../ports/slack.js';
import type { ApprovalsPort, ClaimedEffect, HomeViewsPort, OutboxPort } from '../ports/store.js';
import { done, type EffectResult, slackRetry } from './effect-result.js';

export interface HomeDeps {
  readonly approvals: Pick<ApprovalsPort, 'get' | 'listCardChannels' | 'listForViewer'>;
  readonly homes: Pick<HomeViewsPort, 'opened' | 'recentViewers' | 'published'>;
  readonly outbox: Pick<OutboxPort, 'enqueue'>;
  readonly slack: Pick<SlackDelivery, 'publishHome' | 'explain'>;
  readonly directory: SlackDirectory;
  readonly clock: Clock;
  readonly log: Logger;
}

/** How far back App Home lists outcomes. */
const outcomesWindowMs = 14 * 24 * 3_600_000;
/** The most a tab lists, soonest to expire first, and how many outcomes (messages/home.ts). */
const maxShown = 25;
const maxOutcomes = 10;

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
    const endedSince = new Date(now.getTime() - outcomesWindowMs);
    const channelIds = await viewerChannels(deps, workspaceId, userId, endedSince);
    const { pending, pendingTotal, outcomes } = await deps.approvals.listForViewer(
      workspaceId,
      { userId, channelIds },
      endedSince,
      { pending: maxShown, outcomes: maxOutcomes },
    );
    await deps.slack.publishHome(userId, { pending, pendingTotal, outcomes }, now);
    // Republished when the first countdown it shows changes.
    await deps.homes.published(
      workspaceId,
      userId,
      earliest(pending.map((approval) => countdownRefreshAt(approval, now))),
    );
    return done;
  } catch (error) {
    const info = deps.slack.explain(error);
    deps.log.warn({ userId, code: info.code }, 'App Home not published; will retry');
    return slackRetry(info, { always: true });
  }
}

/**
 * The channels with pending cards this person is in: one membership lookup per channel (cached). A failed
 * lookup fails the publish, which is retried: a view silently missing approvals would be worse than a late one.
 */
async function viewerChannels(
  deps: HomeDeps,
  workspaceId: string,
  userId: string,
  endedSince: Date,
): Promise<string[]> {
  const channels = await deps.approvals.listCardChannels(workspaceId, endedSince);
  const memberships = await Promise.all(channels.map((channel) => deps.directory.channelMembers(channel)));
  return channels.filter((_channel, index) => memberships[index]?.has(userId) === true);
}
