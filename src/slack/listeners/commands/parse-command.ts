import type { Approver, RouteScope } from '../../../domain/routing.js';

/** Everything `/fund-milestone` understands. */
export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'fund'; readonly milestoneId: string; readonly note: string | null }
  /** `id`: a milestone id, or an approval id (approvals of other types have no milestone). */
  | { readonly kind: 'history'; readonly id: string }
  | {
      readonly kind: 'route-set';
      readonly target: RouteTarget;
      readonly channelId: string;
      readonly approvers: readonly Approver[];
      readonly autoFund: boolean;
    }
  | { readonly kind: 'route-list' }
  | { readonly kind: 'route-remove'; readonly target: RouteTarget }
  | { readonly kind: 'route-help'; readonly problem?: string }
  | { readonly kind: 'invalid'; readonly problem: string };

/** A job or contract id; `scope` is known when written as job:<id> or contract:<id>, else OpenTrain is asked. */
export interface RouteTarget {
  readonly scope: RouteScope | undefined;
  readonly id: string;
}

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const maxNoteLength = 500;
const milestoneParams = ['milestoneId', 'milestone_id', 'milestone'];

/**
 * Reads the command text. The app is installed with should_escape, so Slack sends channels as <#C…|name>,
 * people as <@U…|name>, user groups as <!subteam^S…|@handle> and links as <https://…|label>.
 */
export function parseCommand(text: string): Command {
  const trimmed = text.trim();
  if (trimmed === '' || /^(help|-h|--help|\?)$/i.test(trimmed)) return { kind: 'help' };
  const [first = '', ...rest] = trimmed.split(/\s+/);
  const verb = first.toLowerCase();
  if (verb === 'route' || verb === 'routes') return parseRoute(rest);
  if (verb === 'history') return parseHistory(rest);
  return parseFund(trimmed, first, rest);
}

function parseFund(trimmed: string, first: string, rest: readonly string[]): Command {
  const note = trimmed.slice(first.length).trim();
  if (note.length > maxNoteLength) {
    return {
      kind: 'invalid',
      problem: `The note is ${note.length} characters long; keep it under ${maxNoteLength}.`,
    };
  }
  const milestone = readMilestoneId(first);
  if (milestone.kind === 'invalid') return milestone;
  return { kind: 'fund', milestoneId: milestone.id, note: rest.length === 0 ? null : note };
}

function parseHistory(args: readonly string[]): Command {
  const [first] = args;
  if (first === undefined) {
    return {
      kind: 'invalid',
      problem: 'Say which milestone or approval: `/fund-milestone history M-1001`.',
    };
  }
  // An approval link (…/approvals/<id>) names the approval; anything else is read like a milestone.
  const approval = /\/approvals\/([A-Za-z0-9_-]{1,128})(?:[/?#]|$)/.exec(unwrapSlackLink(first));
  if (approval?.[1] !== undefined) return { kind: 'history', id: approval[1] };
  const milestone = readMilestoneId(first);
  return milestone.kind === 'invalid' ? milestone : { kind: 'history', id: milestone.id };
}

function readMilestoneId(token: string): { kind: 'ok'; id: string } | { kind: 'invalid'; problem: string } {
  const target = unwrapSlackLink(token);
  const id = /^https?:\/\//i.test(target) ? milestoneIdFromUrl(target) : target;
  if (id === undefined) {
    return {
      kind: 'invalid',
      problem:
        'That link does not contain a milestone id. Open the milestone in OpenTrain and paste its id (like M-1001) or its link.',
    };
  }
  if (!idPattern.test(id)) {
    return {
      kind: 'invalid',
      problem: `"${id.slice(0, 40)}" does not look like a milestone id (letters, digits, - and _ only, like M-1001).`,
    };
  }
  return { kind: 'ok', id };
}

function parseRoute(args: readonly string[]): Command {
  const [sub = '', ...rest] = args;
  switch (sub.toLowerCase()) {
    case 'list':
    case 'ls':
      return { kind: 'route-list' };
    case 'remove':
    case 'rm':
    case 'delete': {
      const target = rest[0] === undefined ? undefined : readTarget(rest[0]);
      if (target === undefined)
        return { kind: 'route-help', problem: 'Say which job or contract to stop routing.' };
      return { kind: 'route-remove', target };
    }
    case 'set':
    case 'add':
      return parseRouteSet(rest);
    default:
      return { kind: 'route-help' };
  }
}

function parseRouteSet(args: readonly string[]): Command {
  const [targetText, channelText, ...others] = args;
  const target = targetText === undefined ? undefined : readTarget(targetText);
  if (target === undefined) {
    return { kind: 'route-help', problem: 'Start with the OpenTrain job or contract id, e.g. `job:J-100`.' };
  }
  const channel =
    channelText === undefined ? undefined : /^<#([CG][A-Z0-9]+)(\|[^>]*)?>$/.exec(channelText)?.[1];
  if (channel === undefined) {
    return {
      kind: 'route-help',
      problem:
        'Name the channel as a mention (type # and pick it), so Slack sends its ID: `route set job:J-100 #finance`.',
    };
  }
  const approvers: Approver[] = [];
  let autoFund = false;
  for (const token of others) {
    if (/^(--)?auto-?fund$/i.test(token)) {
      autoFund = true;
      continue;
    }
    const user = /^<@([UW][A-Z0-9]+)(\|[^>]*)?>$/.exec(token)?.[1];
    const group = /^<!subteam\^(S[A-Z0-9]+)(\|[^>]*)?>$/.exec(token)?.[1];
    if (user !== undefined) approvers.push({ kind: 'user', id: user });
    else if (group !== undefined) approvers.push({ kind: 'usergroup', id: group });
    else {
      return {
        kind: 'route-help',
        problem: `"${token.slice(0, 40)}" is not a person or user group mention (pick them with @), nor \`autofund\`.`,
      };
    }
  }
  const unique = approvers.filter(
    (a, i) => approvers.findIndex((b) => b.kind === a.kind && b.id === a.id) === i,
  );
  return { kind: 'route-set', target, channelId: channel, approvers: unique, autoFund };
}

function readTarget(token: string): RouteTarget | undefined {
  const match = /^(?:(job|contract):)?(.+)$/i.exec(token);
  const id = match?.[2];
  if (id === undefined || !idPattern.test(id)) return undefined;
  const scope = match?.[1]?.toLowerCase() as RouteScope | undefined;
  return { scope, id };
}

function unwrapSlackLink(token: string): string {
  const match = /^<([^|>]+)(\|[^>]*)?>$/.exec(token);
  return match?.[1] ?? token;
}

/** Finds the id in links such as …/milestones/M-1001, …/contracts/C-1/milestones/M-1001/fund or ?milestoneId=M-1001. */
function milestoneIdFromUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  for (const name of milestoneParams) {
    const value = url.searchParams.get(name);
    if (value) return value;
  }
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const index = segments.lastIndexOf('milestones');
  const id = index >= 0 ? segments[index + 1] : undefined;
  if (id === undefined) return undefined;
  try {
    return decodeURIComponent(id);
  } catch {
    return undefined; // a malformed escape such as %E0%A4%A: no usable id in this link
  }
}
