import { type BlockSurface, validateBlocks } from '../../src/sandbox/slack/blocks.js';

/** What Countersign itself may put in Slack markup: mentions of the people it was given, and trusted links. */
export interface MarkupAllowance {
  readonly users?: Iterable<string>;
  readonly usergroups?: Iterable<string>;
  readonly channels?: Iterable<string>;
  /** A link `<url|label>` is Countersign's when its url starts with one of these. */
  readonly linkPrefixes?: readonly string[];
}

const weekday = '(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat)';
const month = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
/** dateToken's shape exactly: a timestamp, a format of placeholders, and utcText as the fallback. */
const dateTokenPattern = new RegExp(
  `^!date\\^-?\\d+\\^[{}a-z_ ]+\\|${weekday} \\d{1,2} ${month} \\d{4,6} \\d\\d:\\d\\d UTC$`,
);

/**
 * Every problem with one mrkdwn text: a `<…>` Countersign did not make (a mention of someone it was not
 * given, a broadcast, a link it does not trust), an `&` that is not one of Slack's three entities, or a `>`
 * that is not a quote at the start of a line. Whatever a person or OpenTrain wrote must arrive escaped.
 */
export function markupProblems(text: string, allowed: MarkupAllowance = {}): string[] {
  const users = new Set(allowed.users ?? []);
  const usergroups = new Set(allowed.usergroups ?? []);
  const channels = new Set(allowed.channels ?? []);
  const prefixes = allowed.linkPrefixes ?? [];
  const problems: string[] = [];
  const rest = text.replace(/<([^<>]*)>/g, (whole, inner: string) => {
    const user = /^@([A-Z0-9]+)$/i.exec(inner)?.[1];
    if (user !== undefined) {
      if (!users.has(user)) problems.push(`mentions someone it was not given: ${whole}`);
      return '';
    }
    const group = /^!subteam\^([A-Z0-9]+)$/i.exec(inner)?.[1];
    if (group !== undefined) {
      if (!usergroups.has(group)) problems.push(`mentions a group it was not given: ${whole}`);
      return '';
    }
    const channel = /^#([A-Z0-9]+)$/i.exec(inner)?.[1];
    if (channel !== undefined) {
      if (!channels.has(channel)) problems.push(`names a channel it was not given: ${whole}`);
      return '';
    }
    if (dateTokenPattern.test(inner)) return '';
    const linkMatch = /^(https?:\/\/[^|\s]+)\|(.*)$/s.exec(inner);
    if (linkMatch?.[1] !== undefined && prefixes.some((prefix) => linkMatch[1]?.startsWith(prefix))) {
      return ` ${linkMatch[2] ?? ''} `; // the label is checked like the rest of the text
    }
    problems.push(`markup it did not make: ${whole.slice(0, 80)}`);
    return '';
  });
  if (rest.includes('<')) problems.push(`a raw "<": …${around(rest, rest.indexOf('<'))}…`);
  const amp = /&(?!amp;|lt;|gt;)/.exec(rest);
  if (amp !== null) problems.push(`a raw "&": …${around(rest, amp.index)}…`);
  const quote = /[^\n]>/.exec(rest);
  if (quote !== null) problems.push(`a raw ">": …${around(rest, quote.index + 1)}…`);
  return problems;
}

function around(text: string, index: number): string {
  return JSON.stringify(text.slice(Math.max(0, index - 20), index + 20));
}

interface MessageLike {
  readonly text?: unknown;
  readonly blocks?: unknown;
}

/** Every mrkdwn text in a message or a list of blocks: the top-level text, and each `{type: 'mrkdwn'}` object. */
export function mrkdwnTexts(message: MessageLike | readonly unknown[]): string[] {
  const texts: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (record.type === 'mrkdwn' && typeof record.text === 'string') texts.push(record.text);
    for (const [key, inner] of Object.entries(record))
      if (key !== 'text' || typeof inner !== 'string') visit(inner);
  };
  if (Array.isArray(message)) {
    visit(message);
    return texts;
  }
  const { text, blocks } = message as MessageLike;
  if (typeof text === 'string') texts.push(text);
  visit(blocks);
  return texts;
}

/**
 * What Slack would refuse or what would mislead a reader: blocks over Slack's limits (the Slack fake's own
 * check), an empty or overlong fallback text, and markup that did not come from Countersign.
 */
export function slackMessageProblems(
  message: MessageLike,
  options: { surface?: BlockSurface; allowed?: MarkupAllowance } = {},
): string[] {
  const problems: string[] = [];
  if (typeof message.text !== 'string' || message.text.trim() === '') problems.push('no fallback text');
  else if (message.text.length > 40_000) problems.push(`text of ${message.text.length} characters`);
  if (message.blocks !== undefined) {
    const verdict = validateBlocks(message.blocks, options.surface ?? 'message');
    if (!verdict.ok) problems.push(`${verdict.error}: ${verdict.errors.slice(0, 3).join('; ')}`);
  }
  for (const text of mrkdwnTexts(message)) problems.push(...markupProblems(text, options.allowed));
  return problems;
}
