import type { SlackDirectory as Membership } from '../ports/slack.js';

export type RequestVerdict = 'allowed' | 'refused' | 'unknown';

export interface Permissions {
  readonly admins: readonly string[];
  readonly requesterUsers: readonly string[];
  readonly requesterUsergroups: readonly string[];
  isAdmin(userId: string): boolean;
  /** 'unknown' when Slack could not say whether the person is in an allowed user group. */
  mayRequest(userId: string): Promise<RequestVerdict>;
}

/** ADMIN_USERS manage routes; REQUESTER_USERS / REQUESTER_USERGROUPS, when either is set, limit who may request. */
export function createPermissions(
  settings: {
    adminUsers: readonly string[];
    requesterUsers: readonly string[];
    requesterUsergroups: readonly string[];
  },
  membership: Membership,
): Permissions {
  return {
    admins: settings.adminUsers,
    requesterUsers: settings.requesterUsers,
    requesterUsergroups: settings.requesterUsergroups,
    isAdmin: (userId) => settings.adminUsers.includes(userId),
    async mayRequest(userId) {
      if (settings.requesterUsers.length === 0 && settings.requesterUsergroups.length === 0) return 'allowed';
      if (settings.requesterUsers.includes(userId)) return 'allowed';
      let unknown = false;
      for (const group of settings.requesterUsergroups) {
        try {
          if ((await membership.usergroupMembers(group)).has(userId)) return 'allowed';
        } catch {
          unknown = true;
        }
      }
      // Fail closed: a person we could not check is not let through, but is told to try again.
      return unknown ? 'unknown' : 'refused';
    },
  };
}
