import type { Clock } from '../../clock.js';
import type { WorkspaceSeed } from './default-workspace.js';
import type {
  ChannelInput,
  FakeChannel,
  FakeTeam,
  FakeUser,
  FakeUsergroup,
  UsergroupInput,
  UserInput,
} from './types.js';

export interface WorkspaceOptions {
  clock: Clock;
  teamId: string;
  botUserId: string;
  botId: string;
  appId: string;
  botName: string;
  seed: WorkspaceSeed;
  onChange: () => void;
}

/** Who is in the workspace and which conversations exist. Messages live in `conversations.ts`. */
export interface Workspace {
  readonly team: FakeTeam;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  addUser(input: UserInput): FakeUser;
  addChannel(input: ChannelInput): FakeChannel;
  addUsergroup(input: UsergroupInput): FakeUsergroup;
  user(id: string): FakeUser | undefined;
  /** A channel by id, or by name ("#finance-approvals" or "finance-approvals") as chat.postMessage allows. */
  channel(idOrName: string): FakeChannel | undefined;
  usergroup(id: string): FakeUsergroup | undefined;
  users(): FakeUser[];
  channels(): FakeChannel[];
  usergroups(): FakeUsergroup[];
  /** The id of the bot's DM with a user, which exists from the moment the user does (the app is installed). */
  dmChannelOf(userId: string): string | undefined;
  /** Marks the bot's DM with a user as opened; answers whether it already was (conversations.open's `already_open`). */
  openDm(userId: string): { channel: FakeChannel; alreadyOpen: boolean } | undefined;
  isMember(channelId: string, userId: string): boolean;
  /** Forgets which DMs were opened; people and channels stay. */
  resetConversations(): void;
}

export function createWorkspace(options: WorkspaceOptions): Workspace {
  const team: FakeTeam = { id: options.teamId, ...options.seed.team };
  const users = new Map<string, FakeUser>();
  const channels = new Map<string, FakeChannel>();
  const usergroups = new Map<string, FakeUsergroup>();
  const dmOf = new Map<string, string>();
  const openedDms = new Set<string>();

  function addUser(input: UserInput, isBot = false): FakeUser {
    // An unknown zone would only blow up later inside users.info; refuse it where the mistake is made.
    if (input.tz !== undefined) new Intl.DateTimeFormat('en-US', { timeZone: input.tz });
    const user: FakeUser = {
      id: input.id,
      name: input.name,
      realName: input.realName ?? input.name,
      tz: input.tz ?? 'UTC',
      isAdmin: input.isAdmin ?? false,
      isBot,
    };
    users.set(user.id, user);
    if (!isBot && !dmOf.has(user.id)) {
      // DM ids are derived from the user id so they are stable across resets and easy to read in a UI.
      const dmId = `D${user.id.slice(1)}`;
      dmOf.set(user.id, dmId);
      channels.set(dmId, {
        id: dmId,
        name: user.name,
        kind: 'im',
        members: [user.id, options.botUserId],
        isArchived: false,
        created: options.clock.now(),
        imUser: user.id,
      });
    }
    options.onChange();
    return user;
  }

  function addChannel(input: ChannelInput): FakeChannel {
    const members = new Set(input.members ?? []);
    if (input.botIsMember === true) members.add(options.botUserId);
    const channel: FakeChannel = {
      id: input.id,
      name: input.name.replace(/^#/, ''),
      kind: input.isPrivate === true ? 'private' : 'public',
      members: [...members],
      isArchived: input.isArchived ?? false,
      created: channels.get(input.id)?.created ?? options.clock.now(),
    };
    channels.set(channel.id, channel);
    options.onChange();
    return channel;
  }

  function addUsergroup(input: UsergroupInput): FakeUsergroup {
    const group: FakeUsergroup = {
      id: input.id,
      handle: input.handle,
      name: input.name ?? input.handle,
      users: [...input.users],
    };
    usergroups.set(group.id, group);
    options.onChange();
    return group;
  }

  function channel(idOrName: string): FakeChannel | undefined {
    const byId = channels.get(idOrName);
    if (byId !== undefined) return byId;
    const name = idOrName.replace(/^#/, '');
    for (const candidate of channels.values()) {
      if (candidate.kind !== 'im' && candidate.name === name) return candidate;
    }
    return undefined;
  }

  addUser({ id: options.botUserId, name: options.botName, realName: 'Countersign' }, true);
  for (const user of options.seed.users) addUser(user);
  for (const seeded of options.seed.channels) addChannel(seeded);
  for (const group of options.seed.usergroups) addUsergroup(group);

  return {
    team,
    botUserId: options.botUserId,
    botId: options.botId,
    appId: options.appId,
    addUser: (input) => addUser(input),
    addChannel,
    addUsergroup,
    user: (id) => users.get(id),
    channel,
    usergroup: (id) => usergroups.get(id),
    users: () => [...users.values()],
    channels: () => [...channels.values()],
    usergroups: () => [...usergroups.values()],
    dmChannelOf: (userId) => dmOf.get(userId),
    openDm(userId) {
      const dmId = dmOf.get(userId);
      const dm = dmId === undefined ? undefined : channels.get(dmId);
      if (dmId === undefined || dm === undefined) return undefined;
      const alreadyOpen = openedDms.has(dmId);
      openedDms.add(dmId);
      return { channel: dm, alreadyOpen };
    },
    isMember: (channelId, userId) => channels.get(channelId)?.members.includes(userId) ?? false,
    resetConversations: () => openedDms.clear(),
  };
}
