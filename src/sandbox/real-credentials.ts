import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { isEnvExamplePlaceholder } from '../config.js';

/** The settings that would let the bot act in a real Slack workspace or on a real OpenTrain account. */
export const realCredentialNames = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'OT_API_TOKEN'] as const;

export interface FoundCredential {
  readonly name: (typeof realCredentialNames)[number];
  /** "the environment", or the path of the .env file that sets it. */
  readonly source: string;
}

export class RealCredentialsError extends Error {
  override readonly name = 'RealCredentialsError';
  readonly found: readonly FoundCredential[];

  constructor(found: readonly FoundCredential[]) {
    const lines = found.map((item) => `  - ${item.name} (set in ${item.source})`);
    super(
      [
        'The sandbox will not start: real credentials are set.',
        ...lines,
        'The sandbox never uses them (it runs the bot against a simulated Slack and OpenTrain on this machine),',
        'but with them set it is too easy to believe you are looking at your real workspace, or to mix the two up.',
        'Unset them (or move .env aside), or start anyway with `npm run sandbox -- --allow-real-env`',
        'or SANDBOX_IGNORE_REAL_TOKENS=1; they are still ignored.',
      ].join('\n'),
    );
    this.found = found;
  }
}

/** Empty values count as unset (as loadConfig treats them), and so do .env.example's placeholders. */
function isReal(name: string, value: string | undefined): boolean {
  return (value ?? '').trim() !== '' && !isEnvExamplePlaceholder(name, value);
}

/**
 * Lists the real credentials visible to this process: in `env`, and in the .env file at `dotenvPath` (which
 * `npm start` loads, so a developer who set up the real bot has them there). A .env copied from .env.example
 * and not filled in yet holds no credential, so it does not stop the sandbox.
 */
export function findRealCredentials(
  env: Record<string, string | undefined>,
  dotenvPath?: string,
): FoundCredential[] {
  const found: FoundCredential[] = [];
  for (const name of realCredentialNames) {
    if (isReal(name, env[name])) found.push({ name, source: 'the environment' });
  }
  if (dotenvPath === undefined || !existsSync(dotenvPath)) return found;
  const fromFile = parseEnv(readFileSync(dotenvPath, 'utf8'));
  for (const name of realCredentialNames) {
    if (isReal(name, fromFile[name]) && !found.some((item) => item.name === name)) {
      found.push({ name, source: dotenvPath });
    }
  }
  return found;
}

/** An explicit yes from the environment: SANDBOX_IGNORE_REAL_TOKENS=1 (or true/yes). */
export function ignoresRealTokens(env: Record<string, string | undefined>): boolean {
  return ['1', 'true', 'yes'].includes((env.SANDBOX_IGNORE_REAL_TOKENS ?? '').trim().toLowerCase());
}

/** Throws RealCredentialsError unless nothing is set or the caller said to carry on regardless. */
export function assertNoRealCredentials(
  env: Record<string, string | undefined>,
  options: { dotenvPath?: string; allow?: boolean } = {},
): void {
  if (options.allow === true || ignoresRealTokens(env)) return;
  const found = findRealCredentials(env, options.dotenvPath);
  if (found.length > 0) throw new RealCredentialsError(found);
}
