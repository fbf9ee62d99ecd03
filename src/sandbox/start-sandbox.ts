import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShiftableClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { type Service, startService } from '../service.js';
import { createLiveEvents } from './live-events.js';
import { createOpenTrainSimulator, type OpenTrainSimulator } from './opentrain/simulator.js';
import { createPageApi } from './page-api.js';
import { buildPageState, type SandboxCast } from './page-state.js';
import { assertNoRealCredentials } from './real-credentials.js';
import { sandboxIds } from './slack/default-workspace.js';
import { createSlackFake, type SlackFake } from './slack/fake.js';
import { createStaticFiles } from './static-files.js';
import type { TrafficEntry } from './traffic.js';
import { createSandboxServer, slackPrefix } from './web-server.js';

export interface SandboxOptions {
  /**
   * The environment to check for real credentials (main passes process.env). Nothing from it reaches the
   * bot: the bot's settings are built from scratch below.
   */
  env: Record<string, string | undefined>;
  /** A .env file to check as well; `npm start` would load it. */
  dotenvPath?: string;
  /** Start even when real credentials are set (they are still never used). */
  allowRealEnv?: boolean;
  /** 0 (the default) picks a free port. The sandbox listens on 127.0.0.1 only. */
  port?: number;
  /** The bot's logger; by default warnings and errors go to stdout. */
  log?: Logger;
}

export interface Sandbox {
  /** The page, e.g. http://127.0.0.1:4100. */
  readonly url: string;
  readonly clock: ShiftableClock;
  readonly opentrain: OpenTrainSimulator;
  readonly slack: SlackFake;
  readonly service: Service;
  close(): Promise<void>;
}

export const sandboxCast: SandboxCast = {
  you: sandboxIds.bob,
  typingChannel: sandboxIds.projectX,
  fundChannel: sandboxIds.financeApprovals,
};

/** Polls every two seconds (production: 30 s), so a confirmation shows on the card almost at once. */
const pollSchedule = '*/2 * * * * *';
const pollEveryMs = 2_000;
const host = '127.0.0.1';

/**
 * Starts the real bot (the production service, unchanged) against the OpenTrain simulator and the Slack fake,
 * all on one clock, plus the page that plays both products. One HTTP server on loopback carries the page and
 * both fakes; the bot listens on its own free port, as it would in production.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  assertNoRealCredentials(options.env, { dotenvPath: options.dotenvPath, allow: options.allowRealEnv });

  const clock = new ShiftableClock();
  // Fresh secrets per run, and the bot listens on loopback only: nobody else can drive this bot.
  const secret = () => randomBytes(18).toString('base64url');
  const opentrain = createOpenTrainSimulator({ clock, token: `ot_pat_sandbox_${secret()}` });
  const slack = createSlackFake({ clock, botToken: `xoxb-sandbox-${secret()}`, signingSecret: secret() });
  const opened = new Set<string>();
  const inbound: TrafficEntry[] = [];
  const run = { id: randomBytes(6).toString('hex'), startedAt: new Date() };
  let service: Service | undefined;

  function state() {
    return buildPageState({ run, clock, opentrain, slack, cast: sandboxCast, pollEveryMs, opened, inbound });
  }
  const live = createLiveEvents({ build: state });
  const api = createPageApi({
    clock,
    opentrain,
    slack,
    cast: sandboxCast,
    service() {
      if (service === undefined) throw new Error('the bot is still starting');
      return service;
    },
    recordInbound(entry) {
      inbound.push(entry);
      if (inbound.length > 100) inbound.splice(0, inbound.length - 100);
      live.changed();
    },
    markOpened(approvalId) {
      opened.add(approvalId);
      live.changed();
    },
  });
  const server = createSandboxServer({ slack, opentrain, api, live, files: createStaticFiles(), state });
  const unsubscribe = [
    slack.onChange(() => live.changed()),
    opentrain.onChange(() => live.changed()),
    // Moving the clock makes reminders and expiry due; poll at once instead of at the next tick.
    clock.onAdvance(() => {
      live.changed();
      void service?.pollNow();
    }),
  ];

  // A fresh database per run: the simulator starts from its seed each time (its ids start over), so a store
  // kept from an earlier run would hold approvals and an /updates cursor this OpenTrain has never seen.
  const dataDir = mkdtempSync(join(tmpdir(), 'countersign-sandbox-'));

  async function shutDown(): Promise<void> {
    for (const stop of unsubscribe) stop();
    live.close();
    // The bot first, while the fakes can still answer the calls of a tick in progress.
    await service?.stop();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    await slack.close();
    await opentrain.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
  } catch (error) {
    await shutDown();
    throw error;
  }
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  slack.useOrigin(`${origin}${slackPrefix}`);
  // approvalUrl must open the sandbox's approval page, not app.opentrain.ai.
  opentrain.publicBaseUrl = origin;

  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: slack.signingSecret,
    SLACK_API_URL: slack.apiUrl,
    OT_API_TOKEN: opentrain.token,
    OT_API_BASE_URL: `${origin}/api/public/v1`,
    PORT: '0',
    DATABASE_URL: `sqlite:${join(dataDir, 'countersign.db')}`,
    FUND_CHANNEL: sandboxCast.fundChannel,
    POLL_SCHEDULE: pollSchedule,
    REMINDER_OFFSETS: '24h,1h',
    LOG_LEVEL: 'warn',
  };

  try {
    // Belt and braces: whatever changes above, the bot must never be pointed off this machine.
    for (const name of ['SLACK_API_URL', 'OT_API_BASE_URL'] as const) {
      if (new URL(env[name] ?? '').hostname !== host) throw new Error(`sandbox bug: ${name} is not loopback`);
    }
    const config = loadConfig(env);
    service = await startService(config, {
      clock,
      host,
      log: options.log ?? createLogger({ level: 'warn' }),
    });
  } catch (error) {
    await shutDown();
    throw error;
  }
  const started = service;

  let closing: Promise<void> | undefined;
  return {
    url: origin,
    clock,
    opentrain,
    slack,
    service: started,
    close() {
      closing ??= shutDown();
      return closing;
    },
  };
}
