import type { Conversations } from './conversations.js';
import type { Fault, Faults } from './faults.js';
import type {
  EphemeralMessage,
  FakeChannel,
  FakeMessage,
  FakeTeam,
  FakeUser,
  FakeUsergroup,
  HomeView,
} from './types.js';
import type { Workspace } from './workspace.js';

/** Everything a Slack-like UI needs to draw the workspace, as one plain (structured-cloneable, JSON-able) value. */
export interface SlackFakeSnapshot {
  team: FakeTeam;
  botUserId: string;
  users: FakeUser[];
  channels: FakeChannel[];
  usergroups: FakeUsergroup[];
  /** Top-level messages per channel id, replies nested. */
  messages: Record<string, FakeMessage[]>;
  /** Ephemerals per user id. */
  ephemerals: Record<string, EphemeralMessage[]>;
  /** The latest Home view per user id. */
  homeViews: Record<string, HomeView>;
  faults: Array<Fault & { remaining: number }>;
}

export function takeSnapshot(
  workspace: Workspace,
  conversations: Conversations,
  faults: Faults,
): SlackFakeSnapshot {
  const people = workspace.users();
  const rooms = workspace.channels();
  const homes = people.map((user) => conversations.home(user.id)).filter((home) => home !== undefined);
  // A deep copy, so a UI holding on to it never sees (or causes) later mutation.
  return structuredClone({
    team: workspace.team,
    botUserId: workspace.botUserId,
    users: people,
    channels: rooms,
    usergroups: workspace.usergroups(),
    messages: Object.fromEntries(rooms.map((room) => [room.id, conversations.topLevel(room.id)])),
    ephemerals: Object.fromEntries(people.map((user) => [user.id, conversations.ephemerals(user.id)])),
    homeViews: Object.fromEntries(homes.map((home) => [home.user, home])),
    faults: faults.pending(),
  });
}
