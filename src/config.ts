import cron from 'node-cron';
import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.js';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** `url` is the PostgreSQL connection URL as given: it may hold a password, so never print it (describeConfig). */
export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface Config {
  readonly slack: {
    readonly botToken: string;
    /** Verifies requests over HTTP; not needed in Socket Mode. */
    readonly signingSecret: string | undefined;
    /** An app-level token (xapp-…): set, Countersign connects to Slack over Socket Mode instead of HTTP. */
    readonly appToken: string | undefined;
    readonly apiUrl: string;
  };
  readonly opentrain: { readonly token: string; readonly baseUrl: string; readonly timeoutMs: number };
  readonly http: { readonly port: number };
  readonly database: DatabaseConfig;
  readonly fundChannel: string | undefined;
  readonly permissions: {
    /** Who may manage routes. Empty: nobody, until an operator names someone. */
    readonly adminUsers: readonly string[];
    /** Who may request funding. Both empty: everyone. */
    readonly requesterUsers: readonly string[];
    readonly requesterUsergroups: readonly string[];
  };
  /** POST /api/fund-requests is served only when this is set. */
  readonly upstreamSecret: string | undefined;
  /** POST /opentrain/webhook is served only when this is set. */
  readonly opentrainWebhookSecret: string | undefined;
  readonly pollSchedule: string;
  /** Longest first, each distinct. */
  readonly reminderOffsetsMs: readonly number[];
  /** How many fund calls may wait on OpenTrain at once. */
  readonly fundConcurrency: number;
  /** How long each kind of finished row is kept; null keeps it for ever. */
  readonly retention: RetentionSettings;
  readonly logLevel: LogLevel;
}

export interface RetentionSettings {
  readonly endedApprovalsMs: number | null;
  readonly finishedEffectsMs: number | null;
  readonly auditMs: number | null;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.problems = problems;
  }
}

const channelId = /^[CG][A-Z0-9]{2,}$/;

/** A retention setting: a duration of a day or more (`90d`, `36h`), or `forever`. */
function keptFor(fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((text, ctx): number | null => {
      if (text.trim().toLowerCase() === 'forever') return null;
      const ms = parseDuration(text.trim());
      if (ms !== undefined && ms >= 86_400_000) return ms;
      ctx.addIssue({
        code: 'custom',
        message: 'must be a duration of at least 1d (e.g. 90d, 36h) or forever',
      });
      return z.NEVER;
    });
}

function describeKept(ms: number | null): string {
  if (ms === null) return 'forever';
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : formatDuration(ms);
}

/** Tokens travel to these URLs: https, or plain http only to this machine (tests, the sandbox). */
function isSafeApiUrl(text: string): boolean {
  const url = new URL(text);
  return (
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
  );
}
const plainHttp =
  'must use https:// (plain http only to 127.0.0.1 or localhost): the token is sent with every call';

const memberIdHint = "a person's profile → ⋮ → Copy member ID";

/**
 * The values .env.example ships for the three secrets, and where the real ones come from. A copied, unfilled
 * .env would otherwise pass every check (the placeholders have the right prefixes) and fail only at the first
 * call, so each is refused by name.
 */
export const envExamplePlaceholders = {
  SLACK_BOT_TOKEN: {
    value: 'xoxb-your-bot-token',
    source: "the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page",
  },
  SLACK_SIGNING_SECRET: {
    value: 'your-signing-secret',
    source: "the Signing Secret from your Slack app's Basic Information → App Credentials",
  },
  OT_API_TOKEN: {
    value: 'ot_pat_your_token',
    source:
      'a personal API token (ot_pat_…) with payments:read and payments:write, minted in OpenTrain under Settings → API keys',
  },
} as const satisfies Record<string, { value: string; source: string }>;

/** True when `value` is the placeholder .env.example ships for `name` (surrounding spaces ignored). */
export function isEnvExamplePlaceholder(name: string, value: string | undefined): boolean {
  const placeholder = (envExamplePlaceholders as Record<string, { value: string } | undefined>)[name];
  return placeholder !== undefined && value?.trim() === placeholder.value;
}

function notPlaceholder(name: keyof typeof envExamplePlaceholders) {
  const { value, source } = envExamplePlaceholders[name];
  return [
    (text: string) => text.trim() !== value,
    {
      error: `is still the placeholder from .env.example ("${value}"): replace the ${name}=… line in .env (or the environment variable) with ${source}`,
    },
  ] as const;
}

function idList(pattern: RegExp, example: string, where: string) {
  return z
    .string()
    .default('')
    .transform((text, ctx) => {
      const ids = text
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
      for (const id of ids) {
        if (!pattern.test(id)) {
          ctx.addIssue({
            code: 'custom',
            message: `has "${id.slice(0, 30)}", which is not an ID like ${example} (${where})`,
          });
        }
      }
      return [...new Set(ids)];
    });
}

// Messages never echo the value: several of these variables are secrets.
const Env = z.object({
  SLACK_BOT_TOKEN: z
    .string({ error: 'is required (the bot token, xoxb-…, from OAuth & Permissions)' })
    .startsWith('xoxb-', { error: 'must be a bot token starting with xoxb-' })
    .refine(...notPlaceholder('SLACK_BOT_TOKEN')),
  SLACK_SIGNING_SECRET: z
    .string({ error: 'is required (Basic Information → App Credentials → Signing Secret)' })
    .min(1)
    .refine(...notPlaceholder('SLACK_SIGNING_SECRET'))
    .optional(),
  SLACK_APP_TOKEN: z
    .string()
    .startsWith('xapp-', {
      error:
        'must be an app-level token starting with xapp- (Basic Information → App-Level Tokens, scope connections:write)',
    })
    .optional(),
  SLACK_API_URL: z
    .url({ error: 'must be an absolute URL such as https://slack.com/api/' })
    .default('https://slack.com/api/')
    .refine(isSafeApiUrl, { error: plainHttp })
    .transform((url) => (url.endsWith('/') ? url : `${url}/`)),
  OT_API_TOKEN: z
    .string({ error: 'is required (an OpenTrain personal API token, ot_pat_…)' })
    .startsWith('ot_pat_', {
      error:
        'must be an OpenTrain personal API token starting with ot_pat_ (claim tokens ot_clm_… do not work)',
    })
    .refine(...notPlaceholder('OT_API_TOKEN')),
  OT_API_BASE_URL: z
    .url({ error: 'must be an absolute URL such as https://app.opentrain.ai/api/public/v1' })
    .default('https://app.opentrain.ai/api/public/v1')
    .refine(isSafeApiUrl, { error: plainHttp })
    .transform((url) => url.replace(/\/+$/, '')),
  OT_API_TIMEOUT: z
    .string()
    .default('10s')
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms !== undefined && ms >= 1_000 && ms <= 120_000) return ms;
      ctx.addIssue({ code: 'custom', message: 'must be a duration between 1s and 120s, e.g. 10s' });
      return z.NEVER;
    }),
  PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int({ error: 'must be a whole number' })
    .min(0)
    .max(65_535)
    .default(3000),
  DATABASE_URL: z
    .string()
    .default('sqlite:./data/countersign.db')
    .transform((url, ctx): DatabaseConfig => {
      if (url.startsWith('sqlite:') && url.length > 'sqlite:'.length) {
        return { kind: 'sqlite', path: url.slice('sqlite:'.length) };
      }
      if (/^postgres(ql)?:\/\//.test(url)) {
        if (URL.canParse(url)) return { kind: 'postgres', url };
        ctx.addIssue({
          code: 'custom',
          message:
            'is not a valid PostgreSQL URL: it must look like postgres://user:password@host:5432/database, with any special character in the password percent-encoded',
        });
        return z.NEVER;
      }
      ctx.addIssue({
        code: 'custom',
        message:
          'must look like sqlite:<path> (e.g. sqlite:./data/countersign.db) or postgres://user:password@host:5432/database',
      });
      return z.NEVER;
    }),
  FUND_CHANNEL: z
    .string()
    .regex(channelId, {
      error: 'must be a channel ID such as C0123ABCD (channel details → bottom of the About tab), not a name',
    })
    .optional(),
  POLL_SCHEDULE: z
    .string()
    .default('*/30 * * * * *')
    .refine((expression) => cron.validate(expression), {
      error: 'must be a cron expression (seconds field allowed), e.g. */30 * * * * *',
    }),
  REMINDER_OFFSETS: z
    .string()
    .default('24h,1h')
    .transform((text, ctx) => {
      const parts = text
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '' && part !== 'none');
      const offsets: number[] = [];
      for (const part of parts) {
        const ms = parseDuration(part);
        if (ms === undefined || ms === 0) {
          ctx.addIssue({
            code: 'custom',
            message: `has "${part}", which is not a duration like 24h, 90m or 45s`,
          });
          continue;
        }
        offsets.push(ms);
      }
      return [...new Set(offsets)].sort((a, b) => b - a);
    }),
  ADMIN_USERS: idList(/^[UW][A-Z0-9]{2,}$/, 'U0123ABCD', memberIdHint),
  REQUESTER_USERS: idList(/^[UW][A-Z0-9]{2,}$/, 'U0123ABCD', memberIdHint),
  REQUESTER_USERGROUPS: idList(
    /^S[A-Z0-9]{2,}$/,
    'S0123ABCD',
    "the group ID from the user group's page or usergroups.list",
  ),
  UPSTREAM_SECRET: z
    .string()
    .min(16, { error: 'must be at least 16 characters (e.g. openssl rand -hex 32)' })
    .optional(),
  OPENTRAIN_WEBHOOK_SECRET: z
    .string()
    .startsWith('whsec_', {
      error: 'must be the whsec_… secret printed by `npm run countersign -- webhook create`',
    })
    .optional(),
  FUND_CONCURRENCY: z.coerce
    .number({ error: 'must be a whole number between 1 and 1024, e.g. 256' })
    .int({ error: 'must be a whole number between 1 and 1024, e.g. 256' })
    .min(1, { error: 'must be a whole number between 1 and 1024, e.g. 256' })
    .max(1_024, { error: 'must be a whole number between 1 and 1024, e.g. 256' })
    .default(256),
  RETENTION_ENDED_APPROVALS: keptFor('90d'),
  RETENTION_FINISHED_EFFECTS: keptFor('30d'),
  RETENTION_AUDIT: keptFor('forever'),
  LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }).default('info'),
});

/** Reads the settings from `env` (the process environment in production) or lists every problem at once. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty value in a .env file means "not set", so defaults apply.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = Env.safeParse(present);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
  if (present.SLACK_SIGNING_SECRET === undefined && present.SLACK_APP_TOKEN === undefined) {
    problems.push(
      'SLACK_SIGNING_SECRET is required (Basic Information → App Credentials → Signing Secret), unless SLACK_APP_TOKEN (xapp-…) is set to connect over Socket Mode',
    );
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return Object.freeze({
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
    },
    opentrain: { token: e.OT_API_TOKEN, baseUrl: e.OT_API_BASE_URL, timeoutMs: e.OT_API_TIMEOUT },
    http: { port: e.PORT },
    database: e.DATABASE_URL,
    fundChannel: e.FUND_CHANNEL,
    permissions: {
      adminUsers: e.ADMIN_USERS,
      requesterUsers: e.REQUESTER_USERS,
      requesterUsergroups: e.REQUESTER_USERGROUPS,
    },
    upstreamSecret: e.UPSTREAM_SECRET,
    opentrainWebhookSecret: e.OPENTRAIN_WEBHOOK_SECRET,
    pollSchedule: e.POLL_SCHEDULE,
    reminderOffsetsMs: e.REMINDER_OFFSETS,
    fundConcurrency: e.FUND_CONCURRENCY,
    retention: {
      endedApprovalsMs: e.RETENTION_ENDED_APPROVALS,
      finishedEffectsMs: e.RETENTION_FINISHED_EFFECTS,
      auditMs: e.RETENTION_AUDIT,
    },
    logLevel: e.LOG_LEVEL,
  });
}

/** The settings as an operator may see them: secrets reduced to whether they are set. */
export function describeConfig(config: Config): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'set',
    SLACK_SIGNING_SECRET: config.slack.signingSecret === undefined ? '(not set: Socket Mode)' : 'set',
    SLACK_APP_TOKEN:
      config.slack.appToken === undefined ? '(not set: Slack sends HTTP requests)' : 'set (Socket Mode)',
    SLACK_API_URL: config.slack.apiUrl,
    OT_API_TOKEN: 'set',
    OT_API_BASE_URL: config.opentrain.baseUrl,
    OT_API_TIMEOUT: formatDuration(config.opentrain.timeoutMs),
    PORT: String(config.http.port),
    DATABASE_URL: describeDatabase(config.database),
    FUND_CHANNEL: config.fundChannel ?? '(the channel the command came from)',
    POLL_SCHEDULE: config.pollSchedule,
    REMINDER_OFFSETS: config.reminderOffsetsMs.map(formatDuration).join(',') || 'none',
    ADMIN_USERS: config.permissions.adminUsers.join(',') || '(nobody: routes cannot be changed)',
    REQUESTER_USERS: config.permissions.requesterUsers.join(',') || '(not set)',
    REQUESTER_USERGROUPS: config.permissions.requesterUsergroups.join(',') || '(not set)',
    UPSTREAM_SECRET: config.upstreamSecret === undefined ? '(not set: /api/fund-requests is off)' : 'set',
    OPENTRAIN_WEBHOOK_SECRET:
      config.opentrainWebhookSecret === undefined ? '(not set: /opentrain/webhook is off)' : 'set',
    FUND_CONCURRENCY: String(config.fundConcurrency),
    RETENTION_ENDED_APPROVALS: describeKept(config.retention.endedApprovalsMs),
    RETENTION_FINISHED_EFFECTS: describeKept(config.retention.finishedEffectsMs),
    RETENTION_AUDIT: describeKept(config.retention.auditMs),
    LOG_LEVEL: config.logLevel,
  };
}

/** The database setting as an operator may see it: a PostgreSQL URL with its password replaced. */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.kind === 'sqlite') return `sqlite:${database.path}`;
  const url = new URL(database.url);
  if (url.password !== '') url.password = 'redacted';
  // libpq also takes the password as a query parameter.
  for (const name of [...url.searchParams.keys()]) {
    if (name.toLowerCase() === 'password') url.searchParams.set(name, 'redacted');
  }
  return url.toString();
}

/**
 * Every secret value in the settings, for the logger to blank wherever it would appear in a line (an error's
 * nested request options, a library's message): the tokens, the secrets and a PostgreSQL URL's password, as
 * given and as it may be decoded.
 */
export function secretValues(config: Config): string[] {
  const values = [
    config.slack.botToken,
    config.slack.signingSecret,
    config.slack.appToken,
    config.opentrain.token,
    config.upstreamSecret,
    config.opentrainWebhookSecret,
    ...databaseSecrets(config.database),
  ];
  return [...new Set(values.filter((value): value is string => value !== undefined && value !== ''))];
}

function databaseSecrets(database: DatabaseConfig): string[] {
  if (database.kind === 'sqlite') return [];
  let url: URL;
  try {
    url = new URL(database.url);
  } catch {
    return [];
  }
  const given = [
    url.password,
    ...[...url.searchParams].filter(([name]) => name.toLowerCase() === 'password').map(([, v]) => v),
  ];
  return given.flatMap((value) => {
    if (value === '') return [];
    let decoded = value;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      // not percent-encoded
    }
    return [value, decoded, encodeURIComponent(decoded)];
  });
}

/** Just the OpenTrain settings, for the operator CLI (it needs no Slack credentials). */
export function loadOpenTrainSettings(env: Record<string, string | undefined>): Config['opentrain'] {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = Env.pick({ OT_API_TOKEN: true, OT_API_BASE_URL: true, OT_API_TIMEOUT: true }).safeParse(
    present,
  );
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  }
  return {
    token: parsed.data.OT_API_TOKEN,
    baseUrl: parsed.data.OT_API_BASE_URL,
    timeoutMs: parsed.data.OT_API_TIMEOUT,
  };
}

/** What the operator CLI needs to read the store and OpenTrain (no Slack credentials). */
export function loadOperatorSettings(
  env: Record<string, string | undefined>,
): Pick<Config, 'opentrain' | 'database' | 'reminderOffsetsMs'> {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = Env.pick({
    OT_API_TOKEN: true,
    OT_API_BASE_URL: true,
    OT_API_TIMEOUT: true,
    DATABASE_URL: true,
    REMINDER_OFFSETS: true,
  }).safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  }
  const e = parsed.data;
  return {
    opentrain: { token: e.OT_API_TOKEN, baseUrl: e.OT_API_BASE_URL, timeoutMs: e.OT_API_TIMEOUT },
    database: e.DATABASE_URL,
    reminderOffsetsMs: e.REMINDER_OFFSETS,
  };
}

/** Every setting Countersign reads (README → Settings); deployment files may name these and no others. */
export const settingNames: readonly string[] = Object.keys(Env.shape);

/** Just DATABASE_URL, for the operator commands that only read or migrate the store. */
export function loadDatabaseSetting(env: Record<string, string | undefined>): Config['database'] {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = Env.pick({ DATABASE_URL: true }).safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  }
  return parsed.data.DATABASE_URL;
}
