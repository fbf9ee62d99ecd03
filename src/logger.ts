import { type Logger as SlackLogger, LogLevel as SlackLogLevel } from '@slack/logger';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/**
 * Anything that could let a reader act as the bot or as the requester. approvalUrl is on the list because it
 * is the capability a human uses to move money; response_url because anyone holding it can post as the bot.
 * These go by field name; createScrubber below also blanks the secrets' values wherever they appear.
 */
const redactedPaths = [
  'token',
  'botToken',
  'appToken',
  'authorization',
  'Authorization',
  'headers.authorization',
  'headers.Authorization',
  'password',
  'connectionString',
  'secret',
  'signingSecret',
  'approvalUrl',
  'responseUrl',
  'response_url',
  '*.token',
  '*.appToken',
  '*.password',
  '*.connectionString',
  '*.authorization',
  '*.Authorization',
  '*.secret',
  '*.approvalUrl',
  '*.responseUrl',
  '*.response_url',
];

const censor = '[redacted]';

/**
 * Credentials by their shape, wherever they are in a line, whether configured or not: Slack's bot, user and
 * app-level tokens, OpenTrain's personal tokens and webhook secrets, a bearer token, and the password of any
 * URL (`scheme://user:password@host`, or a `password=` parameter). The prefix stays, so a reader still sees
 * which kind of credential was there.
 */
const credentialShapes: readonly [RegExp, string][] = [
  [/\b(xox[abeoprs]-)[A-Za-z0-9-]+/g, `$1${censor}`],
  [/\b(xapp-)[A-Za-z0-9-]+/g, `$1${censor}`],
  [/\b(ot_pat_)[A-Za-z0-9_-]+/g, `$1${censor}`],
  [/\b(whsec_)[A-Za-z0-9_-]+/g, `$1${censor}`],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/-]+=*/gi, `$1${censor}`],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/"'\\]*:)[^\s@/"'\\]+@/gi, `$1${censor}@`],
  [/([?&]password=)[^&\s"'\\]+/gi, `$1${censor}`],
];

/** Secret values shorter than this are left to the shapes above: blanking every "pw" would garble the log. */
const shortestBlanked = 4;

/**
 * What every line goes through on its way out: each configured secret (as given and as JSON escapes it) is
 * blanked, then anything shaped like a credential. It runs on the serialized line, so it reaches what path
 * redaction cannot: an error's nested request options and headers, a library's message, a stack.
 */
export function createScrubber(secrets: readonly string[]): (line: string) => string {
  const values = [
    ...new Set(
      secrets
        .filter((secret) => secret.length >= shortestBlanked)
        .flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]),
    ),
  ].sort((a, b) => b.length - a.length);
  return (line) => {
    let out = line;
    for (const value of values) if (out.includes(value)) out = out.split(value).join(censor);
    for (const [shape, replacement] of credentialShapes) out = out.replace(shape, replacement);
    return out;
  };
}

export function createLogger(options: {
  level: LogLevel;
  destination?: DestinationStream;
  /** The configured secrets (config.ts secretValues): blanked wherever they would appear, at every level. */
  secrets?: readonly string[];
}): Logger {
  const scrub = createScrubber(options.secrets ?? []);
  return pino(
    {
      level: options.level,
      base: { service: 'countersign' },
      redact: { paths: redactedPaths, censor },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: scrub },
    },
    options.destination,
  );
}

/** Bolt logs through this adapter, so its lines land in the same JSON stream as ours. */
export function toSlackLogger(log: Logger): SlackLogger {
  const child = log.child({ component: 'bolt' });
  const levels: Record<string, SlackLogLevel> = {
    trace: SlackLogLevel.DEBUG,
    debug: SlackLogLevel.DEBUG,
    info: SlackLogLevel.INFO,
    warn: SlackLogLevel.WARN,
  };
  const emit = (level: 'debug' | 'info' | 'warn' | 'error', msgs: unknown[]) => {
    const [first, ...rest] = msgs;
    if (first instanceof Error)
      child[level]({ err: first, detail: rest.map(String).join(' ') }, first.message);
    else child[level](msgs.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' '));
  };
  return {
    // Bolt's and the WebClient's debug lines dump whole request and response bodies: response_urls,
    // approval links, user text. Redaction by path cannot reach inside those strings, so they are dropped.
    debug: () => {},
    info: (...msgs) => emit('info', msgs),
    warn: (...msgs) => emit('warn', msgs),
    error: (...msgs) => emit('error', msgs),
    setLevel: () => {
      // The level comes from LOG_LEVEL through our own logger; Bolt may not change it.
    },
    getLevel: () => levels[child.level] ?? SlackLogLevel.ERROR,
    setName: () => {},
  };
}
