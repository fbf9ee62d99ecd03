import { join } from 'node:path';
import type { RequestLogEntry } from '../../../src/sandbox/opentrain/types.js';
import { sandboxIds } from '../../../src/sandbox/slack/default-workspace.js';
import { slackRateLimits } from '../../../src/sandbox/slack/rate-limits.js';
import { openStore } from '../../../src/store/open-store.js';
import { type BotProcess, botEnv, spawnBaseline, spawnBot } from '../lib/bot.js';
import { followCalls, isOk, startFakes } from '../lib/fakes.js';
import { type CommandSample, type CommandSpec, sendAll } from '../lib/load.js';
import type { StoreTarget } from '../lib/store-target.js';

/** chat.postMessage in one channel, as the Slack fake (and Slack) allows it: 1 a second, bursts of 3. */
const postLimit = slackRateLimits.find((limit) => limit.method === 'chat.postMessage');
export const postRate = {
  perMs: (postLimit?.limit ?? 1) / (postLimit?.windowMs ?? 1_000),
  burst: postLimit?.burst ?? 3,
};

/** Commands each process answers before the measured ones (one round at the load's concurrency). */
export const warmUpCommands = 50;

/**
 * The pause every process gets between its warm-up and the measured run: long enough for the bot's warm-up
 * cards to be posted (fund latency, then up to a few posts per channel).
 */
export const settleMs = 3_000;

export type CommandTarget =
  | { readonly kind: 'floor' }
  | { readonly kind: 'bolt' }
  | { readonly kind: 'bot'; readonly target: StoreTarget; readonly replicas: number };

export interface CommandOptions {
  readonly commands: number;
  readonly concurrency: number;
  /** Commands are spread over this many channels (the card goes to the channel it was typed in). */
  readonly channels: number;
  readonly fundLatencyMs: number;
  readonly schedule: string;
  readonly workDir: string;
  readonly say: (line: string) => void;
}

export interface CommandResult {
  readonly label: string;
  /** The measured commands, sent once the warm-up's were answered (and, for the bot, their cards posted). */
  readonly acks: CommandSample[];
  /** The warm-up: the first commands a fresh process answers, while it compiles its code paths. */
  readonly coldAcks: CommandSample[];
  /** Per command (same order): ms from sending it to its card reaching Slack; undefined when none came. */
  readonly cardMs: (number | undefined)[];
  /** The same, for a bot as fast as Slack's posting limit allows (see lowerBound). */
  readonly cardBoundMs: number[];
  readonly updatesCalls: number;
  readonly spanMs: number;
  readonly duplicates: number;
  readonly bytesPerApproval: number;
  readonly approvals: number;
  readonly rateLimited: Record<string, number>;
}

/**
 * The earliest each card could reach Slack: OpenTrain answers the fund call `fundLatencyMs` after the command at
 * best, and each channel then admits posts as a token bucket (burst `postRate.burst`, then `postRate.perMs`),
 * first come first served. Returns, per command, ms from sending it to that earliest post.
 */
export function lowerBound(
  sends: readonly { sentAt: number; channel: string }[],
  fundLatencyMs: number,
): number[] {
  const bound: number[] = new Array(sends.length).fill(0);
  const byChannel = new Map<string, number[]>();
  sends.forEach((send, index) => {
    const list = byChannel.get(send.channel) ?? [];
    list.push(index);
    byChannel.set(send.channel, list);
  });
  for (const indices of byChannel.values()) {
    indices.sort((a, b) => (sends[a]?.sentAt ?? 0) - (sends[b]?.sentAt ?? 0));
    let tokens = postRate.burst;
    let last = Number.NEGATIVE_INFINITY;
    for (const index of indices) {
      const send = sends[index];
      if (send === undefined) continue;
      let at = send.sentAt + fundLatencyMs;
      if (Number.isFinite(last)) tokens = Math.min(postRate.burst, tokens + (at - last) * postRate.perMs);
      if (tokens < 1) {
        const wait = (1 - tokens) / postRate.perMs;
        at += wait;
        tokens = 1;
      }
      tokens -= 1;
      last = at;
      bound[index] = at - send.sentAt;
    }
  }
  return bound;
}

/**
 * Row 7 (and issue 10's rows): `commands` signed /fund-milestone at `concurrency`, each for a fresh milestone,
 * OpenTrain answering every fund call after `fundLatencyMs`, Slack's published rate limits on. Against a floor or
 * Bolt baseline only the acks count; against the bot (1 or more replicas of the production process on one store)
 * also each card's arrival, /updates calls, and what the store grew by.
 */
export async function runCommands(target: CommandTarget, options: CommandOptions): Promise<CommandResult> {
  const fakes = await startFakes();
  const { slack, opentrain } = fakes;
  const channels = Array.from({ length: options.channels }, (_, i) => {
    const id = `C0BENCH${String(i + 1).padStart(2, '0')}`;
    slack.addChannel({ id, name: `bench-${i + 1}`, members: [sandboxIds.alice], botIsMember: true });
    return id;
  });
  const milestones = Array.from(
    { length: options.commands },
    (_, i) => `M-CMD${String(i + 1).padStart(5, '0')}`,
  );
  const warmUp = Array.from({ length: warmUpCommands }, (_, i) => `M-CMD${String(90_001 + i)}`);
  const known = [...milestones, ...warmUp];
  for (let c = 0; c * 10 < known.length; c++) {
    opentrain.addContract({
      id: `C-CMD${c + 1}`,
      jobId: 'J-100',
      title: `Bench command contract ${c + 1}`,
      freelancer: { userId: 'F-11', displayName: 'Maria G.' },
      milestones: known
        .slice(c * 10, c * 10 + 10)
        .map((id, k) => ({ id, name: `Batch ${k + 1}`, amountUsd: 100 })),
    });
  }
  opentrain.injectFault({
    method: 'POST',
    path: /^\/milestones\/[^/]+\/fund$/,
    latencyMs: options.fundLatencyMs,
    times: Number.POSITIVE_INFINITY,
  });
  slack.setRateLimits(slackRateLimits);

  const cardAt = new Map<string, number>();
  const unfollow = followCalls(slack, (call) => {
    if (call.method !== 'chat.postMessage' || call.args.thread_ts !== undefined || !isOk(call)) return;
    const id = /M-CMD\d{5}/.exec(JSON.stringify(call.args.blocks ?? call.args.text ?? ''))?.[0];
    if (id !== undefined && !cardAt.has(id)) cardAt.set(id, call.at.getTime());
  });

  const bots: BotProcess[] = [];
  let baseline: { url: string; stop(): Promise<void> } | undefined;
  let label = '';
  let emptyBytes = 0;
  try {
    if (target.kind === 'bot') {
      label = `${target.target.kind}, ${target.replicas} replica${target.replicas === 1 ? '' : 's'}`;
      await (await openStore(target.target.database)).close();
      emptyBytes = await target.target.bytes();
      const env = { ...botEnv(fakes), DATABASE_URL: target.target.url, POLL_SCHEDULE: options.schedule };
      const started = await Promise.all(
        Array.from({ length: target.replicas }, (_, i) =>
          spawnBot(env, {
            logPath: join(
              options.workDir,
              `bot-commands-${target.target.kind}-${target.replicas}-${i + 1}.log`,
            ),
            cwd: options.workDir,
          }),
        ),
      );
      bots.push(...started);
      // Ready: each replica answers /readyz (its poller has run, whichever replica holds the lease).
      for (const bot of bots) await waitReady(bot.url);
    } else {
      label = target.kind === 'floor' ? 'node:http floor' : 'bare Bolt app';
      baseline = await spawnBaseline(target.kind === 'floor' ? 'plain-http.ts' : 'bolt-app.ts', {
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_SIGNING_SECRET: slack.signingSecret,
        SLACK_API_URL: slack.apiUrl,
      });
    }
    const urls = bots.length > 0 ? bots.map((bot) => bot.url) : [baseline?.url ?? ''];
    const specsOf = (ids: readonly string[]): CommandSpec[] =>
      ids.map((milestoneId, i) => ({
        appUrl: `${urls[i % urls.length]}/slack/events`,
        text: milestoneId,
        userId: sandboxIds.alice,
        channelId: channels[i % channels.length] ?? sandboxIds.financeApprovals,
      }));
    const specs = specsOf(milestones);
    // A process is measured in service, not in its first second: the same warm-up for the floor, Bolt and the
    // bot, and for the bot until the warm-up's cards are all posted, so none of its work overlaps the run. Then
    // each waits out the same pause, so each meets the run with the same connections (the load generator's
    // pool still opens some new ones during the run, which each process must accept).
    const coldAcks = await sendAll(slack, specsOf(warmUp), options.concurrency);
    const settleUntil = Date.now() + settleMs;
    if (target.kind === 'bot') {
      const until = Date.now() + 60_000;
      while (warmUp.some((id) => !cardAt.has(id)) && Date.now() < until)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const late = warmUp.filter((id) => !cardAt.has(id)).length;
      if (late > 0) options.say(`  ${late} warm-up cards still not posted after a minute; measuring anyway`);
    }
    const settleLeft = settleUntil - Date.now();
    if (settleLeft > 0) await new Promise((resolve) => setTimeout(resolve, settleLeft));
    else if (target.kind === 'bot') options.say(`  the warm-up cards took ${-settleLeft} ms past the pause`);
    const requests = opentrain.requests as readonly RequestLogEntry[];
    const firstRequest = requests.length;
    options.say(`  ${label}: ${specs.length} commands at concurrency ${options.concurrency}`);
    const sendStarted = Date.now();
    const acks = await sendAll(slack, specs, options.concurrency);
    let cardMs: (number | undefined)[] = [];
    let cardBoundMs: number[] = [];
    let spanMs = Date.now() - sendStarted;
    let updatesCalls = 0;
    let bytesPerApproval = Number.NaN;
    let approvals = 0;
    if (target.kind === 'bot') {
      const bound = lowerBound(
        acks.map((ack, i) => ({ sentAt: ack.sentAt, channel: specs[i]?.channelId ?? '' })),
        options.fundLatencyMs,
      );
      // Every card, however late (the figure is how late); given up only when none came for a minute, or at 15 min.
      const giveUpAt = Date.now() + 15 * 60_000;
      const arrived = () => milestones.filter((id) => cardAt.has(id)).length;
      let lastSeen = arrived();
      let lastProgress = Date.now();
      while (lastSeen < milestones.length && Date.now() < giveUpAt && Date.now() - lastProgress < 60_000) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        if (arrived() !== lastSeen) {
          lastSeen = arrived();
          lastProgress = Date.now();
        }
      }
      if (lastSeen < milestones.length)
        options.say(`  only ${lastSeen} of ${milestones.length} cards arrived`);
      const lastCard = Math.max(...milestones.map((id) => cardAt.get(id) ?? 0));
      spanMs = lastCard - sendStarted;
      updatesCalls = requests
        .slice(firstRequest)
        .filter((request) => request.path === '/updates' && Date.parse(request.at) <= lastCard).length;
      cardMs = milestones.map((id, i) => {
        const at = cardAt.get(id);
        return at === undefined ? undefined : at - (acks[i]?.sentAt ?? 0);
      });
      cardBoundMs = bound;
      for (const bot of bots) await bot.stop();
      approvals = await target.target.approvals();
      bytesPerApproval = ((await target.target.bytes()) - emptyBytes) / Math.max(1, approvals);
    }
    const counters = slack.rateLimitCounters();
    return {
      label,
      acks,
      coldAcks,
      cardMs,
      cardBoundMs,
      updatesCalls,
      spanMs,
      duplicates: slack.metadataDuplicates().length,
      bytesPerApproval,
      approvals,
      rateLimited: Object.fromEntries(
        Object.entries(counters).map(([method, value]) => [method, value.rateLimited]),
      ),
    };
  } finally {
    unfollow();
    for (const bot of bots) await bot.stop();
    await baseline?.stop();
    await fakes.close();
  }
}

async function waitReady(url: string): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const answer = await fetch(`${url}/readyz`).catch(() => undefined);
    if (answer?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} was not ready within 60 s`);
}
