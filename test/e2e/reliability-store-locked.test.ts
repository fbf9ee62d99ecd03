import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { effectKeys } from '../../src/domain/effects.js';
import { botMessages, type Harness, ids, startHarness, waitForCard } from './harness.js';

const notSaved = /could not save your request .* nothing was sent to OpenTrain/;

/** A recorded request is acknowledged with no message (its one reply comes later); a refused one says why. */
const recorded = (ack: { body: string }) => ack.body === '';
const refusedToSave = (ack: { body: string; json?: unknown }) =>
  notSaved.test((ack.json as { text?: string } | undefined)?.text ?? ack.body);

/** Another process holding the database's write lock (a backup, a migration, an operator's sqlite3 shell). */
function lockStore(h: Harness) {
  const path = (h.env.DATABASE_URL ?? '').replace(/^sqlite:/, '');
  const other = new BetterSqlite3(path);
  other.exec('BEGIN IMMEDIATE');
  return {
    release() {
      other.exec('COMMIT');
      other.close();
    },
  };
}

/** Asks /healthz every 100 ms and keeps how long each answer took. */
function sampleHealth(url: string) {
  const samples: { ms: number; status: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
      await response.text();
      samples.push({ ms: performance.now() - started, status: response.status });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

async function readiness(h: Harness) {
  const response = await fetch(`${h.service.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function settled(h: Harness, key: string, timeout = 15_000) {
  await expect
    .poll(async () => (await h.service.store.outbox.find(key as never))?.state, { timeout, interval: 100 })
    .toBe('done');
}

function cardText(h: Harness, ts: string): string {
  const card = h.slack.message(ids.financeApprovals, ts);
  return `${card?.text ?? ''}${JSON.stringify(card?.blocks ?? [])}`;
}

// Issue 9: one failed store write left the worker dead for the life of the process (commands acked, then
// nothing; confirmed cards never edited; /healthz and /readyz stayed 200), and a database locked by another
// process busy-waited the event loop (acks took 5-7 s, /healthz stalled 6.5 s).
describe('a store that refuses writes for a while (another process holds its write lock)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ POLL_SCHEDULE: '*/1 * * * * *', LOG_LEVEL: 'info' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('answers every command and /healthz at once, is not ready meanwhile, and catches up once the lock is gone', async () => {
    await h.command('M-1001');
    const cardA = await waitForCard(h, ids.financeApprovals);
    const approvalA = h.opentrain.snapshot().approvals[0]?.id ?? '';
    await settled(h, effectKeys.card(approvalA));
    const milestones = [1, 2, 3].map(
      (n) => h.opentrain.addMilestone('C-501', { name: `Batch ${n}`, amountUsd: 100 }).id,
    );

    const lock = lockStore(h);
    const lockedAt = performance.now();
    const health = sampleHealth(h.service.url);
    let lockReleased = false;
    try {
      h.opentrain.confirm(approvalA);
      const acks = [];
      const [first, second, third] = milestones as [string, string, string];
      for (const milestoneId of [first, second]) {
        const started = performance.now();
        const ack = await h.command(milestoneId, { userId: ids.bob });
        acks.push({ milestoneId, ack, ms: performance.now() - started });
      }
      const during = await readiness(h);
      expect(during.status).toBe(503);
      expect(during.body).toMatchObject({ ok: false, store: 'not-writable' });

      // The lock goes away (about 3 s after it was taken) while the third command is still trying to be
      // recorded: that one is saved, and must be carried out.
      const started = performance.now();
      const pending = h.command(third, { userId: ids.bob });
      await new Promise((resolve) => setTimeout(resolve, 500));
      lock.release();
      lockReleased = true;
      const heldMs = performance.now() - lockedAt;
      acks.push({ milestoneId: third, ack: await pending, ms: performance.now() - started });
      expect(heldMs).toBeGreaterThan(2_000);

      // Every command is answered within Slack's 3 seconds: recorded, or told plainly that nothing was saved.
      for (const { ack, ms } of acks) {
        expect(ack.failure).toBeUndefined();
        expect(ack.status).toBe(200);
        expect(ms).toBeLessThan(2_900);
        expect(recorded(ack) || refusedToSave(ack)).toBe(true);
      }
      expect(acks.at(-1)?.ack.body).toBe('');

      await health.stop();
      const whileLocked = health.samples;
      expect(whileLocked.length).toBeGreaterThanOrEqual(10);
      expect(whileLocked.every((sample) => sample.status === 200)).toBe(true);
      expect(Math.max(...whileLocked.map((sample) => sample.ms))).toBeLessThan(500);

      // The queue never died: the confirmed card is edited, every recorded command gets its card, and a new
      // command is carried out as usual.
      await h.slack.waitUntil(
        () => cardText(h, cardA.ts).includes('Milestone funded') || undefined,
        15_000,
        'card A edited',
      );
      const saved = acks.filter(({ ack }) => recorded(ack));
      const refused = acks.filter(({ ack }) => refusedToSave(ack));
      for (const { milestoneId } of saved) {
        await waitForCard(h, ids.financeApprovals, (text) => text.includes(milestoneId));
      }
      for (const { milestoneId } of refused) {
        expect(
          h.opentrain.requests.filter((request) => request.path === `/milestones/${milestoneId}/fund`),
        ).toEqual([]);
      }
      const after = h.opentrain.addMilestone('C-501', { name: 'After the lock', amountUsd: 100 }).id;
      const ack = await h.command(after, { userId: ids.carol });
      expect(ack.body).toBe('');
      await waitForCard(h, ids.financeApprovals, (text) => text.includes(after));
      await expect
        .poll(async () => (await readiness(h)).status, { timeout: 10_000, interval: 200 })
        .toBe(200);
      expect(botMessages(h, ids.financeApprovals)).toHaveLength(2 + saved.length);
      expect(h.slack.metadataDuplicates()).toEqual([]);
    } finally {
      if (!lockReleased) lock.release();
      await health.stop();
    }
  }, 40_000);

  it('says the worker is not ready once its store calls keep failing, and ready again after', async () => {
    // A card Slack keeps failing is retried every second or two: the queue keeps needing the store.
    h.slack.injectFault({ method: 'chat.postMessage', status: 500, times: 1_000 });
    await h.command('M-1001');
    const approvalId = await h.slack.waitUntil(() => h.opentrain.snapshot().approvals[0]?.id);
    // The first attempt failed and its retry is recorded: the next one is due within seconds.
    await expect
      .poll(async () => (await h.service.store.outbox.find(effectKeys.card(approvalId)))?.lastError ?? null)
      .not.toBeNull();

    const lock = lockStore(h);
    try {
      await expect
        .poll(async () => (await readiness(h)).body.worker, { timeout: 15_000, interval: 250 })
        .toMatchObject({ ok: false });
      h.slack.clearFaults();
    } finally {
      lock.release();
    }

    await waitForCard(h, ids.financeApprovals);
    await expect.poll(async () => (await readiness(h)).status, { timeout: 15_000, interval: 250 }).toBe(200);
  }, 40_000);
});
