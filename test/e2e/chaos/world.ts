import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { systemClock } from '../../../src/clock.js';
import { defaultSeed } from '../../../src/sandbox/opentrain/seed.js';
import type { ContractSeed } from '../../../src/sandbox/opentrain/seed-schema.js';
import {
  createOpenTrainSimulator,
  type OpenTrainSimulator,
} from '../../../src/sandbox/opentrain/simulator.js';
import { defaultWorkspace, sandboxIds } from '../../../src/sandbox/slack/default-workspace.js';
import { createSlackFake, type SlackFake } from '../../../src/sandbox/slack/fake.js';
import { slackRateLimits } from '../../../src/sandbox/slack/rate-limits.js';

/** One answer the bot gave through a command's response_url, as the Slack fake took it. */
export interface ResponsePost {
  readonly text: string;
  readonly status: number;
  readonly at: number;
}

export interface WorldSize {
  readonly approvals: number;
  readonly outsiders: number;
  readonly approvalTtlMs: number;
}

export interface World {
  readonly slack: SlackFake;
  readonly opentrain: OpenTrainSimulator;
  readonly env: Record<string, string>;
  readonly dir: string;
  readonly dbPath: string;
  /** Requesters allowed by REQUESTER_USERS, one per planned approval, plus colleagues for duplicates. */
  readonly requesters: readonly string[];
  /** People REQUESTER_USERS leaves out. */
  readonly outsiders: readonly string[];
  /** NOT_FUNDED milestones, one per planned approval. */
  readonly milestones: readonly string[];
  /** Milestones only outsiders ask for: nothing may ever be requested for them. */
  readonly outsiderMilestones: readonly string[];
  readonly channel: string;
  /** Everything posted to each response_url, by the URL. */
  readonly responses: Map<string, ResponsePost[]>;
  close(): Promise<void>;
}

/** The Slack limits the fake enforces: Slack's published floors, times four (the run compresses days into seconds). */
export const chaosRateLimits = slackRateLimits.map((limit) => ({
  ...limit,
  limit: limit.limit * 4,
  ...(limit.burst === undefined ? {} : { burst: limit.burst * 4 }),
}));

const pad = (n: number) => String(n).padStart(3, '0');

function contracts(milestones: readonly string[]): ContractSeed[] {
  const groups = 4;
  return Array.from({ length: groups }, (_, g) => ({
    id: `C-90${g}`,
    jobId: g % 2 === 0 ? 'J-100' : 'J-200',
    title: `Chaos labeling contract ${g}`,
    rateUsd: 100 + g,
    freelancer: { userId: `F-9${g}`, displayName: `Trainer ${g}`, country: 'Chile' },
    milestones: milestones
      .filter((_, i) => i % groups === g)
      .map((id, i) => ({ id, name: `Chaos batch ${id}`, amountUsd: 100 + i })),
  }));
}

/**
 * The Slack fake and the OpenTrain simulator on loopback, seeded for the run: one requester per approval (so
 * every DM and reply can be attributed), a few colleagues and outsiders, and one NOT_FUNDED milestone per
 * approval. The fake is served through a thin wrapper that records what the bot posts to each response_url.
 */
export async function createWorld(size: WorldSize): Promise<World> {
  const clock = systemClock;
  const dir = mkdtempSync(join(tmpdir(), 'countersign-chaos-'));
  const requesters = Array.from({ length: size.approvals + 4 }, (_, i) => `U0CHAOS${pad(i)}`);
  const outsiders = Array.from({ length: size.outsiders }, (_, i) => `U0OUTSIDE${pad(i)}`);
  const channel = sandboxIds.financeApprovals;
  const people = [...requesters, ...outsiders];
  const workspace = {
    ...defaultWorkspace,
    users: [...defaultWorkspace.users, ...people.map((id) => ({ id, name: id.toLowerCase(), tz: 'UTC' }))],
    channels: defaultWorkspace.channels.map((c) =>
      c.id === channel ? { ...c, members: [...(c.members ?? []), ...people] } : c,
    ),
  };
  const slack = createSlackFake({ clock, workspace });
  const responses = new Map<string, ResponsePost[]>();
  const server = await serveRecording(slack, responses);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  slack.useOrigin(origin);
  slack.setRateLimits(chaosRateLimits);

  const milestones = Array.from({ length: size.approvals }, (_, i) => `M-3${pad(i)}`);
  const outsiderMilestones = Array.from({ length: size.outsiders }, (_, i) => `M-4${pad(i)}`);
  const seed = defaultSeed(clock.now());
  seed.contracts = [...(seed.contracts ?? []), ...contracts([...milestones, ...outsiderMilestones])];
  const opentrain = createOpenTrainSimulator({ clock, seed, approvalTtlMs: size.approvalTtlMs });
  const otBaseUrl = await opentrain.listen();
  const dbPath = join(dir, 'countersign.db');
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: slack.signingSecret,
    SLACK_API_URL: slack.apiUrl,
    OT_API_TOKEN: opentrain.token,
    OT_API_BASE_URL: otBaseUrl,
    OT_API_TIMEOUT: '2s',
    PORT: '0',
    DATABASE_URL: `sqlite:${dbPath}`,
    FUND_CHANNEL: channel,
    REQUESTER_USERS: requesters.join(','),
    POLL_SCHEDULE: '*/1 * * * * *',
    REMINDER_OFFSETS: '20s,8s',
    LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'debug',
  };
  return {
    slack,
    opentrain,
    env,
    dir,
    dbPath,
    requesters,
    outsiders,
    milestones,
    outsiderMilestones,
    channel,
    responses,
    async close() {
      await slack.close();
      await opentrain.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Serves the fake, recording each response_url POST (URL, text, the fake's status) on its way through: the
 * fake itself keeps no link between a response_url and what was posted to it.
 */
async function serveRecording(slack: SlackFake, responses: Map<string, ResponsePost[]>): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/respond/')) {
      slack.handle(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = `${slack.origin}${req.url ?? ''}`;
      res.on('finish', () => {
        let text = '';
        try {
          const parsed = JSON.parse(body.toString('utf8')) as { text?: unknown; blocks?: unknown };
          text = `${typeof parsed.text === 'string' ? parsed.text : ''} ${JSON.stringify(parsed.blocks ?? [])}`;
        } catch {
          text = body.toString('utf8');
        }
        const list = responses.get(url) ?? [];
        list.push({ text, status: res.statusCode, at: Date.now() });
        responses.set(url, list);
      });
      const replay = Object.assign(Readable.from([body]), {
        method: req.method,
        url: req.url,
        headers: req.headers,
        socket: req.socket,
      });
      slack.handle(replay as unknown as IncomingMessage, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return server;
}
