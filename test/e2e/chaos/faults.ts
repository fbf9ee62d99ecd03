import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault as OpenTrainFault } from '../../../src/sandbox/opentrain/faults.js';
import type { FaultSpecInput as SlackFault } from '../../../src/sandbox/slack/faults.js';
import type { BotProcess } from './bot-process.js';
import type { Rng } from './random.js';
import type { World } from './world.js';

type Menu<T> = readonly (readonly [number, (rng: Rng) => T])[];

const post = 'chat.postMessage';

/** Slack misbehaving as it does: rate limits, 5xx, answers lost after the post landed, slow and late answers. */
const slackMenu = (full: boolean): Menu<SlackFault> => [
  [2, (r) => ({ method: post, status: 429, retryAfter: 1, times: r.int(1, 3) })],
  [1, (r) => ({ method: 'chat.update', status: 429, retryAfter: 1, times: r.int(1, 2) })],
  [2, (r) => ({ method: post, status: r.pick([500, 502, 503]), times: r.int(1, 3) })],
  [1, (r) => ({ method: 'chat.update', status: 503, times: r.int(1, 2) })],
  [2, (r) => ({ method: post, drop: 'reset-after-apply', times: r.int(1, 2) })],
  [3, (r) => ({ method: post, lateMs: 100, times: r.int(1, 3) })],
  [1, () => ({ method: post, lateMs: 100, drop: 'reset-after-apply' })],
  [1, (r) => ({ method: r.pick(['conversations.history', 'conversations.replies']), status: 500 })],
  [0.5, () => ({ method: 'conversations.open', status: 503 })],
  [0.5, () => ({ method: 'chat.getPermalink', status: 500 })],
  [1, (r) => ({ method: r.pick([post, 'chat.update']), latencyMs: r.int(500, 2_500) })],
  [0.5, () => ({ method: 'response_url', status: 503 })],
  [0.5, () => ({ method: 'response_url', lateMs: 100 })],
  [0.3, () => ({ method: 'auth.test', status: 500, times: 2 })],
  // Past the bot's 10 s Slack timeout: the post lands and the bot gives up on it. Slow, so only in a full run.
  [full ? 0.3 : 0, () => ({ method: post, lateMs: 10_500 })],
];

const fund = /^\/milestones\/[^/]+\/fund$/;

/** OpenTrain down or slow: 5xx, timeouts before and after it committed the request, resets, a 429. */
const openTrainMenu: Menu<OpenTrainFault> = [
  [1, (r) => ({ method: 'POST', path: fund, status: r.pick([500, 502, 503]), times: r.int(1, 2) })],
  [0.5, () => ({ method: 'POST', path: fund, latencyMs: 2_500 })],
  [1, () => ({ method: 'POST', path: fund, lateMs: 2_500 })],
  [1, (r) => ({ method: 'GET', path: /^\/updates$/, status: 500, times: r.int(1, 3) })],
  [0.5, () => ({ method: 'GET', path: /^\/updates$/, latencyMs: 2_500 })],
  [1, (r) => ({ method: 'GET', path: /^\/approvals\//, status: 502, times: r.int(1, 3) })],
  [0.5, () => ({ method: 'GET', path: /^\/contracts\//, status: 500 })],
  [0.5, () => ({ status: 429, retryAfter: 1 })],
  [0.5, (r) => ({ drop: 'reset', times: r.int(1, 2) })],
];

function describeSlack(fault: SlackFault): string {
  const what =
    fault.status ??
    fault.error ??
    fault.drop ??
    (fault.lateMs !== undefined ? `late ${fault.lateMs}ms` : `slow`);
  return `slack ${fault.method ?? '*'} ${what}${fault.lateMs !== undefined && fault.drop !== undefined ? ' late' : ''}`;
}

function describeOpenTrain(fault: OpenTrainFault): string {
  const what =
    fault.status ?? fault.drop ?? (fault.lateMs !== undefined ? 'timeout after commit' : 'timeout');
  const path = fault.path instanceof RegExp ? fault.path.source.replace(/[\\^$]/g, '') : (fault.path ?? '*');
  return `opentrain ${fault.method ?? '*'} ${path} ${what}`;
}

export interface ChaosStats {
  readonly faults: Map<string, number>;
  readonly kills: Map<string, number>;
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Injects one random fault every 0.3–1.5 s until `stop` says so. */
export async function runFaults(
  world: World,
  rng: Rng,
  stats: ChaosStats,
  full: boolean,
  stop: () => boolean,
) {
  const slack = slackMenu(full);
  while (!stop()) {
    await sleep(rng.between(300, 1_500));
    if (stop()) return;
    if (rng.chance(0.55)) {
      const fault = rng.weighted(slack.map(([weight, make]) => [weight, make] as const))(rng);
      world.slack.injectFault(fault);
      count(stats.faults, describeSlack(fault));
    } else {
      const fault = rng.weighted(openTrainMenu.map(([weight, make]) => [weight, make] as const))(rng);
      world.opentrain.injectFault(fault);
      count(stats.faults, describeOpenTrain(fault));
    }
  }
}

export type KillKind = 'plain' | 'during-fund' | 'during-post';

/** Kills while a fund call is in flight at OpenTrain (committed or not): the moment a re-run must get right. */
async function killDuringFund(world: World, bot: BotProcess, rng: Rng, tag: number): Promise<boolean> {
  const committed = rng.chance(0.6);
  const holdMs = 3_000 + tag;
  const fault: OpenTrainFault = committed
    ? { method: 'POST', path: fund, lateMs: holdMs }
    : { method: 'POST', path: fund, latencyMs: holdMs };
  world.opentrain.injectFault(fault);
  const armed = () => world.opentrain.faults.some((f) => (f.lateMs ?? f.latencyMs) === holdMs);
  const until = Date.now() + 8_000;
  while (armed() && Date.now() < until) await sleep(20);
  const hit = !armed();
  if (hit) await sleep(rng.between(0, 200));
  await bot.killNow();
  return hit;
}

/**
 * Kills the moment Slack has applied a post whose answer is held back: the bot never hears that its card,
 * DM or thread reply landed (Slack's "recorded, answered 100 ms later", widened so the kill lands inside).
 */
async function killDuringPost(world: World, bot: BotProcess, tag: number): Promise<boolean> {
  const lateMs = 400 + tag;
  let hit = false;
  let killed: Promise<void> | undefined;
  const unsubscribe = world.slack.onChange((change) => {
    if (killed !== undefined || change.type !== 'message') return;
    const message = world.slack.message(change.channel, change.ts);
    if (message === undefined || message.edited || message.user !== world.slack.botUserId) return;
    hit = true;
    killed = bot.killNow();
  });
  world.slack.injectFault({ method: post, lateMs });
  const until = Date.now() + 8_000;
  while (killed === undefined && Date.now() < until) await sleep(20);
  unsubscribe();
  await (killed ?? bot.killNow());
  return hit;
}

/** SIGKILLs the bot at each planned moment (plain, during a fund call, during a Slack post) and starts it again. */
export async function runKills(
  world: World,
  bot: BotProcess,
  rng: Rng,
  stats: ChaosStats,
  plan: readonly { atMs: number; kind: KillKind }[],
  t0: number,
): Promise<void> {
  for (const [index, kill] of plan.entries()) {
    const wait = t0 + kill.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    if (!bot.running) continue;
    let kind: string = kill.kind;
    if (kill.kind === 'during-fund' && !(await killDuringFund(world, bot, rng, index)))
      kind = 'during-fund (missed: plain)';
    else if (kill.kind === 'during-post' && !(await killDuringPost(world, bot, index)))
      kind = 'during-post (missed: plain)';
    else if (kill.kind === 'plain') await bot.killNow();
    count(stats.kills, kind);
    await sleep(rng.between(100, 1_500));
    await bot.restart();
  }
}

export function planKills(
  rng: Rng,
  kills: number,
  fromMs: number,
  toMs: number,
): { atMs: number; kind: KillKind }[] {
  const span = (toMs - fromMs) / kills;
  return Array.from({ length: kills }, (_, i) => ({
    atMs: fromMs + span * i + rng.between(0, span * 0.6),
    kind: rng.weighted<KillKind>([
      [0.4, 'plain'],
      [0.3, 'during-fund'],
      [0.3, 'during-post'],
    ]),
  }));
}
