import { openTrainIdPattern } from '../../../domain/opentrain-id.js';
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
  /**
   * `problem` is the sentence to show (plain text, escaped before it reaches Slack). `suggestion`, when set, is
   * the id the person most likely meant (`M-1001` for `m-1001` or `M 1001`); nothing was sent to OpenTrain.
   */
  | { readonly kind: 'invalid'; readonly problem: string; readonly suggestion?: string };

/** A job or contract id; `scope` is known when written as job:<id> or contract:<id>, else OpenTrain is asked. */
export interface RouteTarget {
  readonly scope: RouteScope | undefined;
  readonly id: string;
}

const maxNoteLength = 500;
const milestoneParams = ['milestoneId', 'milestone_id', 'milestone'];

/**
 * Quotes people put around an id: straight, curly (what phones and macOS type), guillemets and Slack's code
 * backticks. They are never part of an OpenTrain id.
 */
const quoteChars = `"'\u201C\u201D\u2018\u2019\u00AB\u00BB\u201E\u201A\``;
const quotePairs: ReadonlyArray<readonly [string, string]> = [
  ['"', '"'],
  ["'", "'"],
  ['\u201C', '\u201D'],
  ['\u201E', '\u201C'],
  ['\u2018', '\u2019'],
  ['\u201A', '\u2018'],
  ['\u00AB', '\u00BB'],
  ['`', '`'],
];

/**
 * OpenTrain's docs print ids only as placeholders (<MILESTONE_ID>); the ids people see, in the simulator's seed
 * and in this README, are an upper-case prefix, a hyphen and digits: M-1001. Ids are case-sensitive, so a
 * typed `m-1001` can only be a typo of `M-1001`, and a prefix and digits split by a space (`M 1001`) a typo of
 * the joined id. Anything else (a link, an id of another shape) is sent as it is.
 */
const lowerCaseId = /^([a-z]{1,3})-(\d{1,12})$/;
const splitPrefix = /^([A-Za-z]{1,3})-?$/;
const splitDigits = /^-?(\d{1,12})$/;

/**
 * Reads the command text. The app is installed with should_escape, so Slack sends channels as <#C…|name>,
 * people as <@U…|name>, user groups as <!subteam^S…|@handle> and links as <https://…|label>.
 */
export function parseCommand(text: string): Command {
  const trimmed = unquoteWhole(text.trim());
  if (trimmed === '' || /^(help|-h|--help|\?)$/i.test(trimmed)) return { kind: 'help' };
  const [first = '', ...rest] = trimmed.split(/\s+/);
  const verb = first.toLowerCase();
  if (verb === 'route' || verb === 'routes') return parseRoute(rest);
  if (verb === 'history') return parseHistory(rest);
  return parseFund(trimmed, first, rest);
}

function parseFund(trimmed: string, first: string, rest: readonly string[]): Command {
  const split = splitIdHint(first, rest[0]);
  if (split !== undefined) return split;
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

/** `M 1001`, `M- 1001`, `m -1001`: a prefix and its digits split by a space. */
function splitIdHint(first: string, next: string | undefined): Command | undefined {
  const prefix = splitPrefix.exec(stripQuotes(first))?.[1];
  const digits = next === undefined ? undefined : splitDigits.exec(stripQuotes(next))?.[1];
  if (prefix === undefined || digits === undefined) return undefined;
  const suggestion = `${prefix.toUpperCase()}-${digits}`;
  return {
    kind: 'invalid',
    problem: `Milestone ids have no spaces: did you mean \`${suggestion}\`?`,
    suggestion,
  };
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
  const split = splitIdHint(first, args[1]);
  if (split !== undefined) return split;
  const milestone = readMilestoneId(first);
  return milestone.kind === 'invalid' ? milestone : { kind: 'history', id: milestone.id };
}

type IdReading = { kind: 'ok'; id: string } | { kind: 'invalid'; problem: string; suggestion?: string };

function readMilestoneId(token: string): IdReading {
  const target = unwrapSlackLink(stripQuotes(token));
  const fromLink = /^https?:\/\//i.test(target);
  const id = fromLink ? milestoneIdFromUrl(target) : stripQuotes(target);
  if (id === undefined) {
    return {
      kind: 'invalid',
      problem:
        'That link does not contain a milestone id. Open the milestone in OpenTrain and paste its id (like M-1001) or its link.',
    };
  }
  if (!openTrainIdPattern.test(id)) {
    return {
      kind: 'invalid',
      problem: `${shown(id)} does not look like a milestone id (letters, digits, - and _ only, like M-1001).`,
    };
  }
  const lower = fromLink ? null : lowerCaseId.exec(id);
  if (lower?.[1] !== undefined && lower[2] !== undefined) {
    const suggestion = `${lower[1].toUpperCase()}-${lower[2]}`;
    return {
      kind: 'invalid',
      problem: `OpenTrain milestone ids are upper case: did you mean \`${suggestion}\`?`,
      suggestion,
    };
  }
  return { kind: 'ok', id };
}

/** A typed value in a sentence, as code, cut to 40 characters; backticks inside would end the code span. */
function shown(text: string): string {
  const clean = text.replace(/`/g, '').slice(0, 40);
  return clean === '' ? 'That' : `\`${clean}\``;
}

/** Drops quote characters around a token, matched or not: `"M-1001"`, `“M-1001”`, `'M-1001`. */
function stripQuotes(token: string): string {
  let start = 0;
  let end = token.length;
  while (start < end && quoteChars.includes(token.charAt(start))) start += 1;
  while (end > start && quoteChars.includes(token.charAt(end - 1))) end -= 1;
  return token.slice(start, end);
}

/** `"M-1001 batch 2"`: a whole command in one pair of quotes is read without them. */
function unquoteWhole(text: string): string {
  for (const [open, close] of quotePairs) {
    if (text.length > 2 && text.startsWith(open) && text.endsWith(close)) {
      const inner = text.slice(open.length, -close.length);
      if (!inner.includes(open) && !inner.includes(close)) return inner.trim();
    }
  }
  return text;
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
  if (id === undefined || !openTrainIdPattern.test(id)) return undefined;
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
