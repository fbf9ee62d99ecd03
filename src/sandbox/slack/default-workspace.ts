import type { ChannelInput, UsergroupInput, UserInput } from './types.js';

/** Ids of the default workspace, so tests and the sandbox can name people and channels without string literals. */
export const sandboxIds = {
  team: 'T0SANDBOX',
  botUser: 'UBOT',
  bot: 'BBOT',
  app: 'A0COUNTERSIGN',
  alice: 'U0ALICE',
  bob: 'U0BOB',
  carol: 'U0CAROL',
  dan: 'U0DAN',
  financeApprovals: 'C0FINANCE',
  projectX: 'C0PROJECTX',
  secretOps: 'C0SECRETOPS',
  oldApprovals: 'C0OLDAPPROVALS',
  financeGroup: 'S0FINANCE',
} as const;

export interface WorkspaceSeed {
  team: { name: string; domain: string };
  users: UserInput[];
  channels: ChannelInput[];
  usergroups: UsergroupInput[];
}

const ids = sandboxIds;

/**
 * A small workspace that covers every posting rule the bot meets: a public channel the bot is in, a public one it
 * isn't (chat:write.public lets it post), a private one it isn't (not_in_channel) and an archived one (is_archived).
 */
export const defaultWorkspace: WorkspaceSeed = {
  team: { name: 'OpenTrain Sandbox', domain: 'opentrain-sandbox' },
  users: [
    {
      id: ids.alice,
      name: 'alice',
      realName: 'Alice Finch (Finance lead)',
      tz: 'Europe/London',
      isAdmin: true,
    },
    { id: ids.bob, name: 'bob', realName: 'Bob Mercer (PM)', tz: 'America/New_York' },
    { id: ids.carol, name: 'carol', realName: 'Carol Osei (Finance)', tz: 'Africa/Lagos' },
    { id: ids.dan, name: 'dan', realName: 'Dan Ito (Engineer)', tz: 'Asia/Tokyo' },
  ],
  channels: [
    {
      id: ids.financeApprovals,
      name: 'finance-approvals',
      members: [ids.alice, ids.bob, ids.carol],
      botIsMember: true,
    },
    { id: ids.projectX, name: 'project-x', members: [ids.bob, ids.dan] },
    { id: ids.secretOps, name: 'secret-ops', isPrivate: true, members: [ids.alice, ids.bob] },
    {
      id: ids.oldApprovals,
      name: 'old-approvals',
      members: [ids.alice, ids.bob],
      botIsMember: true,
      isArchived: true,
    },
  ],
  usergroups: [{ id: ids.financeGroup, handle: 'finance', name: 'Finance', users: [ids.alice, ids.carol] }],
};

/** For tests that want to build their own world from nothing. */
export const emptyWorkspace: WorkspaceSeed = {
  team: { name: 'Empty Sandbox', domain: 'empty-sandbox' },
  users: [],
  channels: [],
  usergroups: [],
};
