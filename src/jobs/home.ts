import type { TrackedApproval } from '../approvals/types.js';
import { backoffDelay } from '../backoff.js';
import { toSlackCallError } from '../slack/gateway.js';
import { countdownRefreshAt } from '../slack/messages/card.js';
import { renderHome, shownPending } from '../slack/messages/home.js';
import type { HomeView } from '../store/store.js';
import type { JobDeps } from './deps.js';

const outcomesWindowMs = 14 * 24 * 3_600_000;

/** Who sees an approval on their Home tab: its requester and the members of its card's channel. */
export async function homeAudience(deps: JobDeps, approval: TrackedApproval): Promise<string[]> {
  const audience = new Set<string>();
  if (approval.requester.kind === 'slack') audience.add(approval.requester.userId);
  try {
    for (const member of await deps.membership.channelMembers(approval.channelId)) audience.add(member);
  } catch (error) {
    deps.log.warn({ err: error, channel: approval.channelId }, 'could not read channel members for App Home');
  }
  return [...audience];
}

/** Renders and publishes one person's App Home tab from the store. */
export async function publishHome(deps: JobDeps, home: HomeView): Promise<void> {
  const now = deps.clock.now();
  try {
    const approvals = await deps.store.listForHome(new Date(now.getTime() - outcomesWindowMs), 500);
    // One membership lookup per channel (cached across publishes). A failed lookup fails the publish, which
    // is retried: a view silently missing approvals would be worse than a late one.
    const channels = [...new Set(approvals.map((approval) => approval.channelId))];
    const memberships = await Promise.all(channels.map((channel) => deps.membership.channelMembers(channel)));
    const inChannel = new Map(channels.map((channel, index) => [channel, memberships[index]]));
    const visible = approvals.filter(
      (approval) =>
        (approval.requester.kind === 'slack' && approval.requester.userId === home.userId) ||
        inChannel.get(approval.channelId)?.has(home.userId) === true,
    );
    const pending = visible.filter((approval) => approval.status === 'pending');
    await deps.slack.publishHome(
      home.userId,
      renderHome({ pending, outcomes: visible.filter((approval) => approval.status !== 'pending'), now }),
    );
    // Republished when the first countdown it shows changes (each changes at most once an hour).
    const soonest = Math.min(
      ...shownPending(pending).map((approval) => countdownRefreshAt(approval, now)?.getTime() ?? Infinity),
    );
    const refreshAt = Number.isFinite(soonest) ? new Date(soonest) : null;
    await deps.store.recordHomePublished(home.userId, deps.workerId, home.version, refreshAt);
  } catch (error) {
    const failure = toSlackCallError(error);
    const delay = failure.retryAfterMs ?? backoffDelay(home.attempts, { baseMs: 2_000, maxMs: 10 * 60_000 });
    deps.log.warn(
      { userId: home.userId, code: failure.code, retryInMs: delay },
      'App Home not published; will retry',
    );
    await deps.store.recordHomeFailure(
      home.userId,
      deps.workerId,
      failure.code,
      new Date(now.getTime() + delay),
    );
  }
}
