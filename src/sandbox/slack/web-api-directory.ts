import { z } from 'zod';
import type { FakeChannel, FakeUser } from './types.js';
import {
  type ApiDeps,
  type ApiResult,
  count,
  fail,
  flag,
  type MethodHandler,
  parseArgs,
  visibleChannel,
} from './web-api-support.js';
import type { Workspace } from './workspace.js';

const OpenArgs = z.object({
  users: z.string().optional(),
  channel: z.string().optional(),
  return_im: flag.optional(),
});
const InfoArgs = z.object({ channel: z.string().default(''), include_num_members: flag.optional() });
const MembersArgs = z.object({
  channel: z.string().default(''),
  cursor: z.string().optional(),
  limit: count.pipe(z.number().int().min(1).max(1000)).default(100),
});
const UserArgs = z.object({ user: z.string().default('') });
const UsergroupArgs = z.object({ usergroup: z.string().default('') });

function authTest(_args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const { workspace } = deps;
  return {
    ok: true,
    url: `${deps.origin()}/`,
    team: workspace.team.name,
    user: workspace.user(workspace.botUserId)?.name,
    team_id: workspace.team.id,
    user_id: workspace.botUserId,
    bot_id: workspace.botId,
    is_enterprise_install: false,
  };
}

function conversationsOpen(args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const { workspace } = deps;
  const parsed = parseArgs(OpenArgs, args);
  if (!parsed.ok) return parsed.result;
  const input = parsed.value;
  if (input.channel !== undefined) {
    const channel = workspace.channel(input.channel);
    if (channel?.kind !== 'im' || channel.imUser === undefined) return fail('channel_not_found');
    return opened(workspace, channel.imUser, input.return_im === true);
  }
  const users = (input.users ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (users.length === 0) return fail('users_list_not_supplied');
  // Group DMs (several users) are out of scope: the bot only ever DMs one person.
  if (users.length > 1) return fail('not_supported_by_fake');
  const [userId = ''] = users;
  if (userId === workspace.botUserId) return fail('cannot_dm_bot');
  if (workspace.user(userId) === undefined) return fail('user_not_found');
  return opened(workspace, userId, input.return_im === true);
}

function opened(workspace: Workspace, userId: string, returnIm: boolean): ApiResult {
  const result = workspace.openDm(userId);
  if (result === undefined) return fail('user_not_found');
  return {
    ok: true,
    ...(result.alreadyOpen ? { no_op: true, already_open: true } : {}),
    channel: returnIm ? channelInfo(result.channel, workspace, false) : { id: result.channel.id },
  };
}

function conversationsInfo(args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const parsed = parseArgs(InfoArgs, args);
  if (!parsed.ok) return parsed.result;
  const channel = visibleChannel(deps.workspace, parsed.value.channel);
  if (channel === undefined) return fail('channel_not_found');
  return {
    ok: true,
    channel: channelInfo(channel, deps.workspace, parsed.value.include_num_members === true),
  };
}

function channelInfo(
  channel: FakeChannel,
  workspace: Workspace,
  withCount: boolean,
): Record<string, unknown> {
  const created = Math.floor(channel.created.getTime() / 1000);
  if (channel.kind === 'im') {
    return {
      id: channel.id,
      created,
      is_im: true,
      is_org_shared: false,
      user: channel.imUser,
      is_open: true,
    };
  }
  return {
    id: channel.id,
    name: channel.name,
    name_normalized: channel.name,
    created,
    is_channel: channel.kind === 'public',
    is_group: channel.kind === 'private',
    is_im: false,
    is_mpim: false,
    is_private: channel.kind === 'private',
    is_archived: channel.isArchived,
    is_general: false,
    is_shared: false,
    is_org_shared: false,
    is_member: channel.members.includes(workspace.botUserId),
    topic: { value: '', creator: '', last_set: 0 },
    purpose: { value: '', creator: '', last_set: 0 },
    ...(withCount ? { num_members: channel.members.length } : {}),
  };
}

function conversationsMembers(args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const parsed = parseArgs(MembersArgs, args);
  if (!parsed.ok) return parsed.result;
  const { cursor, limit } = parsed.value;
  const channel = visibleChannel(deps.workspace, parsed.value.channel);
  if (channel === undefined) return fail('channel_not_found');
  let start = 0;
  if (cursor !== undefined && cursor !== '') {
    // Slack's cursors are base64 of "user:<next id>"; anything else is invalid_cursor.
    const nextUser = Buffer.from(cursor, 'base64')
      .toString('utf8')
      .match(/^user:(.+)$/)?.[1];
    start = nextUser === undefined ? -1 : channel.members.indexOf(nextUser);
    if (start < 0) return fail('invalid_cursor');
  }
  const page = channel.members.slice(start, start + limit);
  const next = channel.members[start + limit];
  return {
    ok: true,
    members: page,
    response_metadata: {
      next_cursor: next === undefined ? '' : Buffer.from(`user:${next}`).toString('base64'),
    },
  };
}

function usersInfo(args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const parsed = parseArgs(UserArgs, args);
  if (!parsed.ok) return parsed.result;
  const user = deps.workspace.user(parsed.value.user);
  if (user === undefined) return fail('user_not_found');
  return { ok: true, user: userInfo(user, deps) };
}

function userInfo(user: FakeUser, deps: ApiDeps): Record<string, unknown> {
  const { workspace } = deps;
  const zone = timeZoneFacts(user.tz, deps.clock.now());
  return {
    id: user.id,
    team_id: workspace.team.id,
    name: user.name,
    deleted: false,
    real_name: user.realName,
    tz: user.tz,
    tz_label: zone.label,
    tz_offset: zone.offsetSeconds,
    is_admin: user.isAdmin,
    is_owner: false,
    is_bot: user.isBot,
    is_app_user: false,
    profile: {
      real_name: user.realName,
      real_name_normalized: user.realName,
      display_name: user.name,
      display_name_normalized: user.name,
      team: workspace.team.id,
      ...(user.isBot ? { bot_id: workspace.botId } : {}),
    },
  };
}

/** users.info reports the offset in effect now (summer time included), so it is computed for the clock's date. */
function timeZoneFacts(tz: string, at: Date): { label: string; offsetSeconds: number } {
  const part = (style: 'long' | 'longOffset') =>
    new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: style })
      .formatToParts(at)
      .find((piece) => piece.type === 'timeZoneName')?.value ?? '';
  const offset = part('longOffset').match(/GMT([+-])(\d{2}):(\d{2})/);
  const sign = offset?.[1] === '-' ? -1 : 1;
  const offsetSeconds = offset === null ? 0 : sign * (Number(offset[2]) * 3600 + Number(offset[3]) * 60);
  return { label: part('long'), offsetSeconds };
}

function usergroupUsers(args: Record<string, unknown>, deps: ApiDeps): ApiResult {
  const parsed = parseArgs(UsergroupArgs, args);
  if (!parsed.ok) return parsed.result;
  const group = deps.workspace.usergroup(parsed.value.usergroup);
  if (group === undefined) return fail('no_such_subteam');
  return { ok: true, users: group.users };
}

export const directoryMethods: Record<string, MethodHandler> = {
  'auth.test': authTest,
  'conversations.open': conversationsOpen,
  'conversations.info': conversationsInfo,
  'conversations.members': conversationsMembers,
  'users.info': usersInfo,
  'usergroups.users.list': usergroupUsers,
};
