import { existsSync } from 'node:fs';
import { ConfigError, describeConfig, loadConfig, secretValues } from './config.js';
import { createLogger } from './logger.js';
import { StartupError, startService } from './service.js';

// The only module that touches process: settings in, signals and exit codes out.
async function main(): Promise<void> {
  // Values already in the environment win over the file.
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${error.message}\nSee README.md → Settings, or copy .env.example to .env.`);
    process.exit(1);
  }
  // Every configured secret is blanked wherever it would appear in a line, at every level.
  const log = createLogger({ level: config.logLevel, secrets: secretValues(config) });
  log.info({ settings: describeConfig(config) }, 'starting countersign');

  let service: Awaited<ReturnType<typeof startService>>;
  try {
    service = await startService(config, { log });
  } catch (error) {
    if (error instanceof StartupError) log.fatal(error.message);
    // Through the logger, not Node's own dump of the error: that would print its request options and headers.
    else log.fatal({ err: error }, 'countersign failed to start');
    process.exit(1);
  }

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    // Orchestrators wait about 30 s before killing; finish within 10 s whatever happens.
    setTimeout(() => process.exit(1), 10_000).unref();
    // Three seconds of 503s on /readyz while still answering, so a load balancer stops sending first.
    service.stop({ drainMs: 3_000 }).then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
}

await main();
