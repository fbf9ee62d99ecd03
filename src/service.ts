import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { App, type CustomRoute, HTTPReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import cron from 'node-cron';
import { Agent } from 'undici';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { fundRequestsRoute } from './http/fund-requests.js';
import { createPollerStatus, healthRoutes } from './http/health.js';
import { opentrainWebhookRoute } from './http/opentrain-webhook.js';
import { coalesce } from './jobs/coalesce.js';
import type { JobDeps } from './jobs/deps.js';
import { pollOnce } from './jobs/poll.js';
import { createWorker } from './jobs/worker.js';
import { createLogger, type Logger, toSlackLogger } from './logger.js';
import { createOpenTrainClient } from './opentrain/client.js';
import { openApprovalAction } from './slack/actions/open-approval.js';
import { fundMilestoneCommand } from './slack/commands/fund-milestone.js';
import { appHomeOpened } from './slack/events/app-home-opened.js';
import { createSlackGateway, toSlackCallError } from './slack/gateway.js';
import { createMembership } from './slack/membership.js';
import { openApprovalActionId } from './slack/messages/card.js';
import { createPermissions } from './slack/permissions.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';

export interface ServiceOptions {
  /** The sandbox and the tests pass a clock they can move; production uses the system clock. */
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Interface to listen on; all of them by default (a service behind a proxy). The sandbox uses loopback. */
  readonly host?: string;
}

export interface Service {
  /** Where Slack should send requests, e.g. http://127.0.0.1:3000 (append /slack/events). */
  readonly url: string;
  readonly store: Store;
  /** Runs a poller tick now (coalesced with one in progress) and waits for it and for the work it scheduled. */
  pollNow(): Promise<void>;
  stop(): Promise<void>;
}

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Webhook deliveries are remembered this long for dedupe; OpenTrain's last retry comes about 2.6 h after the first. */
const deliveryMemoryMs = 24 * 3_600_000;

/** The composition root: builds every client and store from the config, wires them, starts serving. */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger({ level: config.logLevel });
  const slackLogger = toSlackLogger(log);
  const clientOptions = {
    slackApiUrl: config.slack.apiUrl,
    logger: slackLogger,
    // The SDK defaults (no timeout, ten retries over half an hour) could stall a tick for 30 minutes.
    // The worker retries from the store instead, honouring Retry-After per card.
    timeout: 10_000,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  };
  const dispatcher = new Agent({ connect: { timeout: 5_000 }, keepAliveTimeout: 10_000 });
  const slack = createSlackGateway({
    client: new WebClient(config.slack.botToken, clientOptions),
    dispatcher,
    timeoutMs: 10_000,
  });
  await checkSlackToken(slack, log);

  const store = openStore(config.database);
  const membership = createMembership(slack, clock);
  const deps: JobDeps = {
    store,
    clock,
    log,
    slack,
    membership,
    workerId: `countersign-${randomUUID()}`,
    opentrain: createOpenTrainClient({
      baseUrl: config.opentrain.baseUrl,
      token: config.opentrain.token,
      timeoutMs: config.opentrain.timeoutMs,
      clock,
      log,
      dispatcher,
    }),
    settings: { fundChannel: config.fundChannel, reminderOffsetsMs: config.reminderOffsetsMs },
  };
  const worker = createWorker(deps);
  const permissions = createPermissions(config.permissions, membership);
  const status = createPollerStatus();

  let stopped = false;
  const tick = coalesce(async () => {
    if (stopped) return;
    status.lastTickStartedAt = clock.now();
    const report = await pollOnce(deps, worker.kick);
    await store
      .pruneDeliveries(new Date(clock.now().getTime() - deliveryMemoryMs))
      .catch((error: unknown) => {
        log.warn({ err: error }, 'could not prune old webhook deliveries');
      });
    status.lastFailures = report.failures;
    status.lastTickFinishedAt = clock.now();
    log.debug({ ...report }, 'poll tick finished');
    // The worker sends what the tick scheduled on its own time, so a slow send never delays the next poll.
    worker.kick();
  });
  const ring = () => {
    tick().catch((error: unknown) => log.error({ err: error }, 'poll triggered by the webhook failed'));
  };

  const routes: CustomRoute[] = healthRoutes({
    store,
    status,
    clock,
    staleAfterMs: staleAfterMs(config.pollSchedule),
  });
  if (config.upstreamSecret !== undefined) {
    routes.push(fundRequestsRoute(deps, config.upstreamSecret, { syncCardNow: worker.syncCardNow }));
  }
  if (config.opentrainWebhookSecret !== undefined) {
    routes.push(opentrainWebhookRoute({ store, clock, log, secret: config.opentrainWebhookSecret, ring }));
  }
  const receiver = new HTTPReceiver({
    signingSecret: config.slack.signingSecret,
    endpoints: '/slack/events',
    logger: slackLogger,
    processBeforeResponse: false,
    customRoutes: routes,
  });
  const app = new App({
    receiver,
    token: config.slack.botToken,
    logger: slackLogger,
    // The token was checked above, with a message an operator can act on.
    tokenVerificationEnabled: false,
    clientOptions,
  });
  app.command('/fund-milestone', fundMilestoneCommand({ jobs: deps, permissions, kick: worker.kick }));
  app.action(openApprovalActionId, openApprovalAction({ store, clock, log }));
  app.event('app_home_opened', appHomeOpened({ store, clock, log, kick: worker.kick }));
  app.error(async (error) => {
    log.error({ err: error }, 'unhandled error in a Slack listener');
  });

  const task = cron.schedule(config.pollSchedule, () => tick(), {
    name: 'poll-opentrain',
    timezone: 'UTC',
    noOverlap: true,
  });
  const server = await app.start({ port: config.http.port, host: options.host });
  const { port } = server.address() as AddressInfo;
  log.info({ port }, 'countersign is listening');
  ring();

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    async pollNow() {
      await tick();
      await worker.drain();
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        await task.stop();
        await task.destroy();
        await app
          .stop()
          .catch((error: unknown) => log.warn({ err: error }, 'HTTP server did not stop cleanly'));
        await tick().catch(() => undefined); // waits for a tick in progress; starts none
        await worker.stop();
        await dispatcher.close();
        await store.close();
        log.info('countersign stopped');
      })();
      return stopping;
    },
  };
}

/** Fails the start on a token Slack rejects; carries on (and says so) when Slack is merely unreachable. */
async function checkSlackToken(slack: ReturnType<typeof createSlackGateway>, log: Logger): Promise<void> {
  try {
    const identity = await slack.identity();
    log.info({ team: identity.teamId, botUser: identity.userId }, 'connected to Slack');
  } catch (error) {
    const failure = toSlackCallError(error);
    if (failure.transient) {
      log.warn({ code: failure.code }, 'Slack is unreachable at startup; continuing, calls will be retried');
      return;
    }
    throw new StartupError(
      `Slack rejected SLACK_BOT_TOKEN (${failure.code}). Copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page, and reinstall the app if its scopes changed.`,
    );
  }
}

/** Three poll intervals, and never less than a minute: a poller this late is stuck. */
function staleAfterMs(schedule: string): number {
  const task = cron.createTask(schedule, () => undefined, { timezone: 'UTC' });
  const [first, second] = task.getNextRuns(2);
  void task.destroy();
  const interval = first !== undefined && second !== undefined ? second.getTime() - first.getTime() : 60_000;
  return Math.max(60_000, interval * 3);
}
