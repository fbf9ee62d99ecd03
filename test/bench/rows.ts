import type { Met, Row } from './lib/report.js';
import { notMeasured } from './lib/report.js';
import { count, kb, max, mean, median, mib, ms, percentile, ratio } from './lib/stats.js';
import type { BurstResult } from './scenarios/burst.js';
import { type CommandResult, settleMs, warmUpCommands } from './scenarios/commands.js';
import type { LoadWindow, ScaleResult, TickMeasure } from './scenarios/scale.js';

// Turns the scenarios' raw measurements into the report's rows: one per figure of issue 11 (and issue 10), each
// with its bound or baseline, a goal and whether it is met. docs/performance.md explains every row.

const met = (ok: boolean): Met => (ok ? 'yes' : 'no');
const finite = (value: number) => Number.isFinite(value);
/** The issue's earlier figure, for the rows that have no bound to compare with. */
const issueBytesPerApproval = 2_700;

function ticksText(ticks: readonly TickMeasure[]): string {
  const values = ticks.map((tick) => tick.ms);
  return ticks.length === 0 ? '—' : `${ms(median(values))} median, ${ms(max(values))} max (${ticks.length})`;
}

function callsPerTick(ticks: readonly TickMeasure[]) {
  return {
    all: mean(ticks.map((tick) => tick.calls)),
    feed: mean(ticks.map((tick) => tick.feedCalls)),
    reads: mean(ticks.map((tick) => tick.approvalReads)),
    other: mean(ticks.map((tick) => tick.otherCalls)),
  };
}

const callsText = (calls: ReturnType<typeof callsPerTick>) =>
  `${count(calls.all, 1)} (/updates ${count(calls.feed, 1)}, approval reads ${count(calls.reads, 1)}, other ${count(calls.other, 1)})`;

export function scaleRows(small: ScaleResult, large: ScaleResult, command: string, store: string): Row[] {
  const n = count(large.pending);
  const at = `${n} pending`;
  const base = `1 pending`;
  const rows: Row[] = [];
  const idleN = large.idleTicks.map((tick) => tick.ms);
  const idle1 = small.idleTicks.map((tick) => tick.ms);
  rows.push({
    id: '1a',
    figure: `Idle poll tick, ${at} (${store})`,
    value: ticksText(large.idleTicks),
    baseline: `${base}: ${ticksText(small.idleTicks)}`,
    ratio: ratio(median(idleN), median(idle1)),
    goal: 'under 1 s (every tick)',
    met: met(idleN.length > 0 && max(idleN) < 1_000),
    command,
    notes: `countersign_poll_tick_seconds on GET /metrics, scraped every 100 ms; ticks on POLL_SCHEDULE */2 s. ${large.lapsedDuringRun} approvals passed their expiry during the ${n} run (the bot reads lapsed ones in its ticks).`,
    data: { medianMs: median(idleN), maxMs: max(idleN), baselineMedianMs: median(idle1) },
  });
  const resN = large.resolutionTicks.map((tick) => tick.ms);
  const res1 = small.resolutionTicks.map((tick) => tick.ms);
  rows.push({
    id: '1b',
    figure: `Poll tick reading 10 resolutions, ${at} (${store})`,
    value: ticksText(large.resolutionTicks),
    baseline: `${base}: ${ticksText(small.resolutionTicks)}`,
    ratio: ratio(median(resN), median(res1)),
    goal: 'under 1 s',
    met: met(resN.length > 0 && max(resN) < 1_000),
    command,
    notes:
      'Ten approvals confirmed in the simulator just after a tick; the tick measured is the one whose OpenTrain calls include the reads of those ten.',
    data: { medianMs: median(resN), maxMs: max(resN), baselineMedianMs: median(res1) },
  });
  const idleCallsN = callsPerTick(large.idleTicks);
  const idleCalls1 = callsPerTick(small.idleTicks);
  rows.push({
    id: '1c',
    figure: `OpenTrain calls per idle tick, ${at}`,
    value: callsText(idleCallsN),
    baseline: `${base}: ${callsText(idleCalls1)}`,
    ratio: ratio(idleCallsN.all, idleCalls1.all),
    goal: 'no more than at 1 pending, but for reads of lapsed approvals',
    met: met(idleCallsN.feed + idleCallsN.other <= idleCalls1.feed + idleCalls1.other + 0.01),
    command,
    notes:
      'From the simulator request log, between two ticks seen on /metrics (a call made while a scrape was in flight can land in the neighbouring tick).',
    data: { calls: idleCallsN.all, reads: idleCallsN.reads, baselineCalls: idleCalls1.all },
  });
  const resCallsN = callsPerTick(large.resolutionTicks);
  const resCalls1 = callsPerTick(small.resolutionTicks);
  rows.push({
    id: '1d',
    figure: `OpenTrain calls per tick reading 10 resolutions, ${at}`,
    value: callsText(resCallsN),
    baseline: `${base}: ${callsText(resCalls1)}`,
    ratio: ratio(resCallsN.all, resCalls1.all),
    goal: 'grow with events, not with pending',
    met: met(resCallsN.feed + resCallsN.other <= resCalls1.feed + resCalls1.other + 0.01),
    command,
    data: { calls: resCallsN.all, baselineCalls: resCalls1.all },
  });
  rows.push({
    id: '1e',
    figure: `Bot RSS, ${at}: max / at the end`,
    value: `${mib(large.rssMaxBytes)} / ${mib(large.rssFinalBytes)}`,
    baseline: `${base}: ${mib(small.rssMaxBytes)} / ${mib(small.rssFinalBytes)}`,
    ratio: ratio(large.rssMaxBytes, small.rssMaxBytes),
    goal: 'under 150 MB (143 MiB), flat',
    met: met(large.rssMaxBytes < 150e6),
    command,
    notes: 'VmRSS of the bot process from /proc every 250 ms, from spawn to just before SIGTERM.',
    data: {
      maxBytes: large.rssMaxBytes,
      finalBytes: large.rssFinalBytes,
      baselineMaxBytes: small.rssMaxBytes,
    },
  });
  const readyN = large.readyz.map((sample) => sample.ms);
  const ready1 = small.readyz.map((sample) => sample.ms);
  rows.push({
    id: '1f',
    figure: `GET /readyz latency, ${at}`,
    value: `${ms(median(readyN))} median, ${ms(max(readyN))} max (${readyN.length})`,
    baseline: `${base}: ${ms(median(ready1))} median, ${ms(max(ready1))} max`,
    ratio: ratio(max(readyN), max(ready1)),
    goal: 'under 1 s',
    met: met(readyN.length > 0 && max(readyN) < 1_000),
    command,
    notes: `Sampled every second from spawn to the end. From spawn to the first 200: ${ms(large.readyAfterMs)} at ${n} pending, ${ms(small.readyAfterMs)} at 1 (the first tick has to finish). Seeding took ${ms(large.seedMs)}.`,
    data: { medianMs: median(readyN), maxMs: max(readyN), readyAfterMs: large.readyAfterMs },
  });
  const bytesN = large.storeBytes / Math.max(1, large.storeApprovals);
  rows.push({
    id: '1g',
    figure: `Store bytes per tracked approval, ${at} (${store})`,
    value: `${kb(bytesN)} (${mib(large.storeBytes)} for ${count(large.storeApprovals)} approvals)`,
    baseline: `issue 11: ${kb(issueBytesPerApproval)}`,
    ratio: ratio(bytesN, issueBytesPerApproval),
    goal: 'retention for ended approvals, done effects, old audit rows (not a size)',
    met: 'n/a',
    command,
    notes: `Store size after the bot stopped (SQLite: file + WAL; PostgreSQL: the schema's tables with indexes and TOAST) over the approvals rows. The rows were seeded through the store's ports as the bot writes them (row, audit entry, card, permalink, reminder floor), then the bot ran on them; row 7d has what the bot writes for an approval end to end.`,
    data: { bytesPerApproval: bytesN, bytes: large.storeBytes, approvals: large.storeApprovals },
  });

  // 2: no request waits on a tick (then the same with an App Home tab open).
  const windowRows = (
    ids: [string, string],
    pick: (result: ScaleResult) => LoadWindow,
    when: string,
    extra: string,
  ) => {
    const wN = pick(large);
    const w1 = pick(small);
    const ackN = wN.acks.map((sample) => sample.ms);
    const ack1 = w1.acks.map((sample) => sample.ms);
    const failedN = wN.acks.filter((sample) => sample.status !== 200).length;
    const overlapping = wN.acks.filter((sample) =>
      wN.ticks.some((tick) => sample.sentAt <= tick.seenAt && sample.sentAt + sample.ms >= tick.startedAt),
    ).length;
    rows.push({
      id: ids[0],
      figure: `Command ack ${when}, ${at}: p50 / p99`,
      value: `${ms(median(ackN))} / ${ms(percentile(ackN, 99))} (max ${ms(max(ackN))}, ${ackN.length} commands${failedN > 0 ? `, ${failedN} not 200` : ''})`,
      baseline: `${base}: ${ms(median(ack1))} / ${ms(percentile(ack1, 99))}`,
      ratio: ratio(percentile(ackN, 99), percentile(ack1, 99)),
      goal: 'no request waits: p99 within 2× of 1 pending, none past 3 s',
      met: met(failedN === 0 && percentile(ackN, 99) <= 2 * percentile(ack1, 99) && max(ackN) < 3_000),
      command,
      notes: `Signed /fund-milestone for milestones OpenTrain does not know (same ack path, no cards), 5 a second, open loop. ${wN.ticks.length} ticks finished meanwhile; ${overlapping} of the commands overlapped one. ${extra} Alice's App Home publishes meanwhile: ${wN.homePublishes} (${w1.homePublishes} at 1 pending).`,
      data: {
        p50Ms: median(ackN),
        p99Ms: percentile(ackN, 99),
        maxMs: max(ackN),
        baselineP99Ms: percentile(ack1, 99),
      },
    });
    const healthN = wN.healthz.map((sample) => sample.ms);
    const health1 = w1.healthz.map((sample) => sample.ms);
    rows.push({
      id: ids[1],
      figure: `GET /healthz ${when}, ${at}: p99 / max`,
      value: `${ms(percentile(healthN, 99))} / ${ms(max(healthN))} (${healthN.length})`,
      baseline: `${base}: ${ms(percentile(health1, 99))} / ${ms(max(health1))}`,
      ratio: ratio(max(healthN), max(health1)),
      goal: 'a 1 s probe never fails (max under 1 s)',
      met: met(healthN.length > 0 && max(healthN) < 1_000),
      command,
      notes: `Every 200 ms during the commands of ${ids[0]}.`,
      data: { p99Ms: percentile(healthN, 99), maxMs: max(healthN), baselineMaxMs: max(health1) },
    });
  };
  windowRows(
    ['2a', '2b'],
    (result) => result.ticksOnly,
    'while ticks run',
    'Nobody has opened App Home yet.',
  );
  windowRows(
    ['2c', '2d'],
    (result) => result.homeOpen,
    "while ticks run, Alice's App Home open",
    'Right after 4a: her tab is republished as approvals change (countdowns, lapses), as in real use.',
  );

  // 4: App Home.
  rows.push({
    id: '4a',
    figure: `App Home published, ${at}`,
    value: ms(large.home.publishMs),
    baseline: `${base}: ${ms(small.home.publishMs)}`,
    ratio: ratio(large.home.publishMs, small.home.publishMs),
    goal: 'under 1 s (bench reading: from an index)',
    met: met(large.home.publishMs < 1_000),
    command,
    notes: 'From the signed app_home_opened event to the views.publish call reaching the Slack fake.',
    data: { publishMs: large.home.publishMs, baselineMs: small.home.publishMs },
  });
  const counted = large.home.shown + large.home.more;
  const expected =
    large.home.expectedLow === large.home.expectedHigh
      ? count(large.home.expectedHigh)
      : `${count(large.home.expectedLow)}–${count(large.home.expectedHigh)}`;
  rows.push({
    id: '4b',
    figure: `App Home counts every pending approval Alice sees, ${at}`,
    value: `${count(large.home.shown)} listed + ${count(large.home.more)} more = ${count(counted)}`,
    baseline: `expected ${expected}`,
    ratio: ratio(counted, large.home.expectedHigh),
    goal: 'all of them (the tab lists 25 and says how many more)',
    met: met(counted >= large.home.expectedLow && counted <= large.home.expectedHigh),
    command,
    notes:
      'Alice sees the #finance-approvals cards (9 in 10 of those seeded) and the #project-x ones she asked for; a range when some lapsed meanwhile.',
    data: {
      shown: large.home.shown,
      more: large.home.more,
      expectedLow: large.home.expectedLow,
      expectedHigh: large.home.expectedHigh,
    },
  });

  // 5: countdowns.
  const c = large.countdown;
  const perMinute = (value: number) => (value * 60_000) / Math.max(1, c.windowMs);
  rows.push({
    id: '5a',
    figure: `Countdown chat.update calls per minute, ${at}`,
    value: `${count(perMinute(c.attempts), 1)}/min sent (${count(perMinute(c.landed), 1)} landed, ${count(perMinute(c.rateLimited), 1)} answered 429)`,
    baseline: 'Tier 3: 50/min',
    ratio: ratio(perMinute(c.attempts), 50),
    goal: 'within the budget, nearest expiry first',
    met: met(perMinute(c.attempts) <= 50),
    command,
    notes: `Over ${ms(c.windowMs)} from the first tick on, with Slack's published limits on the fake. Countdown texts that changed meanwhile: ${count(perMinute(c.dueChanges), 1)}/min (days, then about a day, then hours).`,
    data: {
      attemptsPerMinute: perMinute(c.attempts),
      landedPerMinute: perMinute(c.landed),
      duePerMinute: perMinute(c.dueChanges),
    },
  });
  const delays = (result: ScaleResult) => {
    const afterTick = result.outcomes
      .filter((outcome) => outcome.editedAt !== undefined && outcome.tickSeenAt !== undefined)
      .map((outcome) => (outcome.editedAt ?? 0) - (outcome.tickSeenAt ?? 0));
    const total = result.outcomes
      .filter((outcome) => outcome.editedAt !== undefined)
      .map((outcome) => (outcome.editedAt ?? 0) - outcome.confirmedAt);
    return {
      afterTick,
      total,
      missing: result.outcomes.filter((outcome) => outcome.editedAt === undefined).length,
    };
  };
  const dN = delays(large);
  const d1 = delays(small);
  rows.push({
    id: '5b',
    figure: `Outcome card edit after the tick that read it, ${at} (countdowns due)`,
    value: `${ms(max(dN.afterTick))} max${dN.missing > 0 ? `, ${dN.missing} of ${large.outcomes.length} never edited` : ''} (confirm → edit ${ms(median(dN.total))} median, ${ms(max(dN.total))} max)`,
    baseline: `${base}: ${ms(max(d1.afterTick))} max (confirm → edit ${ms(median(d1.total))} / ${ms(max(d1.total))})`,
    ratio: ratio(max(dN.afterTick), max(d1.afterTick)),
    goal: 'never delayed by countdown edits (under 1 s after its tick)',
    met: met(dN.missing === 0 && finite(max(dN.afterTick)) && max(dN.afterTick) < 1_000),
    command,
    notes: `The 10-resolution confirmations of 1b: time from the tick that read them being seen done on /metrics to the card's chat.update reaching the fake (it can be negative: the edit may start before the tick ends). Confirm → edit includes waiting for the next tick.`,
    data: {
      maxAfterTickMs: max(dN.afterTick),
      missing: dN.missing,
      baselineMaxAfterTickMs: max(d1.afterTick),
    },
  });
  return rows;
}

export function burstRows(b: BurstResult, command: string, store: string): Row[] {
  const n = count(b.cards);
  const windowText = `${b.limit} per ${ms(b.windowMs)}`;
  const lowerBound = (Math.max(0, b.cards - b.limit) / b.limit) * b.windowMs;
  const span = (b.lastEditAt ?? Number.NaN) - (b.firstEditAt ?? Number.NaN);
  const idle = median(b.idleTickMs);
  return [
    {
      id: '3',
      figure: `Poll tick reading ${n} resolutions (${store})`,
      value: b.burstTick === undefined ? 'no tick read them' : ms(b.burstTick.ms),
      baseline: `idle tick at ${n} pending: ${ms(idle)}`,
      ratio: b.burstTick === undefined ? null : ratio(b.burstTick.ms, idle),
      goal: 'under 1 s (reads concurrent, bounded)',
      met: met(b.burstTick !== undefined && b.ticksReadingResolutions === 1 && b.burstTick.ms < 1_000),
      command,
      notes:
        b.burstTick === undefined
          ? undefined
          : `All ${n} confirmed in the simulator at once just after a tick; that tick read ${b.burstTick.resolutionsRead} of them (${b.ticksReadingResolutions} tick${b.ticksReadingResolutions === 1 ? '' : 's'} to read all) with ${b.burstTick.calls} OpenTrain calls.`,
      data: { ms: b.burstTick?.ms ?? null, idleMs: idle, ticks: b.ticksReadingResolutions },
    },
    {
      id: '6a',
      figure: `429s while ${n} cards end under a chat.update limit of ${windowText}`,
      value: `${count(b.rateLimited)} over ${count(b.retryAfterWindows)} Retry-After windows`,
      baseline: `${count(b.retryAfterWindows)} windows`,
      ratio: b.retryAfterWindows === 0 ? null : ratio(b.rateLimited, b.retryAfterWindows),
      goal: 'a few per window at most (≤ 3)',
      met: met(b.rateLimited <= 3 * Math.max(1, b.retryAfterWindows)),
      command,
      notes: `${count(b.attempts)} outcome edits sent for ${n} cards. A window opens with a 429 sent after the previous one ended.`,
      data: { rateLimited: b.rateLimited, windows: b.retryAfterWindows, attempts: b.attempts },
    },
    {
      id: '6b',
      figure: `chat.update calls sent inside a Retry-After, ${n} cards`,
      value: count(b.sentInsideRetryAfter),
      baseline: '0',
      ratio: null,
      goal: 'none',
      met: met(b.sentInsideRetryAfter === 0),
      command,
      notes:
        "The Slack fake's rateLimitCounters(): calls arriving while a Retry-After it announced for the method was running.",
      data: { sentInsideRetryAfter: b.sentInsideRetryAfter },
    },
    {
      id: '6c',
      figure: `${n} cards ending under ${windowText}: first to last outcome edit`,
      value: `${ms(span)} (${count(b.edited)} of ${n} edited, ${b.duplicates} doubled)`,
      baseline: `lower bound ${ms(lowerBound)}`,
      ratio: ratio(span, lowerBound),
      goal: 'within 10 % of the lower bound (bench reading), none lost, none doubled',
      met: met(b.edited === b.cards && b.duplicates === 0 && ratio(span, lowerBound) <= 1.1),
      command,
      notes: `The bucket starts full (${b.limit}), then admits ${b.limit} per ${ms(b.windowMs)}: (${n} − ${b.limit}) / ${b.limit} windows. From the confirmations to the last edit: ${ms((b.lastEditAt ?? Number.NaN) - b.confirmedAt)}.`,
      data: { spanMs: span, lowerBoundMs: lowerBound, edited: b.edited, duplicates: b.duplicates },
    },
  ];
}

const acksOf = (result: CommandResult) => result.acks.map((sample) => sample.ms);
const coldAcksOf = (result: CommandResult) => result.coldAcks.map((sample) => sample.ms);
const cardsOf = (result: CommandResult) =>
  result.cardMs.filter((value): value is number => value !== undefined);

function ackText(result: CommandResult): string {
  const acks = acksOf(result);
  const failed = result.acks.filter((sample) => sample.status !== 200).length;
  return `${ms(median(acks))} / ${ms(percentile(acks, 99))}${failed > 0 ? ` (${failed} not 200)` : ''}`;
}

function coldText(result: CommandResult): string {
  const acks = coldAcksOf(result);
  return `${ms(median(acks))} / ${ms(percentile(acks, 99))} (p50 / p99)`;
}

function cardText(result: CommandResult): string {
  const cards = cardsOf(result);
  const missing = result.cardMs.length - cards.length;
  return `${ms(median(cards))} / ${ms(max(cards))}${missing > 0 ? ` (${missing} cards still not posted when the bench gave up)` : ''}`;
}

const boundText = (result: CommandResult) =>
  `${ms(median(result.cardBoundMs))} / ${ms(max(result.cardBoundMs))}`;

/** The ack goal of issue 11: p99 under 50 ms and within 2× the node:http floor. */
const ackMet = (result: CommandResult, floor: CommandResult) =>
  met(
    result.acks.every((sample) => sample.status === 200) &&
      percentile(acksOf(result), 99) < 50 &&
      percentile(acksOf(result), 99) <= 2 * percentile(acksOf(floor), 99),
  );
/** Card latency bounded by Slack's posting limit: max within 1.25× of the bound (bench reading). */
const cardMet = (result: CommandResult) =>
  met(
    cardsOf(result).length === result.cardMs.length &&
      ratio(max(cardsOf(result)), max(result.cardBoundMs)) <= 1.25,
  );

export interface CommandRuns {
  readonly floor: CommandResult;
  readonly bolt: CommandResult;
  readonly sqlite: CommandResult;
  readonly postgres: { one: CommandResult; three: CommandResult } | { reason: string };
}

export function commandRows(
  runs: CommandRuns,
  sizes: { commands: number; channels: number; fundLatencyMs: number },
  command: string,
): Row[] {
  const { floor, bolt, sqlite } = runs;
  const n = count(sizes.commands);
  const setup = `${n} commands at concurrency 50, fund in ${ms(sizes.fundLatencyMs)}`;
  const floorText = `node:http floor: ${ackText(floor)}`;
  const rows: Row[] = [
    {
      id: '7a',
      figure: `Command ack p50 / p99, ${setup} (SQLite, 1 replica)`,
      value: ackText(sqlite),
      baseline: floorText,
      ratio: ratio(percentile(acksOf(sqlite), 99), percentile(acksOf(floor), 99)),
      goal: 'p99 under 50 ms and within 2× the floor',
      met: ackMet(sqlite, floor),
      command,
      notes: `All three answer the same signed requests from the Slack fake in the same run; the floor is a node:http server that reads the body and answers 200 (test/bench/baselines/plain-http.ts), so it also measures the load generator on this machine. Each process first answers ${count(warmUpCommands)} warm-up commands, not counted (the bot until their cards are posted too), then waits the same ${ms(settleMs)} before the run, so each meets it with the same connections (the load generator still opens some new ones during the run): cold, the bot answered them in ${coldText(sqlite)}, the floor in ${coldText(floor)}.${percentile(acksOf(floor), 99) >= 50 ? ' The floor itself is over 50 ms here (the load generator and the fakes share the cores with the bot): judge by the 2× part.' : ''}`,
      data: {
        p50Ms: median(acksOf(sqlite)),
        p99Ms: percentile(acksOf(sqlite), 99),
        floorP99Ms: percentile(acksOf(floor), 99),
        coldP50Ms: median(coldAcksOf(sqlite)),
        coldP99Ms: percentile(coldAcksOf(sqlite), 99),
      },
    },
    {
      id: '7b',
      figure: `Bare Bolt app acking at once (the await-first ack handler), ${setup}`,
      value: ackText(bolt),
      baseline: floorText,
      ratio: ratio(percentile(acksOf(bolt), 99), percentile(acksOf(floor), 99)),
      goal: 'a baseline: what Bolt itself costs',
      met: 'n/a',
      command,
      notes:
        'test/bench/baselines/bolt-app.ts: new App({ token, signingSecret }) and a /fund-milestone listener that only awaits ack().',
      data: { p50Ms: median(acksOf(bolt)), p99Ms: percentile(acksOf(bolt), 99) },
    },
    {
      id: '7c',
      figure: `Card latency p50 / max, ${setup} over ${sizes.channels} channels (SQLite, 1 replica)`,
      value: cardText(sqlite),
      baseline: `posting-limit bound: ${boundText(sqlite)}`,
      ratio: ratio(max(cardsOf(sqlite)), max(sqlite.cardBoundMs)),
      goal: "bounded by Slack's posting limit, not the worker pool (max within 1.25× of the bound)",
      met: cardMet(sqlite),
      command,
      notes: `From sending the command to its card's chat.postMessage reaching the fake. The bound: the card can be posted ${ms(sizes.fundLatencyMs)} after its command at the earliest, and each channel takes ${1} post a second after a burst of 3 (the fake's chat.postMessage limit), first come first served.`,
      data: {
        p50Ms: median(cardsOf(sqlite)),
        maxMs: max(cardsOf(sqlite)),
        boundP50Ms: median(sqlite.cardBoundMs),
        boundMaxMs: max(sqlite.cardBoundMs),
      },
    },
    {
      id: '7d',
      figure: 'Store bytes per approval the bot wrote end to end (SQLite)',
      value: kb(sqlite.bytesPerApproval),
      baseline: `issue 11: ${kb(issueBytesPerApproval)}`,
      ratio: ratio(sqlite.bytesPerApproval, issueBytesPerApproval),
      goal: 'retention (not a size)',
      met: 'n/a',
      command,
      notes: `Store growth over the run of 7a/7c (fund, card, reply, homes effects, audit entries) divided by the ${count(sqlite.approvals)} approvals; the card is posted, the approval still pending.`,
      data: { bytesPerApproval: sqlite.bytesPerApproval },
    },
  ];
  const pgCommand = command;
  if ('reason' in runs.postgres) {
    const why = runs.postgres.reason;
    rows.push(
      notMeasured('10a', `Command ack p50 / p99, PostgreSQL vs SQLite, 1 replica`, why, pgCommand),
      notMeasured('10b', `Card latency p50 / max, PostgreSQL vs SQLite, 1 replica`, why, pgCommand),
      notMeasured('10c', `Command ack p50 / p99, PostgreSQL, 3 vs 1 replicas`, why, pgCommand),
      notMeasured('10d', `Card latency p50 / max, PostgreSQL, 3 vs 1 replicas`, why, pgCommand),
      notMeasured('10e', `OpenTrain /updates calls per second, 3 vs 1 replicas`, why, pgCommand),
      notMeasured('10f', 'Store bytes per approval the bot wrote end to end (PostgreSQL)', why, pgCommand),
    );
    return rows;
  }
  const { one, three } = runs.postgres;
  const updatesRate = (result: CommandResult) => (result.updatesCalls * 1_000) / Math.max(1, result.spanMs);
  rows.push(
    {
      id: '10a',
      figure: `Command ack p50 / p99, ${setup} (PostgreSQL, 1 replica)`,
      value: ackText(one),
      baseline: `SQLite, 1 replica: ${ackText(sqlite)}`,
      ratio: ratio(percentile(acksOf(one), 99), percentile(acksOf(sqlite), 99)),
      goal: 'as 7a: p99 under 50 ms and within 2× the floor',
      met: ackMet(one, floor),
      command: pgCommand,
      data: { p50Ms: median(acksOf(one)), p99Ms: percentile(acksOf(one), 99) },
    },
    {
      id: '10b',
      figure: `Card latency p50 / max, ${setup} (PostgreSQL, 1 replica)`,
      value: cardText(one),
      baseline: `SQLite, 1 replica: ${cardText(sqlite)}; bound ${boundText(one)}`,
      ratio: ratio(max(cardsOf(one)), max(cardsOf(sqlite))),
      goal: 'as 7c: max within 1.25× of the posting-limit bound',
      met: cardMet(one),
      command: pgCommand,
      data: { p50Ms: median(cardsOf(one)), maxMs: max(cardsOf(one)), boundMaxMs: max(one.cardBoundMs) },
    },
    {
      id: '10c',
      figure: `Command ack p50 / p99, ${setup} (PostgreSQL, 3 replicas, commands round-robin)`,
      value: ackText(three),
      baseline: `1 replica: ${ackText(one)}`,
      ratio: ratio(percentile(acksOf(three), 99), percentile(acksOf(one), 99)),
      goal: 'as 7a: p99 under 50 ms and within 2× the floor',
      met: ackMet(three, floor),
      command: pgCommand,
      notes: `Three production processes on one schema, on this 2-core machine. Nothing doubled: ${three.duplicates === 0 ? 'yes' : `no, ${three.duplicates} metadata keys on more than one message`}.`,
      data: {
        p50Ms: median(acksOf(three)),
        p99Ms: percentile(acksOf(three), 99),
        duplicates: three.duplicates,
      },
    },
    {
      id: '10d',
      figure: `Card latency p50 / max, ${setup} (PostgreSQL, 3 replicas)`,
      value: cardText(three),
      baseline: `1 replica: ${cardText(one)}; bound ${boundText(three)}`,
      ratio: ratio(max(cardsOf(three)), max(cardsOf(one))),
      goal: 'as 7c: max within 1.25× of the posting-limit bound',
      met: cardMet(three),
      command: pgCommand,
      data: { p50Ms: median(cardsOf(three)), maxMs: max(cardsOf(three)), boundMaxMs: max(three.cardBoundMs) },
    },
    {
      id: '10e',
      figure: 'OpenTrain /updates calls per second, PostgreSQL, 3 replicas',
      value: `${count(updatesRate(three), 2)}/s (${three.updatesCalls} in ${ms(three.spanMs)})`,
      baseline: `1 replica: ${count(updatesRate(one), 2)}/s (${one.updatesCalls} in ${ms(one.spanMs)})`,
      ratio: ratio(updatesRate(three), updatesRate(one)),
      goal: "one replica's rate (within 1.5×)",
      met: met(ratio(updatesRate(three), updatesRate(one)) <= 1.5),
      command: pgCommand,
      notes: 'From the first command to the last card, POLL_SCHEDULE */2 s on every replica.',
      data: { perSecond: updatesRate(three), baselinePerSecond: updatesRate(one) },
    },
    {
      id: '10f',
      figure: 'Store bytes per approval the bot wrote end to end (PostgreSQL, 1 replica)',
      value: kb(one.bytesPerApproval),
      baseline: `SQLite: ${kb(sqlite.bytesPerApproval)}`,
      ratio: ratio(one.bytesPerApproval, sqlite.bytesPerApproval),
      goal: 'retention (not a size)',
      met: 'n/a',
      command: pgCommand,
      notes:
        'pg_total_relation_size of the schema’s tables (indexes and TOAST included, before any VACUUM) over the approvals.',
      data: { bytesPerApproval: one.bytesPerApproval },
    },
  );
  return rows;
}
