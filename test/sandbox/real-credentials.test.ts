import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import {
  assertNoRealCredentials,
  findRealCredentials,
  RealCredentialsError,
} from '../../src/sandbox/real-credentials.js';
import { startSandbox } from '../../src/sandbox/start-sandbox.js';

const realLooking = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-realtoken',
  SLACK_SIGNING_SECRET: 'f00dfeed',
  OT_API_TOKEN: 'ot_pat_real_token',
};

function dotenv(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'countersign-dotenv-')), '.env');
  writeFileSync(path, text);
  return path;
}

describe('the sandbox and real credentials', () => {
  it('finds each real credential in the environment and in .env, and ignores empty ones', () => {
    const path = dotenv('OT_API_TOKEN=ot_pat_from_file\nSLACK_SIGNING_SECRET=\n');

    const found = findRealCredentials({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: '' }, path);

    expect(found).toEqual([
      { name: 'SLACK_BOT_TOKEN', source: 'the environment' },
      { name: 'OT_API_TOKEN', source: path },
    ]);
  });

  it('takes a .env copied from .env.example and not filled in yet for no credentials at all', () => {
    const path = dotenv(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'));

    expect(findRealCredentials({ OT_API_TOKEN: 'ot_pat_your_token' }, path)).toEqual([]);
    expect(() => assertNoRealCredentials({}, { dotenvPath: path })).not.toThrow();
  });

  it('refuses with a message that names them, says why, and says how to go ahead anyway', () => {
    const refuse = () => assertNoRealCredentials(realLooking);

    expect(refuse).toThrow(RealCredentialsError);
    expect(refuse).toThrow(/SLACK_BOT_TOKEN \(set in the environment\)/);
    expect(refuse).toThrow(/never uses them/);
    expect(refuse).toThrow(/--allow-real-env/);
    expect(refuse).toThrow(/SANDBOX_IGNORE_REAL_TOKENS=1/);
  });

  it('goes ahead when told to, by flag or by SANDBOX_IGNORE_REAL_TOKENS', () => {
    expect(() => assertNoRealCredentials(realLooking, { allow: true })).not.toThrow();
    expect(() => assertNoRealCredentials({ ...realLooking, SANDBOX_IGNORE_REAL_TOKENS: '1' })).not.toThrow();
    expect(() => assertNoRealCredentials({ ...realLooking, SANDBOX_IGNORE_REAL_TOKENS: '0' })).toThrow(
      RealCredentialsError,
    );
  });

  it('does not start at all when a real token is set', async () => {
    const start = startSandbox({ env: { OT_API_TOKEN: 'ot_pat_real_token' }, port: 0 });

    await expect(start).rejects.toThrow(RealCredentialsError);
  });

  it('when allowed, still runs the bot on the fakes’ own tokens and loopback addresses only', async () => {
    const sandbox = await startSandbox({
      env: realLooking,
      allowRealEnv: true,
      log: createLogger({ level: 'silent' }),
    });
    try {
      // The Slack fake accepts only its own token: a start with the real one would have failed auth.test.
      const [check] = sandbox.slack.callsTo('auth.test');
      expect(check?.response.body).toMatchObject({ ok: true });
      expect(new URL(sandbox.url).hostname).toBe('127.0.0.1');
      expect(new URL(sandbox.slack.apiUrl).hostname).toBe('127.0.0.1');
      expect(new URL(sandbox.service.url).hostname).toBe('127.0.0.1');
      // OpenTrain's simulator likewise answers 401 to any token but its own.
      await sandbox.service.pollNow();
      expect(sandbox.opentrain.requests.length).toBeGreaterThan(0);
      expect(sandbox.opentrain.requests.map((request) => request.status)).not.toContain(401);
    } finally {
      await sandbox.close();
    }
  });
});
