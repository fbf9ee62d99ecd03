import { join } from 'node:path';
import type { RequestLogEntry } from '../../../src/sandbox/opentrain/types.js';
import { botEnv, spawnBot } from '../lib/bot.js';
import { followCalls, isOk, startFakes } from '../lib/fakes.js';
import { seedPending } from '../lib/seed.js';
import type { StoreTarget } from '../lib/store-target.js';
import { type Tick, watchTicks } from '../lib/ticks.js';

const hourMs = 3_600_000;

export interface BurstOptions {
  readonly cards: number;
  /** The chat.update limit: `limit` calls per `windowMs` (a token bucket that starts full). */
  readonly limit: number;
  readonly windowMs: number;
  readonly schedule: string;
  readonly target: StoreTarget;
  readonly workDir: string;
  readonly say: (line: string) => void;
}

export interface BurstResult {
  readonly cards: number;
  readonly limit: number;
  readonly windowMs: number;
  /** Idle ticks at `cards` pending, before the burst. */
  readonly idleTickMs: number[];
  /** The tick that read the resolutions: how long, and what it asked OpenTrain. */
  readonly burstTick:
    | { ms: number; calls: number; approvalReads: number; resolutionsRead: number }
    | undefined;
  /** Ticks that read at least one of the resolutions (1 when they all fit in one tick). */
  readonly ticksReadingResolutions: number;
  readonly confirmedAt: number;
  readonly firstEditAt: number | undefined;
  readonly lastEditAt: number | undefined;
  readonly edited: number;
  readonly attempts: number;
  readonly rateLimited: number;
  readonly sentInsideRetryAfter: number;
  /** Distinct Retry-After windows the fake announced for chat.update. */
  readonly retryAfterWindows: number;
  readonly duplicates: number;
  readonly logPath: string;
}

/**
 * Rows 3 and 6: `cards` pending approvals with cards (expiring 40 to 58 h out, so no countdown or reminder comes
 * due meanwhile), a `limit`-per-`windowMs` chat.update limit on the Slack fake and nothing else limited; then
 * every one of them confirmed in OpenTrain at once, just after a tick. Measures the tick that reads them, and
 * every card edit to its outcome: how long from the first to the last, 429s, calls sent inside a Retry-After.
 */
export async function runBurst(options: BurstOptions): Promise<BurstResult> {
  const { say } = options;
  const fakes = await startFakes();
  const { slack, opentrain } = fakes;
  const cards = await seedPending(fakes, options.target, {
    count: options.cards,
    expiresFromMs: 40 * hourMs,
    expiresToMs: 58 * hourMs,
    say,
  });
  const byTs = new Set(cards.map((card) => card.ts));
  const edits: { at: number; ts: string; ok: boolean; rateLimited: boolean; retryAfter: number }[] = [];
  const unfollow = followCalls(slack, (call) => {
    if (call.method !== 'chat.update' || !byTs.has(String(call.args.ts))) return;
    const text = JSON.stringify(call.args.blocks ?? '');
    if (!text.includes('Milestone funded')) return;
    edits.push({
      at: call.at.getTime(),
      ts: String(call.args.ts),
      ok: isOk(call),
      rateLimited: call.rateLimited === true,
      retryAfter: Number(call.response.headers['retry-after'] ?? 0),
    });
  });
  slack.setRateLimits([{ method: 'chat.update', limit: options.limit, windowMs: options.windowMs }]);

  const logPath = join(options.workDir, `bot-burst-${options.cards}.log`);
  const bot = await spawnBot(
    { ...botEnv(fakes), DATABASE_URL: options.target.url, POLL_SCHEDULE: options.schedule },
    { logPath, cwd: options.workDir },
  );
  const requests = opentrain.requests as readonly RequestLogEntry[];
  const watch = watchTicks([bot.url], () => requests.length);
  try {
    await watch.next({ after: 0, timeoutMs: 300_000 });
    const idle: Tick[] = [];
    for (let i = 0; i < 2; i++) idle.push(await watch.next({ after: idle.at(-1)?.seenAt ?? Date.now() }));

    say(`  ${cards.length} approvals confirmed at once`);
    await watch.next({ after: Date.now() });
    const markAt = requests.length;
    for (const card of cards) opentrain.confirm(card.approvalId);
    const confirmedAt = Date.now();
    const paths = new Set(cards.map((card) => `/approvals/${card.approvalId}`));
    const done = slack.waitUntil(
      () => new Set(edits.filter((edit) => edit.ok).map((edit) => edit.ts)).size >= cards.length || undefined,
      Math.max(120_000, (options.cards / options.limit) * options.windowMs * 4),
      `all ${cards.length} cards edited`,
    );
    // The ticks that read the resolutions, until all of them are read (or the edits are all done).
    const readingTicks: { tick: Tick; reads: number; approvalReads: number; calls: number }[] = [];
    let read = 0;
    let after = confirmedAt - 1;
    while (read < cards.length) {
      const tick = await watch.next({ after, timeoutMs: 300_000 });
      after = tick.seenAt;
      const index = watch.ticks.indexOf(tick);
      const from = Math.max(markAt, index > 0 ? (watch.ticks[index - 1]?.mark ?? 0) : 0);
      const slice = requests.slice(from, tick.mark);
      const reads = slice.filter((request) => paths.has(request.path)).length;
      if (reads === 0 && readingTicks.length === 0) continue;
      if (reads === 0) break;
      read += reads;
      const approvalReads = slice.filter((request) => request.path.startsWith('/approvals/')).length;
      readingTicks.push({ tick, reads, approvalReads, calls: slice.length });
    }
    const doneOk = await done.then(
      () => true,
      () => false,
    );
    if (!doneOk) say('  not every card was edited in time');
    const ok = edits.filter((edit) => edit.ok);
    // The fake's windows: a 429 arriving after the previous window ended opens a new one.
    let windows = 0;
    let windowEnd = Number.NEGATIVE_INFINITY;
    for (const edit of edits.filter((candidate) => candidate.rateLimited)) {
      if (edit.at >= windowEnd) windows++;
      windowEnd = Math.max(windowEnd, edit.at + edit.retryAfter * 1_000);
    }
    const counters = slack.rateLimitCounters()['chat.update'] ?? { rateLimited: 0, sentInsideRetryAfter: 0 };
    const first = readingTicks[0];
    return {
      cards: cards.length,
      limit: options.limit,
      windowMs: options.windowMs,
      idleTickMs: idle.map((tick) => tick.ms),
      burstTick:
        first === undefined
          ? undefined
          : {
              ms: first.tick.ms,
              calls: first.calls,
              approvalReads: first.approvalReads,
              resolutionsRead: first.reads,
            },
      ticksReadingResolutions: readingTicks.length,
      confirmedAt,
      firstEditAt: ok[0]?.at,
      lastEditAt: ok.at(-1)?.at,
      edited: new Set(ok.map((edit) => edit.ts)).size,
      attempts: edits.length,
      rateLimited: counters.rateLimited,
      sentInsideRetryAfter: counters.sentInsideRetryAfter,
      retryAfterWindows: windows,
      duplicates: slack.metadataDuplicates().length,
      logPath,
    };
  } finally {
    unfollow();
    await watch.stop();
    await bot.stop();
    await fakes.close();
  }
}
