import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ShiftableClock } from '../../src/clock.js';
import { loadConfig, secretValues } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createOpenTrainSimulator, type OpenTrainSimulator } from '../../src/sandbox/opentrain/simulator.js';
import { sandboxIds } from '../../src/sandbox/slack/default-workspace.js';
import { createSlackFake, type SlackFake } from '../../src/sandbox/slack/fake.js';
import { type Service, startService } from '../../src/service.js';

export const ids = sandboxIds;

export interface Harness {
  readonly clock: ShiftableClock;
  readonly opentrain: OpenTrainSimulator;
  readonly slack: SlackFake;
  readonly service: Service;
  readonly env: Record<string, string>;
  /** Every JSON log line the bot wrote. */
  readonly logs: string[];
  /** Types `/fund-milestone <text>` as `userId` in `channelId`, exactly as Slack would send it. */
  command(text: string, as?: { userId?: string; channelId?: string }): ReturnType<SlackFake['sendCommand']>;
  /** Stops the bot only (the fakes keep running), as a crash or a deploy would. */
  stopBot(): Promise<void>;
  startBot(): Promise<Service>;
  close(): Promise<void>;
}

/**
 * Starts the OpenTrain simulator and the Slack fake on free ports, then the real bot pointed at them with a
 * SQLite file in a temp dir. The bot, the simulator and the fake share one clock the test can move.
 */
export async function startHarness(
  env: Record<string, string> = {},
  options: { startBot?: boolean; approvalTtlMs?: number } = {},
): Promise<Harness> {
  const clock = new ShiftableClock();
  const opentrain = createOpenTrainSimulator({
    clock,
    ...(options.approvalTtlMs === undefined ? {} : { approvalTtlMs: options.approvalTtlMs }),
  });
  const otBaseUrl = await opentrain.listen();
  const slack = createSlackFake({ clock });
  await slack.listen();
  const dir = mkdtempSync(join(tmpdir(), 'countersign-e2e-'));
  const fullEnv: Record<string, string> = {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: slack.signingSecret,
    SLACK_API_URL: slack.apiUrl,
    OT_API_TOKEN: opentrain.token,
    OT_API_BASE_URL: otBaseUrl,
    PORT: '0',
    DATABASE_URL: `sqlite:${join(dir, 'countersign.db')}`,
    // Ticks are triggered by the tests (pollNow) or by this schedule, whichever comes first.
    POLL_SCHEDULE: '*/1 * * * * *',
    LOG_LEVEL: 'debug',
    ...env,
  };
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });

  let service: Service | undefined;
  async function startBot(): Promise<Service> {
    const config = loadConfig(fullEnv);
    service = await startService(config, {
      clock,
      host: '127.0.0.1',
      log: createLogger({ level: config.logLevel, destination, secrets: secretValues(config) }),
    });
    return service;
  }
  if (options.startBot !== false) await startBot();
  function bot(): Service {
    if (service === undefined) throw new Error('the bot is stopped');
    return service;
  }

  return {
    clock,
    opentrain,
    slack,
    env: fullEnv,
    logs,
    get service() {
      return bot();
    },
    command(text, as = {}) {
      return slack.sendCommand({
        appUrl: `${bot().url}/slack/events`,
        text,
        userId: as.userId ?? ids.alice,
        channelId: as.channelId ?? ids.financeApprovals,
      });
    },
    async stopBot() {
      await service?.stop();
      service = undefined;
    },
    startBot,
    async close() {
      await service?.stop();
      await slack.close();
      await opentrain.close();
    },
  };
}

/** Waits for an ephemeral reply to `userId` whose text contains `fragment`, and returns its text. */
export function replyContaining(h: Harness, userId: string, fragment: string): Promise<string> {
  return h.slack.waitUntil(
    () => h.slack.ephemerals(userId).find((message) => message.text.includes(fragment))?.text,
    5_000,
    `an ephemeral reply to ${userId} containing "${fragment}"`,
  );
}

/** The bot's top-level messages in a channel: its cards. */
export function botMessages(h: Harness, channelId: string) {
  return h.slack.messages(channelId).filter((message) => message.user === ids.botUser);
}

/** Waits for the bot's first message in the channel matching `predicate` (a card), and returns it. */
export function waitForCard(
  h: Harness,
  channelId: string,
  predicate: (text: string) => boolean = () => true,
) {
  return h.slack.waitUntil(
    () =>
      botMessages(h, channelId).find((message) => predicate(JSON.stringify(message.blocks) + message.text)),
    5_000,
    `a card in ${channelId}`,
  );
}

/** Every DM the bot sent `userId` so far, oldest first. */
export function dmsTo(h: Harness, userId: string) {
  const channel = h.slack.dmChannelOf(userId);
  return channel === undefined ? [] : h.slack.messages(channel);
}

/** Waits for a DM from the bot to `userId` containing `fragment`. */
export function dmContaining(h: Harness, userId: string, fragment: string) {
  return h.slack.waitUntil(
    () => {
      const channel = h.slack.dmChannelOf(userId);
      if (channel === undefined) return undefined;
      return h.slack
        .messages(channel)
        .find((message) => (JSON.stringify(message.blocks) + message.text).includes(fragment));
    },
    5_000,
    `a DM to ${userId} containing "${fragment}"`,
  );
}

/** Requests OpenTrain received, by path, e.g. count of POST /milestones/M-1001/fund. */
export function opentrainCalls(h: Harness, method: string, pathFragment: string) {
  return h.opentrain.requests.filter(
    (request) => request.method === method && request.path.includes(pathFragment),
  );
}
