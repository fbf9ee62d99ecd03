import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { logLevels } from '../config.js';
import { createLogger } from '../logger.js';
import { RealCredentialsError } from './real-credentials.js';
import { type Sandbox, startSandbox } from './start-sandbox.js';

// `npm run sandbox`: the only sandbox module that touches process (arguments, environment, signals, exit).

const usage = `Usage: npm run sandbox [-- --allow-real-env]

Starts Countersign against a simulated Slack and OpenTrain on this machine and prints the address to open.
  --allow-real-env   start even if SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET or OT_API_TOKEN is set (still unused)
Environment: SANDBOX_PORT (default 4100, 0 = any free port), SANDBOX_LOG_LEVEL (default warn),
             SANDBOX_IGNORE_REAL_TOKENS=1 (same as --allow-real-env).`;

const SandboxEnv = z.object({
  SANDBOX_PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int({ error: 'must be a whole number' })
    .min(0)
    .max(65_535)
    .default(4100),
  SANDBOX_LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }).default('warn'),
});

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

async function main(): Promise<void> {
  let allowRealEnv = false;
  try {
    const { values } = parseArgs({
      options: { 'allow-real-env': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help === true) {
      console.log(usage);
      return;
    }
    allowRealEnv = values['allow-real-env'] === true;
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
  }
  const present = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== ''));
  const settings = SandboxEnv.safeParse(present);
  if (!settings.success) {
    fail(settings.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('\n'));
  }
  const { SANDBOX_PORT: port, SANDBOX_LOG_LEVEL: level } = settings.data;

  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      env: process.env,
      dotenvPath: resolve('.env'),
      allowRealEnv,
      port,
      // The bot's JSON log lines go to stderr, so stdout stays the address and the hints.
      log: createLogger({ level, destination: process.stderr }),
    });
  } catch (error) {
    if (error instanceof RealCredentialsError) fail(error.message);
    if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
      fail(`Port ${port} is already in use. Set SANDBOX_PORT to another port (or 0 for any free one).`);
    }
    throw error;
  }

  console.log(`Countersign sandbox: ${sandbox.url}`);
  console.log('  The real bot, wired to a simulated Slack and OpenTrain on this machine; nothing leaves it.');
  console.log('  Open the address and type /fund-milestone M-1001 in #project-x. Ctrl-C stops.');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.log('Stopping now.');
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: stopping the sandbox…`);
    sandbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('The sandbox did not stop cleanly:', error);
        process.exit(1);
      },
    );
  };
  // A second Ctrl-C while stopping exits at once.
  process.on('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

await main();
