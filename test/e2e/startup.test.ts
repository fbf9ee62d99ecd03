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
