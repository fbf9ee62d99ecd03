import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig, secretValues } from '../../src/config.js';
import { createLogger, createScrubber, toSlackLogger } from '../../src/logger.js';

const env = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-unitTestBotToken',
  SLACK_SIGNING_SECRET: 'unit-signing-secret-0123456789',
  SLACK_APP_TOKEN: 'xapp-1-A0UNIT-3333-unitTestAppToken',
  OT_API_TOKEN: 'ot_pat_unitTestOpenTrainToken',
  UPSTREAM_SECRET: 'unit-upstream-secret-0123456789',
  OPENTRAIN_WEBHOOK_SECRET: 'whsec_unitTestWebhookSecret',
  DATABASE_URL: 'postgres://countersign:p%40ss%22word-unit@db.internal:5432/countersign',
  LOG_LEVEL: 'debug',
};

function capture(secrets: readonly string[]) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger({ level: 'trace', destination, secrets }), lines };
}

describe('the logger keeps secrets out of every line', () => {
  const config = loadConfig(env);
  const secrets = secretValues(config);
  const decodedPassword = 'p@ss"word-unit';

  it('knows every configured secret, and the database password as given and decoded', () => {
    expect(secrets).toEqual(
      expect.arrayContaining([
        env.SLACK_BOT_TOKEN,
        env.SLACK_SIGNING_SECRET,
        env.SLACK_APP_TOKEN,
        env.OT_API_TOKEN,
        env.UPSTREAM_SECRET,
        env.OPENTRAIN_WEBHOOK_SECRET,
        'p%40ss%22word-unit',
        decodedPassword,
      ]),
    );
  });

  it('blanks them wherever they are: nested in an error, in a message, in a stack, JSON-escaped, at debug', () => {
    const { log, lines } = capture(secrets);
    const error = Object.assign(new Error(`request failed with ${env.SLACK_BOT_TOKEN}`), {
      original: {
        config: {
          headers: { Authorization: `Bearer ${env.SLACK_APP_TOKEN}` },
          data: env.SLACK_SIGNING_SECRET,
        },
      },
      connection: { password: decodedPassword, url: env.DATABASE_URL },
    });
    log.debug(
      { err: error, deep: { a: { b: { c: env.OT_API_TOKEN } } } },
      `webhook ${env.OPENTRAIN_WEBHOOK_SECRET}`,
    );
    log.trace({ body: `{"secret":"${env.UPSTREAM_SECRET}"}` }, 'upstream');
    log.child({ component: 'bolt' }).error(`password is ${decodedPassword}`);
    toSlackLogger(log).warn('socket opened with', env.SLACK_APP_TOKEN);

    const output = lines.join('\n');
    expect(lines).toHaveLength(4);
    for (const secret of [...secrets, JSON.stringify(decodedPassword).slice(1, -1)]) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('[redacted]');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('blanks credentials by their shape even when they are not configured', () => {
    const scrub = createScrubber([]);
    expect(scrub('token xoxb-9-9-abcdef and xoxp-1-2-zzz')).toBe('token xoxb-[redacted] and xoxp-[redacted]');
    expect(scrub('app xapp-1-A0X-1-abc')).toBe('app xapp-[redacted]');
    expect(scrub('ot ot_pat_abc123 and whsec_def456')).toBe('ot ot_pat_[redacted] and whsec_[redacted]');
    expect(scrub('Authorization: Bearer abc.def-ghi')).toBe('Authorization: Bearer [redacted]');
    expect(scrub('"url":"postgres://app:pw@db:5432/x"')).toBe('"url":"postgres://app:[redacted]@db:5432/x"');
    expect(scrub('postgres://db/x?user=app&password=pw')).toBe(
      'postgres://db/x?user=app&password=[redacted]',
    );
    expect(scrub('http://127.0.0.1:3000/slack/events')).toBe('http://127.0.0.1:3000/slack/events');
  });

  it('leaves very short values to the shapes, so the log stays readable', () => {
    const scrub = createScrubber(['pw']);
    expect(scrub('a pwd of postgres://app:pw@db/x')).toBe('a pwd of postgres://app:[redacted]@db/x');
  });
});
