import { randomUUID } from 'node:crypto';
import { App } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { Agent } from 'undici';
import { type Clock, systemClock } from './clock.js';
import { type Config, secretValues } from './config.js';
import { createRunner } from './delivery/runner.js';
import { fundRequestsRoute } from './http/fund-requests.js';
import { createPollerStatus, healthRoutes } from './http/health.js';
import { metricsRoute } from './http/metrics.js';
import { opentrainWebhookRoute } from './http/opentrain-webhook.js';
import { listen, type Route } from './http/server.js';
import { createLogger, type Logger, toSlackLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createOpenTrainClient } from './opentrain/client.js';
import { createOpenTrainPort } from './opentrain/port.js';
import { reportOpenTrainToken } from './opentrain/report-token.js';
import { createPoller, intervalOf, lastTickKey } from './poller.js';
import type { Store } from './ports/store.js';
import { createSlackDelivery } from './slack/delivery.js';
import { createDirectory } from './slack/directory.js';
import { createSlackGateway } from './slack/gateway.js';
import { createSlackHttpReceiver, type SlackHttpReceiver } from './slack/http-receiver.js';
import { resolveIdentity, StartupError } from './slack/identity.js';
import { registerActions } from './slack/listeners/actions/index.js';
import { type CommandHandler, commandHandlers } from './slack/listeners/commands/index.js';
import { registerEvents } from './slack/listeners/events/index.js';
import { createPermissions } from './slack/permissions.js';
import { createSlackSocketReceiver, type SlackSocketReceiver } from './slack/socket-receiver.js';
import { StoreOpenError } from './store/errors.js';
import { openStore } from './store/open-store.js';
import { pruneExpired } from './use-cases/retention.js';
import { createHandlers, createUseCases, type UseCases } from './use-cases/use-cases.js';

export { StartupError };

export interface ServiceOptions {
  /** The sandbox and the tests pass a clock they can move; production uses the system clock. */
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Interface to listen on; all of them by default (a service behind a proxy). The sandbox uses loopback. */
  readonly host?: string;
}

export interface StopOptions {
  /**
   * How long, at least, the listener keeps answering after shutdown begins (readiness says 503 throughout), so
   * a load balancer sees the 503 and stops sending before the port closes. 0 by default; main.ts sets it.
   */
  readonly drainMs?: number;
}

export interface Service {
  /** Where Slack should send requests, e.g. http://127.0.0.1:3000 (append /slack/events). */
  readonly url: string;
  readonly store: Store;
  readonly useCases: UseCases;
  /** Runs a poller tick now (coalesced with one in progress) and waits for it and for the work it queued. */
  pollNow(): Promise<void>;
  /**
   * Graceful: readiness answers 503 at once while the listener keeps answering (a command that arrives is
   * acked and recorded for any replica to carry out), the schedule stops, no new work is claimed, the work in
   * hand finishes (or is left to its lease), then the listener and the store close.
   */
  stop(options?: StopOptions): Promise<void>;
}

/**
 * The composition root: builds every adapter from the config, hands the use cases their ports, registers the
 * Slack listeners and HTTP routes, and starts the queue runner and the poller.
 */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger({ level: config.logLevel, secrets: secretValues(config) });
  const metrics = createMetrics();
  const slackLogger = toSlackLogger(log);
  const dispatcher = new Agent({ connect: { timeout: 5_000 }, keepAliveTimeout: 10_000 });
  const gateway = createSlackGateway({
    client: new WebClient(config.slack.botToken, {
      slackApiUrl: config.slack.apiUrl,
      logger: slackLogger,
      // The SDK defaults (no timeout, ten retries over half an hour) could stall a worker for 30 minutes.
      // The queue retries from the store instead, honouring Retry-After.
      timeout: 10_000,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    }),
    dispatcher,
    timeoutMs: 10_000,
    // In production the business clock is real time; the tests and the sandbox move both together.
    now: () => clock.now().getTime(),
    onCall: metrics.slackCall,
  });

  let kick = () => {};
  let store: Store;
  try {
    store = await openStore(config.database, { onEnqueue: () => kick() });
  } catch (error) {
    if (error instanceof StoreOpenError) throw new StartupError(error.message);
    throw error;
  }
  const identity = await resolveIdentity(gateway, store.state, clock, log).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const workspaceId = identity.teamId;
  await store.adoptUnownedRows(workspaceId);

  const client = createOpenTrainClient({
    ...config.opentrain,
    clock,
    log,
    dispatcher,
    onCall: metrics.opentrainCall,
  });
  await reportOpenTrainToken(client, log);
  const opentrain = createOpenTrainPort(client, { trustedOrigin: new URL(config.opentrain.baseUrl).origin });
  const directory = createDirectory(gateway, clock);
  const permissions = createPermissions(config.permissions, directory);
  const slack = createSlackDelivery(gateway, {
    fundChannel: config.fundChannel,
    admins: config.permissions.adminUsers,
    requesterUsers: config.permissions.requesterUsers,
    requesterUsergroups: config.permissions.requesterUsergroups,
  });
  const deps = {
    store,
    opentrain,
    slack,
    directory,
    clock,
    log,
    workspaceId,
    settings: {
      fundChannel: config.fundChannel,
      reminderOffsetsMs: config.reminderOffsetsMs,
      countdownsPerTick: countdownBudget(config.pollSchedule),
    },
    isAdmin: permissions.isAdmin,
    metrics: metrics.useCases,
  };
  /** This replica's name, for every lease it takes. */
  const owner = `countersign-${randomUUID()}`;
  const runner = createRunner({
    outbox: store.outbox,
    handlers: createHandlers(deps),
    clock,
    log,
    owner,
    fundConcurrency: config.fundConcurrency,
  });
  kick = runner.kick;
  const useCases = createUseCases(deps, runner.runNow);

  const status = createPollerStatus();
  const poller = createPoller({
    useCases,
    store,
    status,
    clock,
    log,
    schedule: config.pollSchedule,
    owner,
    onTick: metrics.tickTook,
  });
  let stopping = false;
  let slackConnected = () => true;
  // Whichever replica ticked: the poller is one for all of them.
  const lastTick = async () => {
    const last = await store.state.get(lastTickKey);
    return last === null ? status.lastTickFinishedAt : new Date(last);
  };
  const routes: Route[] = healthRoutes({
    health: store.health,
    outbox: store.outbox,
    runner,
    status,
    clock,
    staleAfterMs: poller.staleAfterMs,
    stopping: () => stopping,
    slackConnected: () => slackConnected(),
    lastTick,
  });
  routes.push(metricsRoute(metrics, { clock, lastTick, outbox: store.outbox, approvals: store.approvals }));
  const receiver = slackReceiver(config, {
    inbound: store.inbound,
    log,
    slackLogger,
    clock,
    onAnswered: metrics.commandAnswered,
    commands: commandHandlers({
      useCases,
      permissions,
      clock,
      log,
      respond: (responseUrl, message) => gateway.respond(responseUrl, message, { replaceOriginal: false }),
    }),
  });
  if ('route' in receiver) routes.push(receiver.route);
  if (config.upstreamSecret !== undefined) {
    routes.push(fundRequestsRoute({ useCases, clock, log, secret: config.upstreamSecret }));
  }
  if (config.opentrainWebhookSecret !== undefined) {
    routes.push(
      opentrainWebhookRoute({
        inbound: store.inbound,
        clock,
        log,
        secret: config.opentrainWebhookSecret,
        ring: poller.ring,
      }),
    );
  }

  const app = new App({
    receiver,
    // The identity learned at start-up: no inbound request ever waits on (or fails with) a Slack call.
    authorize: async () => ({
      botToken: config.slack.botToken,
      botId: identity.botId,
      botUserId: identity.botUserId,
      teamId: workspaceId,
    }),
    logger: slackLogger,
    convoStore: false,
  });
  registerActions(app, useCases);
  registerEvents(app, useCases, log);
  app.error(async (error) => {
    log.error({ err: error }, 'unhandled error in a Slack listener');
  });

  const server = await listen(routes, { port: config.http.port, host: options.host, log });
  if ('connected' in receiver) {
    slackConnected = receiver.connected;
    await receiver.start();
  }
  log.info(
    { port: server.port, slack: 'connected' in receiver ? 'socket-mode' : 'http' },
    'countersign is listening',
  );
  poller.start();
  runner.kick();
  const pruning = schedulePruning(store, config, clock, log);

  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${server.port}`,
    store,
    useCases,
    async pollNow() {
      await poller.tickNow();
      await runner.drain();
    },
    stop(stopOptions = {}) {
      stopped ??= (async () => {
        const began = Date.now();
        stopping = true;
        log.info('shutting down: not ready, finishing the work in hand');
        await poller.stop();
        pruning.stop();
        await runner.stop(6_000);
        await receiver.stop();
        const drainLeft = (stopOptions.drainMs ?? 0) - (Date.now() - began);
        if (drainLeft > 0) await new Promise((resolve) => setTimeout(resolve, drainLeft));
        await server.close();
        await dispatcher.close();
        await store.close();
        log.info({ tookMs: Date.now() - began }, 'countersign stopped');
      })();
      return stopped;
    },
  };
}

/** HTTP (Slack calls /slack/events) unless an app-level token asks for Socket Mode (Countersign calls Slack). */
function slackReceiver(
  config: Config,
  deps: {
    inbound: Store['inbound'];
    log: Logger;
    slackLogger: ReturnType<typeof toSlackLogger>;
    clock: Clock;
    onAnswered: (command: string, seconds: number) => void;
    commands: ReadonlyMap<string, CommandHandler>;
  },
): SlackHttpReceiver | SlackSocketReceiver {
  const businessNow = () => deps.clock.now();
  const { onAnswered, commands } = deps;
  if (config.slack.appToken !== undefined) {
    return createSlackSocketReceiver({
      appToken: config.slack.appToken,
      apiUrl: config.slack.apiUrl,
      slackLogger: deps.slackLogger,
      log: deps.log,
      inbound: deps.inbound,
      businessNow,
      onAnswered,
      commands,
    });
  }
  if (config.slack.signingSecret === undefined)
    throw new StartupError('SLACK_SIGNING_SECRET is required over HTTP.');
  return createSlackHttpReceiver({
    signingSecret: config.slack.signingSecret,
    inbound: deps.inbound,
    log: deps.log,
    businessNow,
    onAnswered,
    commands,
  });
}

/**
 * Retention: a minute after start, then hourly, what is past its retention goes, in batches between which
 * requests are served. A failure is logged and tried again at the next hour.
 */
function schedulePruning(store: Store, config: Config, clock: Clock, log: Logger): { stop(): void } {
  const pruneLog = log.child({ component: 'retention' });
  let running: Promise<unknown> | undefined;
  const prune = () => {
    if (running !== undefined) return;
    running = pruneExpired({ retention: store.retention, log: pruneLog }, config.retention, clock.now())
      .catch((error: unknown) => pruneLog.warn({ err: error }, 'pruning failed; will try again in an hour'))
      .finally(() => {
        running = undefined;
      });
  };
  const first = setTimeout(prune, 60_000);
  const hourly = setInterval(prune, 3_600_000);
  first.unref();
  hourly.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(hourly);
    },
  };
}

/**
 * Countdown refreshes a tick may ask for: 30 card edits a minute, out of the about 50 chat.update a minute
 * Slack allows a workspace, so outcome edits always keep room. Nearest expiry first; the rest wait.
 */
function countdownBudget(schedule: string): number {
  return Math.max(1, Math.min(500, Math.ceil((30 * intervalOf(schedule)) / 60_000)));
}
