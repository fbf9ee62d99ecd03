import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runScript } from './cli.js';
import { type Harness, startHarness } from './harness.js';

async function runMain(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { code, stdout, stderr } = await runScript('src/main.ts', [], env);
  return { code, output: stdout + stderr };
}

describe('starting the bot', () => {
  it('lists every configuration problem, exits non-zero and prints no secret', async () => {
    const { code, output } = await runMain({
      SLACK_BOT_TOKEN: 'xoxp-a-user-token-supersecret',
      OT_API_TOKEN: 'ot_clm_claim-supersecret',
      PORT: 'not-a-port',
      REMINDER_OFFSETS: '24h,whenever',
    });

    expect(code).toBe(1);
    for (const name of [
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'OT_API_TOKEN',
      'PORT',
      'REMINDER_OFFSETS',
    ]) {
      expect(output).toContain(name);
    }
    expect(output).not.toContain('supersecret');
  });

  describe('against Slack', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness({}, { startBot: false });
    });
    afterEach(async () => {
      await h.close();
    });

    it('refuses a bot token Slack rejects, with a fix', async () => {
      const { code, output } = await runMain({
        ...h.env,
        SLACK_BOT_TOKEN: 'xoxb-revoked-supersecret',
        PORT: '0',
      });

      expect(code).toBe(1);
      expect(output).toContain('Slack rejected SLACK_BOT_TOKEN (invalid_auth)');
      expect(output).not.toContain('supersecret');
    });
  });
});

describe('checking the OpenTrain token at start-up', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '0 0 1 1 *' }, { startBot: false });
  });
  afterEach(async () => {
    await h.close();
  });

  const entries = () =>
    h.logs.map((line) => JSON.parse(line) as { level: number; msg: string; err?: unknown });

  it('says plainly when the token lacks payments:write, and still starts', async () => {
    h.opentrain.setAccount({ scopes: ['payments:read'] });

    await h.startBot();

    const line = entries().find((entry) => entry.msg.includes('lacks payments:write'));
    expect(line?.level).toBe(50);
    expect(line?.msg).toContain('Settings → API keys');
  });

  it('reports the scopes of a good token once', async () => {
    await h.startBot();

    expect(entries().filter((entry) => entry.msg === 'connected to OpenTrain')).toHaveLength(1);
  });

  it('warns once when OpenTrain is unreachable, then retries quietly instead of a stack trace per tick', async () => {
    h.env.OT_API_BASE_URL = 'http://127.0.0.1:9/api/public/v1';
    await h.startBot();

    for (let tick = 0; tick < 4; tick++) await h.service.pollNow();

    const loud = entries().filter((entry) => entry.level >= 40);
    expect(loud.filter((entry) => entry.msg.includes('unreachable at startup'))).toHaveLength(1);
    expect(loud.filter((entry) => entry.msg.includes('not answering the poller'))).toHaveLength(1);
    expect(loud.filter((entry) => entry.err !== undefined)).toEqual([]);
  });
});
