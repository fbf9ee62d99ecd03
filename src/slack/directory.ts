import type { Clock } from '../clock.js';
import type { SlackDirectory } from '../ports/slack.js';
import type { SlackGateway } from './gateway.js';

/**
 * Who is in a channel or a user group, cached for a few minutes: permission checks sit on the 3-second ack
 * path and App Home renders for many people at once, while memberships change rarely.
 */
export function createDirectory(slack: SlackGateway, clock: Clock, ttlMs = 5 * 60_000): SlackDirectory {
  const cache = new Map<string, { at: number; members: Promise<ReadonlySet<string>> }>();

  function cached(key: string, load: () => Promise<string[]>): Promise<ReadonlySet<string>> {
    const now = clock.now().getTime();
    const hit = cache.get(key);
    if (hit !== undefined && now - hit.at < ttlMs) return hit.members;
    const members = load().then((list) => new Set(list));
    // A failed lookup is not cached: the next caller tries again.
    members.catch(() => cache.delete(key));
    cache.set(key, { at: now, members });
    if (cache.size > 1_000) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    return members;
  }

  return {
    channelMembers: (channelId) => cached(`channel:${channelId}`, () => slack.channelMembers(channelId)),
    usergroupMembers: (usergroupId) =>
      cached(`usergroup:${usergroupId}`, () => slack.usergroupMembers(usergroupId)),
  };
}
