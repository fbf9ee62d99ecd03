import type { RemovedRoute } from '../../domain/effects.js';
import type { Route } from '../../domain/routing.js';
import type { AuditEntry } from '../../ports/store.js';
import type { SlackMessage } from '../gateway.js';
import {
  approverMention,
  channelMention,
  code,
  dateToken,
  escapeAndTruncate,
  escapeText,
  mention,
} from './format.js';
import { refusalReason } from './refusals.js';

function reply(text: string): SlackMessage {
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

export function routeUsageReply(problem?: string): SlackMessage {
  return reply(
    [
      problem === undefined
        ? "*Routes* send each OpenTrain job's (or contract's) approvals to a channel and mention its approvers."
        : `:warning: ${escapeText(problem)}`,
      `${code('/fund-milestone route set <job or contract id> #channel [@person|@group …] [autofund]')}`,
      `${code('/fund-milestone route list')}  ·  ${code('/fund-milestone route remove <job or contract id>')}`,
      `Write ${code('job:<id>')} or ${code('contract:<id>')} to skip the lookup. ${code('autofund')} requests funding by itself for every new unfunded milestone. A contract route wins over a job route, which wins over FUND_CHANNEL, which wins over the channel a command is typed in.`,
    ].join('\n'),
  );
}

export function notAdminReply(admins: readonly string[]): SlackMessage {
  if (admins.length === 0) {
    return reply(
      ':lock: Nobody may change routes yet: whoever runs Countersign must set ADMIN_USERS to the Slack member IDs of the people allowed to.',
    );
  }
  return reply(
    `:lock: Only Countersign admins can change routes: ${admins.slice(0, 10).map(mention).join(', ')}.`,
  );
}

function describeRoute(route: Route): string {
  const target = `${route.scope} ${code(route.targetId)}${route.label === null ? '' : ` (${escapeAndTruncate(route.label, 80)})`}`;
  const approvers =
    route.approvers.length === 0 ? '' : `, mentioning ${route.approvers.map(approverMention).join(' ')}`;
  const auto = route.autoFund ? ' · *autofund*' : '';
  return `${target} → ${channelMention(route.channelId)}${approvers}${auto}`;
}

export function routeSavedReply(route: Route): SlackMessage {
  const auto = route.autoFund
    ? ` With autofund, every new unfunded milestone on this ${route.scope} is requested automatically.`
    : '';
  return reply(`:white_check_mark: Route saved: ${describeRoute(route)}.${auto}`);
}

export function routeRemovedReply(route: RemovedRoute | null, targetId: string): SlackMessage {
  return route === null
    ? reply(`:information_source: There is no route for ${code(targetId)}.`)
    : reply(
        `:wastebasket: Route removed: ${route.scope} ${code(route.targetId)} no longer sends its cards to ${channelMention(route.channelId)}.`,
      );
}

export function routeListReply(routes: readonly Route[], fundChannel: string | undefined): SlackMessage {
  const fallback = `Everything else goes to ${
    fundChannel === undefined
      ? 'the channel the command is typed in'
      : `${channelMention(fundChannel)} (FUND_CHANNEL)`
  }.`;
  if (routes.length === 0) return reply(`No routes yet. ${fallback}`);
  const lines = routes.slice(0, 40).map((route) => `• ${describeRoute(route)}`);
  if (routes.length > 40) lines.push(`…and ${routes.length - 40} more.`);
  return reply(`*Routes*\n${lines.join('\n')}\n${fallback}`.slice(0, 2_900));
}

export function routeTargetUnknownReply(targetId: string, why: 'not-found' | 'unreachable'): SlackMessage {
  const reason =
    why === 'not-found'
      ? `OpenTrain has no job or contract ${code(targetId)} on this account.`
      : `I could not check ${code(targetId)} with OpenTrain right now.`;
  return reply(
    `:mag: ${reason} Write ${code(`job:${targetId}`)} or ${code(`contract:${targetId}`)} to set the route without checking.`,
  );
}

const actionWords: Record<string, string> = {
  requested: 'requested funding',
  're-requested': 'asked again while it was pending',
  'fund-failed': 'asked; OpenTrain refused',
  'fund-unconfirmed': 'asked, but the answer was lost and it was too late to ask again',
  'request-refused': 'was refused (not an allowed requester)',
  'card-posted': 'posted the card',
  'link-opened': 'opened the approval link',
  'reminder-sent': 'sent a reminder',
  'outcome-sent': 'told the requester the outcome',
  confirmed: 'reports it confirmed',
  declined: 'reports it declined',
  expired: 'reports it expired',
  'status-cleared': 'reports it pending again',
};

function actorText(actor: string): string {
  if (actor.startsWith('slack:')) return mention(actor.slice('slack:'.length));
  if (actor === 'opentrain') return 'OpenTrain';
  if (actor === 'countersign') return 'Countersign';
  return escapeAndTruncate(actor.replace(/^system:/, ''), 60);
}

/** `/fund-milestone history <milestone or approval>`: who did what, newest last. */
export function historyReply(
  id: string,
  entries: readonly AuditEntry[],
  subject: 'milestone' | 'approval' = 'milestone',
): SlackMessage {
  if (entries.length === 0) return reply(`Nothing is recorded for a milestone or approval ${code(id)}.`);
  const lines = [...entries].reverse().map((entry) => {
    const what =
      entry.action === 'fund-failed'
        ? `asked; OpenTrain refused (${escapeText(refusalReason(String(entry.detail?.failure ?? ''), typeof entry.detail?.milestoneStatus === 'string' ? entry.detail.milestoneStatus : null))})`
        : entry.action === 'status-reported'
          ? `reports status ${code(String(entry.detail?.status ?? '?'))}; still following it`
          : (actionWords[entry.action] ?? escapeAndTruncate(entry.action, 40));
    const approval = entry.approvalId === null ? '' : ` · ${code(entry.approvalId)}`;
    return `• ${dateToken(entry.at, '{date_short} {time}')} ${actorText(entry.actor)} ${what}${approval}`;
  });
  let text = `*History of ${subject} ${code(id)}*\n${lines.join('\n')}`;
  // Newest entries matter most: drop the oldest lines if the section would overflow.
  while (text.length > 2_900 && lines.length > 1) {
    lines.shift();
    text = `*History of ${subject} ${code(id)}* (latest entries)\n${lines.join('\n')}`;
  }
  return reply(text);
}
