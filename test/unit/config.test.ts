import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  describeConfig,
  envExamplePlaceholders,
  isEnvExamplePlaceholder,
  loadConfig,
  loadOpenTrainSettings,
} from '../../src/config.js';

const envExample = parseEnv(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'));

const valid = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-secretbot',
  SLACK_SIGNING_SECRET: 'shh-signing',
  OT_API_TOKEN: 'ot_pat_abc_secretot',
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('fills every default from a minimal environment', () => {
    const config = loadConfig(valid);

    expect(config).toEqual({
      slack: {
        botToken: valid.SLACK_BOT_TOKEN,
        signingSecret: valid.SLACK_SIGNING_SECRET,
        apiUrl: 'https://slack.com/api/',
      },
      opentrain: {
        token: valid.OT_API_TOKEN,
        baseUrl: 'https://app.opentrain.ai/api/public/v1',
        timeoutMs: 10_000,
      },
      http: { port: 3000 },
      database: { kind: 'sqlite', path: './data/countersign.db' },
      fundChannel: undefined,
      permissions: { adminUsers: [], requesterUsers: [], requesterUsergroups: [] },
      upstreamSecret: undefined,
      opentrainWebhookSecret: undefined,
      pollSchedule: '*/30 * * * * *',
      reminderOffsetsMs: [86_400_000, 3_600_000],
      fundConcurrency: 256,
      retention: { endedApprovalsMs: 7_776_000_000, finishedEffectsMs: 2_592_000_000, auditMs: null },
      logLevel: 'info',
    });
  });

  it('reads every setting', () => {
    const config = loadConfig({
      ...valid,
      SLACK_API_URL: 'http://127.0.0.1:9000/api',
      OT_API_BASE_URL: 'http://127.0.0.1:9001/api/public/v1/',
      PORT: '8080',
      DATABASE_URL: 'sqlite:/tmp/x.db',
      FUND_CHANNEL: 'C0FUNDING',
      POLL_SCHEDULE: '*/5 * * * * *',
      REMINDER_OFFSETS: '45s, 90m,24h,90m',
      LOG_LEVEL: 'debug',
      ADMIN_USERS: 'U0ALICE, U0BOB',
      REQUESTER_USERS: 'U0CAROL',
      REQUESTER_USERGROUPS: 'S0FINANCE',
      UPSTREAM_SECRET: 'a-long-enough-upstream-secret',
      OPENTRAIN_WEBHOOK_SECRET: 'whsec_abc',
    });

    expect(config.slack.apiUrl).toBe('http://127.0.0.1:9000/api/');
    expect(config.opentrain.baseUrl).toBe('http://127.0.0.1:9001/api/public/v1');
    expect(config.http.port).toBe(8080);
    expect(config.database).toEqual({ kind: 'sqlite', path: '/tmp/x.db' });
    expect(config.fundChannel).toBe('C0FUNDING');
    expect(config.reminderOffsetsMs).toEqual([86_400_000, 5_400_000, 45_000]);
    expect(config.logLevel).toBe('debug');
    expect(config.permissions).toEqual({
      adminUsers: ['U0ALICE', 'U0BOB'],
      requesterUsers: ['U0CAROL'],
      requesterUsergroups: ['S0FINANCE'],
    });
    expect(config.upstreamSecret).toBe('a-long-enough-upstream-secret');
    expect(config.opentrainWebhookSecret).toBe('whsec_abc');
  });

  it('refuses plain http to anything but this machine, since the tokens travel with every call', () => {
    const problems = problemsOf({
      ...valid,
      SLACK_API_URL: 'http://slack.example.com/api/',
      OT_API_BASE_URL: 'http://opentrain.example.com/api/public/v1',
    });

    expect(problems.map((problem) => problem.split(' ')[0])).toEqual(['SLACK_API_URL', 'OT_API_BASE_URL']);
    expect(loadConfig({ ...valid, OT_API_BASE_URL: 'http://localhost:9001/v1' }).opentrain.baseUrl).toBe(
      'http://localhost:9001/v1',
    );
  });

  it('treats empty values as unset and allows no reminders', () => {
    const config = loadConfig({ ...valid, PORT: '', REMINDER_OFFSETS: 'none' });

    expect(config.http.port).toBe(3000);
    expect(config.reminderOffsetsMs).toEqual([]);
  });

  it('reads the fund concurrency and the retention of each kind of finished row, forever included', () => {
    const defaults = loadConfig(valid);
    const set = loadConfig({
      ...valid,
      FUND_CONCURRENCY: '64',
      RETENTION_ENDED_APPROVALS: '36h',
      RETENTION_FINISHED_EFFECTS: 'forever',
      RETENTION_AUDIT: '400d',
    });

    expect(defaults.fundConcurrency).toBe(256);
    expect(defaults.retention).toEqual({
      endedApprovalsMs: 90 * 86_400_000,
      finishedEffectsMs: 30 * 86_400_000,
      auditMs: null,
    });
    expect(set.fundConcurrency).toBe(64);
    expect(set.retention).toEqual({
      endedApprovalsMs: 36 * 3_600_000,
      finishedEffectsMs: null,
      auditMs: 400 * 86_400_000,
    });
    expect(describeConfig(set)).toMatchObject({
      FUND_CONCURRENCY: '64',
      RETENTION_ENDED_APPROVALS: '36h',
      RETENTION_FINISHED_EFFECTS: 'forever',
      RETENTION_AUDIT: '400d',
    });
    expect(problemsOf({ ...valid, FUND_CONCURRENCY: '0', RETENTION_AUDIT: '2h' })).toEqual([
      'FUND_CONCURRENCY must be a whole number between 1 and 1024, e.g. 256',
      'RETENTION_AUDIT must be a duration of at least 1d (e.g. 90d, 36h) or forever',
    ]);
  });

  it('lists every problem at once without echoing secrets', () => {
    const problems = problemsOf({
      SLACK_BOT_TOKEN: 'xoxp-user-token-supersecret',
      OT_API_TOKEN: 'ot_clm_claimtoken-supersecret',
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      FUND_CHANNEL: '#finance',
      POLL_SCHEDULE: 'every minute',
      REMINDER_OFFSETS: '24h,soon',
      LOG_LEVEL: 'loud',
      ADMIN_USERS: 'alice',
      REQUESTER_USERGROUPS: '@finance',
      UPSTREAM_SECRET: 'secret',
      OPENTRAIN_WEBHOOK_SECRET: 'supersecret-without-prefix',
    });

    const names = problems.map((problem) => problem.split(' ')[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        'SLACK_BOT_TOKEN',
        'SLACK_SIGNING_SECRET',
        'OT_API_TOKEN',
        'PORT',
        'DATABASE_URL',
        'FUND_CHANNEL',
        'POLL_SCHEDULE',
        'REMINDER_OFFSETS',
        'LOG_LEVEL',
        'ADMIN_USERS',
        'REQUESTER_USERGROUPS',
        'UPSTREAM_SECRET',
        'OPENTRAIN_WEBHOOK_SECRET',
      ]),
    );
    expect(problems.join('\n')).not.toMatch(/supersecret/);
    expect(problems.join('\n')).toContain('"soon"');
  });

  it('refuses .env.example copied unchanged, naming each placeholder, the line to fix and where the real value is', () => {
    const problems = problemsOf(envExample);

    expect(problems).toHaveLength(3);
    expect(problems.map((problem) => problem.split(' ')[0])).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'OT_API_TOKEN',
    ]);
    for (const problem of problems) {
      const name = problem.split(' ')[0] ?? '';
      expect(problem).toContain('placeholder from .env.example');
      expect(problem).toContain(`${name}=… line in .env`);
    }
    expect(problems[0]).toContain('OAuth & Permissions');
    expect(problems[1]).toContain('Basic Information');
    expect(problems[2]).toContain('Settings → API keys');
  });

  it('accepts every other value .env.example ships, so only the placeholders need filling in', () => {
    const filled = {
      ...envExample,
      SLACK_BOT_TOKEN: valid.SLACK_BOT_TOKEN,
      SLACK_SIGNING_SECRET: valid.SLACK_SIGNING_SECRET,
      OT_API_TOKEN: valid.OT_API_TOKEN,
    };

    expect(problemsOf(filled)).toEqual([]);
    for (const [name, value] of Object.entries(envExample)) {
      const expected = name in envExamplePlaceholders;
      expect(isEnvExamplePlaceholder(name, value), name).toBe(expected);
    }
  });

  it('refuses the OpenTrain placeholder in the operator CLI settings too, spaces or not', () => {
    expect(() => loadOpenTrainSettings({ OT_API_TOKEN: ' ot_pat_your_token ' })).toThrow(
      /OT_API_TOKEN is still the placeholder/,
    );
  });

  it('selects PostgreSQL for a postgres:// or postgresql:// URL', () => {
    for (const url of [
      'postgres://cs:pw@db.internal:5432/countersign',
      'postgresql://db.internal/countersign',
    ]) {
      expect(loadConfig({ ...valid, DATABASE_URL: url }).database).toEqual({ kind: 'postgres', url });
    }
  });

  it('refuses a malformed PostgreSQL URL without echoing it', () => {
    const problems = problemsOf({ ...valid, DATABASE_URL: 'postgres://cs:supersecret#1@db.internal:5432/x' });

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^DATABASE_URL is not a valid PostgreSQL URL: .*percent-encoded/);
    expect(problems[0]).not.toContain('supersecret');
  });

  it('describes a PostgreSQL URL with its password replaced, in the URL or as a parameter', () => {
    const described = (url: string) =>
      describeConfig(loadConfig({ ...valid, DATABASE_URL: url })).DATABASE_URL;

    expect(described('postgres://cs:supersecret@db.internal:5432/countersign?sslmode=require')).toBe(
      'postgres://cs:redacted@db.internal:5432/countersign?sslmode=require',
    );
    expect(described('postgresql://cs@db.internal/countersign?password=supersecret')).toBe(
      'postgresql://cs@db.internal/countersign?password=redacted',
    );
    expect(described('postgres://db.internal/countersign')).toBe('postgres://db.internal/countersign');
    expect(describeConfig(loadConfig(valid)).DATABASE_URL).toBe('sqlite:./data/countersign.db');
  });

  it('describes settings with secrets hidden', () => {
    const described = JSON.stringify(describeConfig(loadConfig(valid)));

    expect(described).not.toContain('secret');
    expect(described).toContain('24h,1h');
  });
});
