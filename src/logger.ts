import { type Logger as SlackLogger, LogLevel as SlackLogLevel } from '@slack/logger';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/**
 * Anything that could let a reader act as the bot or as the requester. approvalUrl is on the list because it
 * is the capability a human uses to move money; response_url because anyone holding it can post as the bot.
 */
const redactedPaths = [
  'token',
  'botToken',
  'authorization',
  'headers.authorization',
  'secret',
  'signingSecret',
  'approvalUrl',
  'responseUrl',
  'response_url',
  '*.token',
  '*.authorization',
  '*.secret',
  '*.approvalUrl',
  '*.responseUrl',
  '*.response_url',
];

export function createLogger(options: { level: LogLevel; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'countersign' },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
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
