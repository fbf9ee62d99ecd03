import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { countdownRefreshAt } from '../../../src/domain/countdown.js';
import type { RequestLogEntry } from '../../../src/sandbox/opentrain/types.js';
import { sandboxIds } from '../../../src/sandbox/slack/default-workspace.js';
import { slackRateLimits } from '../../../src/sandbox/slack/rate-limits.js';
import type { ApiCall } from '../../../src/sandbox/slack/types.js';
import { botEnv, spawnBot } from '../lib/bot.js';
import { followCalls, isOk, startFakes } from '../lib/fakes.js';
import { type CommandSample, sendAtRate } from '../lib/load.js';
import { sampleEvery, type Timed, timedGet } from '../lib/probe.js';
import { type SeededCard, seedPending, visibleTo } from '../lib/seed.js';
import type { StoreTarget } from '../lib/store-target.js';
import { type Tick, watchTicks } from '../lib/ticks.js';

export interface ScaleOptions {
  /** Pending approvals left once the resolutions are done (the "1 versus N"). */
  readonly pending: number;
  /** Rounds of "confirm 10, measure the tick that reads them". */
  readonly resolutionRounds: number;
  readonly idleTicks: number;
  readonly ackWindowMs: number;
  readonly acksPerSecond: number;
  readonly schedule: string;
  readonly target: StoreTarget;
  readonly workDir: string;
  readonly say: (line: string) => void;
}

export interface TickMeasure {
  readonly ms: number;
  readonly calls: number;
  readonly feedCalls: number;
  readonly approvalReads: number;
  readonly otherCalls: number;
}

export interface OutcomeMeasure {
  readonly approvalId: string;
  readonly confirmedAt: number;
  /** When the tick that read the confirmation was seen finished. */
  readonly tickSeenAt: number | undefined;
  /** When the card edit showing the outcome reached Slack (undefined: never, within the wait). */
  readonly editedAt: number | undefined;
}

export interface LoadWindow {
  readonly acks: CommandSample[];
  readonly healthz: Timed[];
  /** Ticks that finished meanwhile. */
  readonly ticks: Tick[];
  /** Alice's App Home publishes meanwhile. */
  readonly homePublishes: number;
}

export interface ScaleResult {
  readonly pending: number;
  readonly seeded: number;
  readonly seedMs: number;
  readonly readyAfterMs: number;
  readonly resolutionTicks: TickMeasure[];
  readonly idleTicks: TickMeasure[];
  /** Row 2: commands and /healthz while ticks run, before anyone opened App Home. */
  readonly ticksOnly: LoadWindow;
  /** The same once Alice has opened App Home (row 4): her tab is republished as approvals change. */
  readonly homeOpen: LoadWindow;
  readonly lapsedDuringRun: number;
  readonly rssMaxBytes: number;
  readonly rssFinalBytes: number;
  readonly readyz: Timed[];
  readonly home: {
    publishMs: number;
    shown: number;
    more: number;
    expectedLow: number;
    expectedHigh: number;
  };
  readonly countdown: {
    windowMs: number;
    attempts: number;
    landed: number;
    rateLimited: number;
    dueChanges: number;
  };
  readonly outcomes: OutcomeMeasure[];
  readonly storeBytes: number;
  readonly storeApprovals: number;
  readonly stop: { code: number | null; signal: string | null; tookMs: number };
  readonly logPath: string;
}

const pendingTitle = 'Funding approval needed';
const outcomeTitles = ['Milestone funded', 'Funding request expired', 'Funding declined'];

/** How many times a card's countdown text changes in (from, to]: the edits a tick would want to make. */
function countdownChanges(expiresAt: number, from: number, to: number): number {
  const approval = { status: 'pending' as const, expiresAt: new Date(expiresAt) };
  let changes = 0;
  let at = countdownRefreshAt(approval, new Date(from));
  while (at !== null && at.getTime() <= to) {
    changes++;
    if (at.getTime() >= expiresAt) break;
    at = countdownRefreshAt(approval, new Date(at.getTime() + 1));
  }
  return changes;
}

function splitCalls(requests: readonly RequestLogEntry[]): Omit<TickMeasure, 'ms'> {
  let feedCalls = 0;
  let approvalReads = 0;
  for (const request of requests) {
    if (request.path === '/updates') feedCalls++;
    else if (request.method === 'GET' && request.path.startsWith('/approvals/')) approvalReads++;
  }
  return {
    calls: requests.length,
    feedCalls,
    approvalReads,
    otherCalls: requests.length - feedCalls - approvalReads,
  };
}

/**
 * Rows 1, 2, 4 and 5 at one size: `pending` + 10 × rounds approvals seeded (cards, store rows, the simulator),
 * Slack's published rate limits on, then the production process started on them with POLL_SCHEDULE `schedule`:
 * resolution ticks, idle ticks, App Home, commands while ticks run; RSS, /readyz, /healthz and the card edits
 * followed throughout.
 */
export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const { say } = options;
  const fakes = await startFakes();
  const { slack, opentrain } = fakes;
  const resolutions = options.resolutionRounds * 10;
  const seedStarted = performance.now();
  const cards = await seedPending(fakes, options.target, { count: options.pending + resolutions, say });
  const seedMs = performance.now() - seedStarted;
  // The ones confirmed are the last to expire, so their countdowns and reminders stay quiet meanwhile.
  const byExpiry = [...cards].sort((a, b) => b.expiresAt - a.expiresAt);
  const toConfirm = byExpiry.slice(0, resolutions);
  const cardByTs = new Map<string, SeededCard>(cards.map((card) => [card.ts, card]));

  const updates: { at: number; ts: string; ok: boolean; rateLimited: boolean; kind: string }[] = [];
  const publishes: ApiCall[] = [];
  const unfollow = followCalls(slack, (call) => {
    if (call.method === 'chat.update') {
      const text = JSON.stringify(call.args.blocks ?? '') + String(call.args.text ?? '');
      const kind = outcomeTitles.some((title) => text.includes(title))
        ? 'outcome'
        : text.includes(pendingTitle)
          ? 'refresh'
          : 'other';
      updates.push({
        at: call.at.getTime(),
        ts: String(call.args.ts),
        ok: isOk(call),
        rateLimited: call.rateLimited === true,
        kind,
      });
    } else if (call.method === 'views.publish' && call.args.user_id === sandboxIds.alice) {
      publishes.push(call);
    }
  });
  slack.setRateLimits(slackRateLimits);

  const logPath = join(options.workDir, `bot-scale-${options.pending}.log`);
  const bot = await spawnBot(
    {
      ...botEnv(fakes),
      DATABASE_URL: options.target.url,
      POLL_SCHEDULE: options.schedule,
    },
    { logPath, cwd: options.workDir },
  );
  const requests = opentrain.requests as readonly RequestLogEntry[];
  const watch = watchTicks([bot.url], () => requests.length);
  let readyAt: number | undefined;
  const readyz = sampleEvery(1_000, async () => {
    const answer = await timedGet(`${bot.url}/readyz`);
    if (answer.status === 200 && readyAt === undefined) readyAt = answer.at + answer.ms;
    return answer;
  });
  const measureTick = (tick: Tick): TickMeasure => {
    const index = watch.ticks.indexOf(tick);
    const from = index > 0 ? (watch.ticks[index - 1]?.mark ?? 0) : 0;
    return { ms: tick.ms, ...splitCalls(requests.slice(from, tick.mark)) };
  };

  try {
    await watch.next({ after: 0, timeoutMs: 300_000 });
    const windowStart = Date.now();
    say(`  bot ready; ${options.resolutionRounds} rounds of 10 resolutions`);

    // 1. Ticks that read 10 resolutions each: confirmed just after a tick, measured on the tick that reads them.
    const outcomes: OutcomeMeasure[] = [];
    const resolutionTicks: TickMeasure[] = [];
    for (let round = 0; round < options.resolutionRounds; round++) {
      await watch.next({ after: Date.now() });
      const batch = toConfirm.slice(round * 10, round * 10 + 10);
      const confirmedAt = Date.now();
      for (const card of batch) opentrain.confirm(card.approvalId);
      const markAt = requests.length;
      const ids = new Set(batch.map((card) => `/approvals/${card.approvalId}`));
      let tick: Tick | undefined;
      let seen = confirmedAt - 1;
      for (let tries = 0; tick === undefined && tries < 5; tries++) {
        const candidate = await watch.next({ after: seen, timeoutMs: 300_000 });
        seen = candidate.seenAt;
        const index = watch.ticks.indexOf(candidate);
        const from = Math.max(markAt, index > 0 ? (watch.ticks[index - 1]?.mark ?? 0) : 0);
        const reads = requests.slice(from, candidate.mark).filter((r) => ids.has(r.path)).length;
        if (reads > 0) tick = candidate;
      }
      if (tick !== undefined) resolutionTicks.push(measureTick(tick));
      for (const card of batch)
        outcomes.push({
          approvalId: card.approvalId,
          confirmedAt,
          tickSeenAt: tick?.seenAt,
          editedAt: undefined,
        });
    }

    // 2. Idle ticks: nothing in the feed (lapses aside).
    say(`  ${options.idleTicks} idle ticks`);
    const idleTicks: TickMeasure[] = [];
    let after = Date.now();
    for (let i = 0; i < options.idleTicks; i++) {
      const tick = await watch.next({ after, timeoutMs: 300_000 });
      idleTicks.push(measureTick(tick));
      after = tick.seenAt;
    }

    // 2. Commands and /healthz while ticks run: first with ticks only, then (after 4) with Alice's tab open.
    const load = async (label: string, offset: number): Promise<LoadWindow> => {
      say(
        `  commands at ${options.acksPerSecond}/s for ${Math.round(options.ackWindowMs / 1000)} s, ${label}`,
      );
      const ticksBefore = watch.ticks.length;
      const startedAt = Date.now();
      const healthz = sampleEvery(200, () => timedGet(`${bot.url}/healthz`));
      const acks = await sendAtRate(
        slack,
        (i) => ({
          appUrl: `${bot.url}/slack/events`,
          // An id OpenTrain does not know: the ack path is the same, and no card traffic mixes into the other rows.
          text: `M-NOPE-${offset + i}`,
          userId: sandboxIds.alice,
          channelId: sandboxIds.financeApprovals,
        }),
        1_000 / options.acksPerSecond,
        options.ackWindowMs,
      );
      const health = await healthz.stop();
      const endedAt = Date.now();
      return {
        acks,
        healthz: health,
        ticks: watch.ticks.slice(ticksBefore),
        homePublishes: publishes.filter(
          (call) => call.at.getTime() >= startedAt && call.at.getTime() <= endedAt,
        ).length,
      };
    };
    const ticksOnly = await load('while ticks run', 0);

    // 4. App Home, opened by Alice.
    say('  App Home');
    const homeOpened = Date.now();
    await slack.openAppHome({ appUrl: `${bot.url}/slack/events`, userId: sandboxIds.alice });
    const published = await slack.waitUntil(
      () => publishes.find((call) => call.at.getTime() >= homeOpened && isOk(call)),
      120_000,
      'App Home published for Alice',
    );
    const blocks = ((published.args.view as { blocks?: unknown[] } | undefined)?.blocks ?? []) as {
      type?: string;
      text?: { text?: string };
      elements?: { text?: string }[];
    }[];
    const shown = blocks.filter(
      (block) => block.type === 'section' && block.text?.text?.includes(' · expires '),
    ).length;
    const moreText = blocks
      .flatMap((block) => block.elements ?? [])
      .find((element) => /more pending/.test(element.text ?? ''));
    const more = Number(/and (\d+) more pending/.exec(moreText?.text ?? '')?.[1] ?? 0);
    const confirmedIds = new Set(toConfirm.map((card) => card.approvalId));
    const visible = cards.filter(
      (card) => visibleTo(sandboxIds.alice, card) && !confirmedIds.has(card.approvalId),
    );
    const publishedAt = published.at.getTime();
    const home = {
      publishMs: publishedAt - homeOpened,
      shown,
      more,
      expectedHigh: visible.length,
      // An approval past its expiry may already be ended by the bot (it reads lapsed ones each tick).
      expectedLow: visible.filter((card) => card.expiresAt > publishedAt).length,
    };

    const homeOpen = await load("with Alice's App Home open", 1_000_000);

    // 5. The outcome edits: waited for a little longer if they are not all there.
    const outcomeEdit = (outcome: OutcomeMeasure) => {
      const card = toConfirm.find((candidate) => candidate.approvalId === outcome.approvalId);
      return updates.find(
        (update) =>
          update.ts === card?.ts &&
          update.ok &&
          update.kind === 'outcome' &&
          update.at >= outcome.confirmedAt,
      )?.at;
    };
    const waitUntil = Date.now() + 60_000;
    while (outcomes.some((outcome) => outcomeEdit(outcome) === undefined) && Date.now() < waitUntil)
      await sleep(250);
    const windowEnd = Date.now();
    const finalOutcomes = outcomes.map((outcome) => ({ ...outcome, editedAt: outcomeEdit(outcome) }));

    const inWindow = updates.filter(
      (update) =>
        update.kind === 'refresh' &&
        update.at >= windowStart &&
        update.at <= windowEnd &&
        cardByTs.has(update.ts),
    );
    const stillPending = cards.filter((card) => !confirmedIds.has(card.approvalId));
    const dueChanges = stillPending.reduce(
      (total, card) => total + countdownChanges(card.expiresAt, windowStart, windowEnd),
      0,
    );
    const countdown = {
      windowMs: windowEnd - windowStart,
      attempts: inWindow.length,
      landed: inWindow.filter((update) => update.ok).length,
      rateLimited: inWindow.filter((update) => update.rateLimited).length,
      dueChanges,
    };
    const lapsedDuringRun = stillPending.filter((card) => card.expiresAt <= windowEnd).length;

    await watch.stop();
    const readyzSamples = await readyz.stop();
    // Before SIGTERM: the last sample of the running bot, not of its shutdown.
    const rssMaxBytes = bot.rss.maxSince(bot.spawnedAt);
    const rssFinalBytes = bot.rss.last();
    const stop = await bot.stop();
    unfollow();
    const result: ScaleResult = {
      pending: options.pending,
      seeded: cards.length,
      seedMs,
      readyAfterMs: readyAt === undefined ? Number.NaN : readyAt - bot.spawnedAt,
      resolutionTicks,
      idleTicks,
      ticksOnly,
      homeOpen,
      lapsedDuringRun,
      rssMaxBytes,
      rssFinalBytes,
      readyz: readyzSamples,
      home,
      countdown,
      outcomes: finalOutcomes,
      storeBytes: await options.target.bytes(),
      storeApprovals: await options.target.approvals(),
      stop,
      logPath,
    };
    return result;
  } finally {
    await watch.stop();
    await readyz.stop();
    await bot.stop();
    unfollow();
    await fakes.close();
  }
}
