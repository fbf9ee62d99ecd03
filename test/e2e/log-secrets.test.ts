import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { signBody } from '../../src/http/signature.js';
import { createOpenTrainSimulator, type OpenTrainSimulator } from '../../src/sandbox/opentrain/simulator.js';
import { sandboxIds as ids } from '../../src/sandbox/slack/default-workspace.js';
import { createSlackFake, type SlackFake } from '../../src/sandbox/slack/fake.js';
import { findTestServer, postgresHint, type TestSchemas, testSchemas } from '../helpers/postgres.js';
import { BotProcess, buildIfStale } from './chaos/bot-process.js';

/*
 * No secret reaches the logs, at any level: the production process (`node dist/main.js`) runs at
 * LOG_LEVEL=debug over HTTP and then in Socket Mode, with every secret setting set to a value of its own, through
 * start-up, commands, the upstream API, the webhook, poll ticks and errors (Slack and OpenTrain failing, bad
 * signatures, a Socket Mode reconnect that fails once). Everything it writes (stdout and stderr) is then searched
 * for each secret, as given and as JSON would escape it.
 */

const server = await findTestServer();
const random = (bytes = 12) => randomBytes(bytes).toString('hex');

interface Secrets {
  readonly botToken: string;
  readonly appToken: string;
  readonly signingSecret: string;
  readonly openTrainToken: string;
  readonly upstreamSecret: string;
  readonly webhookSecret: string;
  readonly databasePassword: string;
}

/** Waits for `probe` to answer (checked every 50 ms), or fails naming `what`. */
async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > giveUpAt) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function entries(
  logPath: string,
): { level?: number; msg?: string; err?: unknown; settings?: Record<string, string> }[] {
  return readFileSync(logPath, 'utf8')
    .split('\n')
    .map((line) => line.replace(/^\[\d+\] /, ''))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as { level?: number; msg?: string }];
      } catch {
        return [];
      }
    });
}

if (server === undefined) {
  describe('secrets in the logs', () => {
    it.skip(`needs the server: ${postgresHint}`, () => {});
  });
} else {
  describe('secrets in the logs', () => {
    let schemas: TestSchemas;
    let slack: SlackFake;
    let opentrain: OpenTrainSimulator;
    let secrets: Secrets;
    let env: Record<string, string>;
    const dir = mkdtempSync(join(tmpdir(), 'countersign-log-secrets-'));
    const bots: BotProcess[] = [];

    beforeAll(async () => {
      buildIfStale();
      schemas = testSchemas(server);
      const { url } = await schemas.create();
      const databaseUrl = new URL(url);
      // The test server trusts loopback: a password in the URL is carried everywhere the URL goes, never asked.
      if (databaseUrl.password === '') databaseUrl.password = `pg-pass-${random()}`;
      secrets = {
        botToken: `xoxb-${random(4)}-${random(4)}-${random()}`,
        appToken: `xapp-1-A0SECRET-${random(4)}-${random()}`,
        signingSecret: random(16),
        openTrainToken: `ot_pat_${random()}`,
        upstreamSecret: `upstream-${random()}`,
        webhookSecret: `whsec_${random()}`,
        databasePassword: decodeURIComponent(databaseUrl.password),
      };
      slack = createSlackFake({
        clock: systemClock,
        botToken: secrets.botToken,
        appToken: secrets.appToken,
        signingSecret: secrets.signingSecret,
      });
      await slack.listen();
      opentrain = createOpenTrainSimulator({ clock: systemClock, token: secrets.openTrainToken });
      opentrain.addContract({
        id: 'C-7001',
        jobId: 'J-100',
        title: 'Secrets contract',
        freelancer: { userId: 'F-11', displayName: 'Maria G.' },
        milestones: [
          { id: 'M-7001', name: 'Batch 1', amountUsd: 100 },
          { id: 'M-7002', name: 'Batch 2', amountUsd: 100 },
        ],
      });
      const otBaseUrl = await opentrain.listen();
      env = {
        SLACK_BOT_TOKEN: secrets.botToken,
        SLACK_SIGNING_SECRET: secrets.signingSecret,
        SLACK_API_URL: slack.apiUrl,
        OT_API_TOKEN: secrets.openTrainToken,
        OT_API_BASE_URL: otBaseUrl,
        OT_API_TIMEOUT: '2s',
        UPSTREAM_SECRET: secrets.upstreamSecret,
        OPENTRAIN_WEBHOOK_SECRET: secrets.webhookSecret,
        DATABASE_URL: databaseUrl.toString(),
        FUND_CHANNEL: ids.financeApprovals,
        PORT: '0',
        POLL_SCHEDULE: '*/1 * * * * *',
        LOG_LEVEL: 'debug',
      };
    }, 180_000);

    afterAll(async () => {
      for (const bot of bots) await bot.close();
      await slack?.close();
      await opentrain?.close();
      await schemas?.dropAll();
    });

    const updatesReads = () => opentrain.requests.filter((r) => r.path === '/updates').length;
    const cards = () => slack.messages(ids.financeApprovals).filter((m) => m.user === slack.botUserId).length;

    async function signedPost(url: string, header: string, secret: string, body: string) {
      const signature = signBody(secret, body, Math.floor(Date.now() / 1_000));
      return fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [header]: signature,
          'x-opentrain-delivery': random(),
        },
        body,
      });
    }

    it('writes none of them over HTTP, at debug level, through start-up, commands, ticks and errors', async () => {
      const bot = new BotProcess(env, join(dir, 'http.log'));
      bots.push(bot);
      await bot.start();
      await until(() => updatesReads() > 0, 10_000, 'a first tick');

      // Slack fails the card post twice (a 500, then a cut connection); the card still lands.
      slack.injectFault({ method: 'chat.postMessage', status: 500 });
      slack.injectFault({ method: 'chat.postMessage', drop: 'reset' });
      const ack = await slack.sendCommand({
        appUrl: `${bot.url}/slack/events`,
        text: 'M-1001 batch ready',
        userId: ids.alice,
        channelId: ids.financeApprovals,
      });
      expect(ack.status).toBe(200);
      await until(() => cards() === 1, 20_000, 'the card');
      // OpenTrain refuses a milestone, then rejects the token on the upstream API's request.
      await slack.sendCommand({
        appUrl: `${bot.url}/slack/events`,
        text: 'M-1003',
        userId: ids.alice,
        channelId: ids.financeApprovals,
      });
      await until(
        () => opentrain.requests.some((r) => r.method === 'POST' && r.path === '/milestones/M-1003/fund'),
        10_000,
        'the refused fund call',
      );
      opentrain.injectFault({ method: 'POST', path: /\/fund$/, status: 401 });
      const upstream = await signedPost(
        `${bot.url}/api/fund-requests`,
        'x-countersign-signature',
        secrets.upstreamSecret,
        JSON.stringify({ milestoneId: 'M-1002', requestedBy: 'billing-bot', idempotencyKey: random() }),
      );
      expect(upstream.status).toBe(502);
      const refused = await signedPost(
        `${bot.url}/api/fund-requests`,
        'x-countersign-signature',
        'not-the-upstream-secret',
        '{}',
      );
      expect(refused.status).toBe(401);

      // The webhook rings a tick; /updates then fails three times (the ticks log it, with the error at debug).
      const reads = updatesReads();
      const rung = await signedPost(
        `${bot.url}/opentrain/webhook`,
        'x-opentrain-signature',
        secrets.webhookSecret,
        '{}',
      );
      expect(rung.status).toBe(202);
      await until(() => updatesReads() > reads, 5_000, 'the tick the webhook rang');
      const wrong = await signedPost(
        `${bot.url}/opentrain/webhook`,
        'x-opentrain-signature',
        'whsec_wrong',
        '{}',
      );
      expect(wrong.status).toBe(401);
      opentrain.injectFault({ path: '/updates', status: 500, times: 3 });
      await until(
        () => opentrain.requests.filter((r) => r.path === '/updates' && r.status === 500).length === 3,
        10_000,
        'three failed feed reads',
      );
      await until(() => updatesReads() > reads + 4, 10_000, 'a tick after the outage');

      const { exit } = await bot.terminate();
      expect(exit.code).toBe(0);
      const logged = entries(bot.logPath);
      expect(logged.filter((entry) => entry.level === 20).length, 'debug lines were written').toBeGreaterThan(
        0,
      );
      expect(logged.some((entry) => entry.msg === 'poll tick finished')).toBe(true);
      expect(
        logged.some((entry) => (entry.level ?? 0) >= 40),
        'warnings were logged',
      ).toBe(true);
      expect(
        logged.some((entry) => entry.err !== undefined),
        'an error object was logged',
      ).toBe(true);
      expectNoSecret(bot.logPath);
    }, 60_000);

    it('writes none of them in Socket Mode, through a command and a reconnect that fails once', async () => {
      const bot = new BotProcess({ ...env, SLACK_APP_TOKEN: secrets.appToken }, join(dir, 'socket.log'));
      bots.push(bot);
      await bot.start();
      await until(() => slack.socketMode.openConnections() === 1, 10_000, 'the socket');
      const before = cards();
      // Acknowledged with no message; the answer follows through the response_url, the card in the channel.
      await slack.sendCommand({
        transport: 'socket',
        text: 'M-7001 over the socket',
        userId: ids.alice,
        channelId: ids.financeApprovals,
      });
      await until(() => cards() > before, 10_000, 'the card');

      slack.injectFault({ method: 'apps.connections.open', status: 500 });
      const opened = slack.socketMode.connections().length;
      await slack.socketMode.disconnect({ reason: 'refresh_requested' });
      await until(
        () => slack.socketMode.connections().length > opened && slack.socketMode.openConnections() === 1,
        20_000,
        'the reconnect',
      );

      const { exit } = await bot.terminate();
      expect(exit.code).toBe(0);
      expect(entries(bot.logPath).some((entry) => entry.msg === 'connected to Slack over Socket Mode')).toBe(
        true,
      );
      expectNoSecret(bot.logPath);
    }, 60_000);

    it('writes none of them when the start fails on the database', async () => {
      const unreachable = new URL(env.DATABASE_URL ?? '');
      unreachable.port = '9'; // nothing listens there
      const bot = new BotProcess(
        { ...env, DATABASE_URL: unreachable.toString() },
        join(dir, 'failed-start.log'),
      );
      bots.push(bot);
      await expect(bot.start()).rejects.toThrow(/exited before it listened/);
      expect(bot.exits.at(-1)?.code).toBe(1);
      expect(entries(bot.logPath).some((entry) => entry.level === 60)).toBe(true);
      expectNoSecret(bot.logPath);
    }, 60_000);

    function expectNoSecret(logPath: string): void {
      const output = readFileSync(logPath, 'utf8');
      for (const [name, value] of Object.entries(secrets)) {
        for (const form of new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)])) {
          expect(output.includes(form), `${name} appears in ${logPath}`).toBe(false);
        }
      }
      // The database URL shows, with its password masked.
      const settings = entries(logPath).find((entry) => entry.msg === 'starting countersign')?.settings;
      expect(settings?.DATABASE_URL).toMatch(
        /^postgres(ql)?:\/\/[^:/]*:(redacted|\[redacted\])@127\.0\.0\.1:\d+\/test/,
      );
    }
  });
}
