// `npm run bench`: the latencies a person sees, measured end to end over HTTP against the simulators, as
// medians and ratios. Nothing here asserts a speed; the figures go in issue notes and the README.
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { createOpenTrainClient } from '../../src/opentrain/client.js';
import { type Harness, ids, startHarness } from '../e2e/harness.js';

const quick = process.argv.includes('--quick');
const rounds = (full: number) => (quick ? Math.max(3, Math.round(full / 5)) : full);
const noSchedule = { POLL_SCHEDULE: '0 0 1 1 *', LOG_LEVEL: 'warn' };

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const rows: string[][] = [];
function report(what: string, samples: readonly number[], unit = 'ms'): number {
  const m = median(samples);
  rows.push([
    what,
    `${samples.length}`,
    `${m.toFixed(1)} ${unit}`,
    `${percentile(samples, 95).toFixed(1)} ${unit}`,
  ]);
  return m;
}

let milestoneSeq = 0;
/** A fresh fundable milestone on contract C-501, so every round requests something new. */
function freshMilestone(h: Harness): string {
  milestoneSeq += 1;
  const id = `M-B${milestoneSeq}`;
  h.opentrain.addMilestone('C-501', { id, name: `Bench batch ${milestoneSeq}`, amountUsd: 100 });
  return id;
}

async function fundAndCard(
  h: Harness,
  milestoneId: string,
): Promise<{ ackMs: number; cardMs: number; ts: string }> {
  const started = performance.now();
  const ack = await h.command(milestoneId);
  const ackMs = performance.now() - started;
  if (ack.status !== 200) throw new Error(`the command was answered ${ack.status}`);
  const post = await h.slack.waitForCall(
    'chat.postMessage',
    (call) =>
      JSON.stringify(call.args).includes(milestoneId) && (call.response.body as { ok?: boolean }).ok === true,
    15_000,
  );
  const cardMs = performance.now() - started;
  const ts = String((post.response.body as { ts?: string }).ts);
  return { ackMs, cardMs, ts };
}

function approvalOf(h: Harness, milestoneId: string): string {
  const approval = h.opentrain
    .snapshot()
    .approvals.find((candidate) => candidate.milestoneId === milestoneId);
  if (approval === undefined) throw new Error(`no approval for ${milestoneId}`);
  return approval.id;
}

async function confirmToEdit(h: Harness, milestoneId: string, ts: string): Promise<number> {
  const started = performance.now();
  h.opentrain.confirm(approvalOf(h, milestoneId));
  await h.slack.waitUntil(
    () =>
      JSON.stringify(h.slack.message(ids.financeApprovals, ts)?.blocks ?? []).includes('Milestone funded') ||
      undefined,
    60_000,
    'the card edited to funded',
  );
  return performance.now() - started;
}

async function commandLatency(): Promise<void> {
  const h = await startHarness(noSchedule);
  try {
    const normal = { ack: [] as number[], card: [] as number[] };
    for (let i = 0; i < rounds(30); i++) {
      const { ackMs, cardMs } = await fundAndCard(h, freshMilestone(h));
      normal.ack.push(ackMs);
      normal.card.push(cardMs);
    }
    const slowAck: number[] = [];
    for (let i = 0; i < rounds(10); i++) {
      const milestoneId = freshMilestone(h);
      h.opentrain.injectFault({ method: 'POST', path: `/milestones/${milestoneId}/fund`, latencyMs: 5_000 });
      const started = performance.now();
      await h.command(milestoneId);
      slowAck.push(performance.now() - started);
    }
    const fast = report('/fund-milestone ack (OpenTrain answers at once)', normal.ack);
    const slow = report('/fund-milestone ack (OpenTrain takes 5 s)', slowAck);
    report('/fund-milestone → card posted', normal.card);
    rows.push([
      '  ratio: ack with a 5 s OpenTrain / ack with a quick one',
      '',
      `${(slow / fast).toFixed(2)}×`,
      '',
    ]);
  } finally {
    await h.close();
  }
}

async function confirmationLatency(): Promise<void> {
  // With the doorbell: scheduled polls are off, so only OpenTrain's webhook can make the bot look.
  const h = await startHarness(noSchedule);
  try {
    const client = createOpenTrainClient({
      baseUrl: h.env.OT_API_BASE_URL ?? '',
      token: h.env.OT_API_TOKEN ?? '',
      clock: h.clock,
      log: pino({ level: 'silent' }),
    });
    const created = await client.createWebhook(`${h.service.url}/opentrain/webhook`, ['approval.confirmed']);
    await h.stopBot();
    Object.assign(h.env, {
      OPENTRAIN_WEBHOOK_SECRET: created.secret,
      PORT: new URL(created.webhook.url).port,
    });
    await h.startBot();
    const doorbell: number[] = [];
    for (let i = 0; i < rounds(30); i++) {
      const milestoneId = freshMilestone(h);
      const { ts } = await fundAndCard(h, milestoneId);
      doorbell.push(await confirmToEdit(h, milestoneId, ts));
    }
    report('confirmed in OpenTrain → card edited (webhook doorbell)', doorbell);
  } finally {
    await h.close();
  }

  // Without it: the poller alone, every 5 s here (30 s by default), so expect about half an interval.
  const polled = await startHarness({ POLL_SCHEDULE: '*/5 * * * * *', LOG_LEVEL: 'warn' });
  try {
    const samples: number[] = [];
    for (let i = 0; i < rounds(8); i++) {
      const milestoneId = freshMilestone(polled);
      const { ts } = await fundAndCard(polled, milestoneId);
      // Each round starts just after a tick; a random wait spreads the confirmations over the interval.
      await sleep(Math.random() * 5_000);
      samples.push(await confirmToEdit(polled, milestoneId, ts));
    }
    report('confirmed in OpenTrain → card edited (poll every 5 s, no webhook)', samples);
  } finally {
    await polled.close();
  }
}

async function tickCost(): Promise<void> {
  const h = await startHarness(noSchedule);
  try {
    const measure = async (label: string) => {
      const samples: number[] = [];
      const calls = h.opentrain.requests.length;
      for (let i = 0; i < rounds(20); i++) {
        const started = performance.now();
        await h.service.pollNow();
        samples.push(performance.now() - started);
      }
      const perTick = (h.opentrain.requests.length - calls) / samples.length;
      rows.push([`  OpenTrain calls per tick, ${label}`, '', perTick.toFixed(1), '']);
      return report(`poll tick, no events, ${label}`, samples);
    };
    await fundAndCard(h, freshMilestone(h));
    await h.service.pollNow();
    const one = await measure('1 pending approval');
    for (let i = 0; i < rounds(200) - 1; i++) await fundAndCard(h, freshMilestone(h));
    await h.service.pollNow();
    const many = await measure(`${rounds(200)} pending approvals`);
    rows.push([`  ratio: tick with ${rounds(200)} pending / with 1`, '', `${(many / one).toFixed(2)}×`, '']);
  } finally {
    await h.close();
  }
}

await commandLatency();
await confirmationLatency();
await tickCost();

const header = ['measure', 'n', 'median', 'p95'];
const widths = header.map((title, column) =>
  Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
);
const line = (row: readonly string[]) =>
  row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
console.log(`Countersign bench (Node ${process.version}${quick ? ', --quick' : ''})`);
console.log(line(header));
for (const row of rows) console.log(line(row));
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
