import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeMessage } from '../../src/sandbox/slack/types.js';
import { findTestServer, postgresHint, type TestSchemas, testSchemas } from '../helpers/postgres.js';
import { BotProcess, buildIfStale } from './chaos/bot-process.js';
import { judge } from './chaos/verdict.js';
import { type Attempt, type Chain, classify, finalAnswer, interim } from './chaos/workload.js';
import { createWorld, type World } from './chaos/world.js';

/*
 * Issue 10's proof that N replicas behave like one: three production processes (`node dist/main.js`) on one
 * PostgreSQL schema, against the OpenTrain simulator and the Slack fake. Commands are spread across them (some
 * for the same milestone sent to two replicas at once); approvals are confirmed and declined (some after a
 * reminder) or left to expire; one replica is SIGKILLed while its first commands are in flight and another
 * SIGTERMed mid-run (a command sent to it while it drains), each replaced. The verdict comes from what the
 * simulator and the fake hold: one card per approval showing its outcome, edited to it once, one answer per
 * request, reminders not doubled, nothing lost; and /updates read at one replica's rate.
 */

const server = await findTestServer();

const approvals = 20;
const approvalTtlMs = 30_000;
/** Reminder offsets (the world's): 20 s before expiry (10 s after the request) and 8 s before, in ms. */
const firstReminderMs = 20_000;
const lastReminderMs = 8_000;

type Fate = 'confirm' | 'decline' | 'confirm-after-reminder' | 'decline-after-reminder' | 'expire';
const fates: readonly Fate[] = [
  'confirm',
  'decline',
  'confirm-after-reminder',
  'decline-after-reminder',
  'expire',
];
/** The two requests sent late (to a draining replica, then to its replacement) are decided from the card. */
const fateOf = (index: number): Fate =>
  index === 18 ? 'confirm' : index === 19 ? 'decline' : (fates[index % fates.length] ?? 'expire');
/** Milestones a colleague asks for at the same moment, from another replica; one the requester sends twice. */
const colleagueAtOnce = new Set([1, 5, 10, 14]);
const doubleAtOnce = new Set([7]);

const titles = {
  confirmed: 'Milestone funded',
  declined: 'Funding declined',
  expired: 'Funding request expired',
} as const;

function header(message: { blocks: unknown[] }): string {
  const first = message.blocks[0] as { type?: string; text?: { text?: string } } | undefined;
  return first?.type === 'header' ? (first.text?.text ?? '') : '';
}
const keyOf = (message: { metadata?: FakeMessage['metadata'] }) => {
  const key = message.metadata?.event_payload.key;
  return typeof key === 'string' ? key : undefined;
};

/** Waits for `probe` to answer (checked every 50 ms), or fails naming `what` with the last state it saw. */
async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string | (() => string),
): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > giveUpAt)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      );
    await sleep(50);
  }
}

function table(rows: Record<string, number | string>): string {
  const width = Math.max(...Object.keys(rows).map((key) => key.length));
  return Object.entries(rows)
    .map(([key, value]) => `  ${key.padEnd(width)}  ${value}`)
    .join('\n');
}

if (server === undefined) {
  describe('three replicas on PostgreSQL', () => {
    it.skip(`needs the server: ${postgresHint}`, () => {});
  });
} else {
  describe('three replicas on PostgreSQL', () => {
    let schemas: TestSchemas;
    let schema: string;
    let world: World;
    let admin: pg.Client;
    const replicas: BotProcess[] = [];

    beforeAll(async () => {
      buildIfStale();
      schemas = testSchemas(server);
      const created = await schemas.create();
      schema = created.schema;
      world = await createWorld({ approvals, outsiders: 0, approvalTtlMs });
      const env = {
        ...world.env,
        DATABASE_URL: created.url,
        LOG_LEVEL: process.env.REPLICAS_LOG_LEVEL ?? 'info',
      };
      for (let i = 0; i < 3; i++) replicas.push(new BotProcess(env, join(world.dir, `replica-${i + 1}.log`)));
      admin = await schemas.admin();
    }, 180_000);

    afterAll(async () => {
      for (const replica of replicas) await replica.close();
      await world?.close();
      await schemas?.dropAll();
    });

    /** The bot's open work in the shared schema: only for knowing when to stop waiting, never for judging. */
    async function openWork(): Promise<{ effects: number; approvals: number }> {
      const { rows } = await admin.query<{ effects: string; approvals: string }>(
        `SELECT (SELECT count(*) FROM ${schema}.effects WHERE state = 'pending') AS effects,
                (SELECT count(*) FROM ${schema}.approvals WHERE status = 'pending') AS approvals`,
      );
      return { effects: Number(rows[0]?.effects ?? 0), approvals: Number(rows[0]?.approvals ?? 0) };
    }

    const updatesReads = () =>
      world.opentrain.requests.filter((r) => r.method === 'GET' && r.path === '/updates');
    const live = () => replicas.filter((replica) => replica.running);

    it('posts one card per approval, edits it to its outcome once, answers each request once, doubles no reminder, loses nothing, and reads /updates at one replica’s rate', async ({
      onTestFailed,
    }) => {
      onTestFailed(() => {
        console.log(`replica logs: ${replicas.map((replica) => replica.logPath).join(', ')}`);
      });
      const started = Date.now();
      const chains: Chain[] = [];

      // A single replica first: its rate of /updates reads is the yardstick.
      const [first, second, third] = replicas as [BotProcess, BotProcess, BotProcess];
      await first.start();
      const baselineFrom = await until(() => updatesReads()[0], 10_000, 'the first /updates read');
      const baselineReads = 5;
      const baselineTo = await until(
        () => updatesReads()[baselineReads],
        15_000,
        `${baselineReads} more /updates reads by one replica`,
      );
      const singleRate = (baselineReads * 1_000) / (Date.parse(baselineTo.at) - Date.parse(baselineFrom.at));

      await Promise.all([second.start(), third.start()]);
      const windowFrom = Date.now();
      const readsBefore = updatesReads().length;

      /** One person typing /fund-milestone into the replica at `url`, tried again elsewhere if it is not acked. */
      async function ask(kind: Chain['kind'], userId: string, milestoneId: string, url: string) {
        const chain: Chain = { id: chains.length, kind, userId, milestoneId, attempts: [], end: 'waiting' };
        chains.push(chain);
        let target = url;
        for (let number = 1; number <= 3; number++) {
          const sentAt = Date.now();
          const result = await world.slack.sendCommand({
            appUrl: `${target}/slack/events`,
            text: `${milestoneId} batch ready`,
            userId,
            channelId: world.channel,
          });
          const acked = result.failure === undefined && result.status >= 200 && result.status < 300;
          const json = result.json as { text?: unknown } | undefined;
          const attempt: Attempt = {
            chain: chain.id,
            number,
            sentAt,
            acked,
            ackText: typeof json?.text === 'string' ? json.text : result.body,
            responseUrl: result.responseUrl,
          };
          chain.attempts.push(attempt);
          if (acked) {
            chain.end = 'answered';
            return attempt;
          }
          target = live()[number % Math.max(1, live().length)]?.url ?? target;
        }
        chain.end = 'gave-up';
        return undefined;
      }

      /** Every request for milestone `index`, sent at once: to replica `index` mod live, and duplicates. */
      function request(index: number, urls: readonly string[]) {
        const milestoneId = world.milestones[index] ?? '';
        const requester = world.requesters[index] ?? '';
        const url = (k: number) => urls[(index + k) % urls.length] ?? '';
        const sends = [ask('original', requester, milestoneId, url(0))];
        if (colleagueAtOnce.has(index)) {
          const colleague = world.requesters[approvals + (index % 4)] ?? '';
          sends.push(ask('colleague', colleague, milestoneId, url(1)));
        }
        if (doubleAtOnce.has(index)) sends.push(ask('double', requester, milestoneId, url(1)));
        return Promise.all(sends);
      }

      // Approvers act from the card, as people would: once it shows, or once a reminder came.
      const decisions = new Map<number, 'done' | 'lapsed' | 'pending'>();
      // What Slack shows, read at most every 100 ms however many people are waiting on it (each read copies it).
      let seen = { at: 0, cards: new Map<string, FakeMessage>(), reminded: new Set<string>() };
      const slackView = () => {
        if (Date.now() - seen.at < 100) return seen;
        const cards = new Map<string, FakeMessage>();
        for (const message of world.slack.messages(world.channel)) {
          const key = keyOf(message);
          if (message.user === world.slack.botUserId && key?.startsWith('card:') === true)
            cards.set(key.slice('card:'.length), message);
        }
        const reminded = new Set(
          world.slack
            .metadataTally()
            .filter((entry) => entry.key.startsWith('reminder:'))
            .map((entry) => entry.key.split(':')[1] ?? ''),
        );
        seen = { at: Date.now(), cards, reminded };
        return seen;
      };
      const cardOf = (approvalId: string) => slackView().cards.get(approvalId);
      const reminded = (approvalId: string) => slackView().reminded.has(approvalId);
      async function decide(index: number): Promise<void> {
        const fate = fateOf(index);
        if (fate === 'expire') return;
        decisions.set(index, 'pending');
        const milestoneId = world.milestones[index];
        const approval = await until(
          () => world.opentrain.snapshot().approvals.find((a) => a.milestoneId === milestoneId),
          20_000,
          `an approval for ${milestoneId}`,
        );
        await until(() => cardOf(approval.id), approvalTtlMs, `the card of ${approval.id}`);
        if (fate.endsWith('after-reminder'))
          await until(() => reminded(approval.id), approvalTtlMs, `a reminder for ${approval.id}`);
        try {
          if (fate.startsWith('confirm')) world.opentrain.confirm(approval.id);
          else world.opentrain.decline(approval.id);
          decisions.set(index, 'done');
        } catch {
          decisions.set(index, 'lapsed');
        }
      }
      const deciding: Promise<void>[] = [];

      // Wave 1, spread over the three; the first replica is SIGKILLed the moment they are all acked (its fund
      // calls, cards and replies in flight) and replaced, as a supervisor would.
      const wave1 = Array.from({ length: 9 }, (_, i) => i);
      const urls1 = replicas.map((replica) => replica.url);
      await Promise.all(wave1.map((index) => request(index, urls1)));
      await first.killNow();
      deciding.push(...wave1.map((index) => decide(index)));
      const replacementStarts = [first.start()];

      // Wave 2, to the replicas alive now.
      const wave2 = Array.from({ length: 9 }, (_, i) => 9 + i);
      await Promise.all(
        wave2.map((index) =>
          request(
            index,
            live().map((replica) => replica.url),
          ),
        ),
      );
      deciding.push(...wave2.map((index) => decide(index)));
      await Promise.all(replacementStarts);

      // Mid-run, once half the decisions are made: SIGTERM the second replica. A command that reaches it while
      // it drains is acked and recorded, for any replica to carry out.
      const planned = [...wave1, ...wave2].filter((index) => fateOf(index) !== 'expire').length;
      await until(
        () => [...decisions.values()].filter((state) => state !== 'pending').length >= planned / 2,
        approvalTtlMs,
        'half the decisions',
      );
      const drainingUrl = second.url;
      const stopping = second.terminate();
      await until(
        async () => (await fetch(`${drainingUrl}/readyz`).catch(() => undefined))?.status === 503,
        5_000,
        'the SIGTERMed replica to say it is not ready',
      );
      const during = await request(18, [drainingUrl]);
      const stopped = await stopping;
      deciding.push(decide(18));
      await second.start();
      const afterStop = await request(19, [second.url]);
      deciding.push(decide(19));
      await Promise.all(deciding);

      // Settled: every approval ended in OpenTrain and on its card, every acked command answered, nothing open.
      const ours = new Set(world.milestones);
      const ourApprovals = () =>
        world.opentrain.snapshot().approvals.filter((a) => a.milestoneId !== null && ours.has(a.milestoneId));
      const unanswered = () =>
        chains
          .flatMap((chain) => chain.attempts)
          .filter((attempt) => attempt.acked && interim.has(classify(attempt.ackText)))
          .filter((attempt) => finalAnswer(world, attempt.responseUrl) === undefined).length;
      let lastState = '';
      await until(
        async () => {
          const list = ourApprovals();
          const ended = list.filter((a) => a.status !== 'pending').length;
          const shown = list.filter((a) => {
            const card = cardOf(a.id);
            return card !== undefined && Object.values(titles).includes(header(card) as never);
          }).length;
          const work = await openWork();
          const left = unanswered();
          lastState = `${ended}/${list.length} ended, ${shown} cards showing an outcome, ${work.effects} effects and ${work.approvals} approvals open, ${left} commands unanswered`;
          return (
            list.length >= approvals &&
            ended === list.length &&
            shown === list.length &&
            work.effects === 0 &&
            work.approvals === 0 &&
            left === 0
          );
        },
        approvalTtlMs + 45_000,
        () => `the replicas to settle (${lastState})`,
      );
      const windowTo = Date.now();
      const reads = updatesReads().length - readsBefore;
      const rate = (reads * 1_000) / (windowTo - windowFrom);

      for (const replica of replicas) await replica.close();
      const crashes = replicas.flatMap((replica) =>
        replica.unexpectedExits().filter((exit) => exit.code !== 0),
      );
      const verdict = judge(world, chains, crashes.length);
      // One answer the chaos verdict counts as wrong is true here: there, approvers decide only once every
      // request has its answer; here they act as soon as the card shows, so a duplicate request carried out
      // late (the replica that took it was SIGKILLed, its lease lapsed first) can reach OpenTrain after the
      // milestone was funded, and "already funded (ACTIVE_FUNDED)" is then what OpenTrain and the bot say.
      const fundedBefore = (milestoneId: string, at: number) =>
        world.opentrain
          .snapshot()
          .approvals.some(
            (a) =>
              a.milestoneId === milestoneId &&
              a.status === 'confirmed' &&
              a.resolvedAt !== null &&
              Date.parse(a.resolvedAt) <= at,
          );
      const fundedMeanwhile = chains.flatMap((chain) =>
        chain.attempts.flatMap((attempt) => {
          const answer = (world.responses.get(attempt.responseUrl) ?? [])
            .filter((post) => post.status === 200)
            .at(-1);
          return answer !== undefined &&
            classify(answer.text) === 'not-fundable' &&
            fundedBefore(chain.milestoneId, answer.at)
            ? [
                `${chain.kind} ${chain.userId} ${chain.milestoneId} try ${attempt.number}: answered not-fundable`,
              ]
            : [];
        }),
      );
      const wrongReplies = verdict.details['wrong replies'];
      wrongReplies.splice(
        0,
        wrongReplies.length,
        ...wrongReplies.filter((line) => !fundedMeanwhile.some((excused) => line.startsWith(excused))),
      );
      verdict.counts['wrong replies'] = wrongReplies.length;

      // What the verdict does not count: each outcome edited onto its card once, each request answered once,
      // the reminders that were due sent (once each, which the verdict checks).
      const tally = new Map(world.slack.metadataTally().map((entry) => [entry.key, entry]));
      const sent = (key: string) => {
        const entry = tally.get(key);
        return entry === undefined ? 0 : entry.topLevel + entry.replies;
      };
      seen.at = 0;
      const outcomeEdits: string[] = [];
      const missingReminders: string[] = [];
      for (const approval of ourApprovals()) {
        const card = cardOf(approval.id);
        if (card === undefined) continue;
        const revisions = [...card.history, card];
        const title = titles[approval.status as keyof typeof titles];
        const showing = revisions.filter((revision) => header(revision) === title).length;
        if (showing !== 1)
          outcomeEdits.push(`${approval.id} (${approval.status}): ${showing} revisions say "${title}"`);
        const index = world.milestones.indexOf(approval.milestoneId ?? '');
        if (fateOf(index) === 'expire') {
          // The last reminder is always due (the first may be skipped when tracking began after it was).
          if (sent(`reminder:${approval.id}:${lastReminderMs}`) !== 1)
            missingReminders.push(
              `${approval.id}: ${sent(`reminder:${approval.id}:${lastReminderMs}`)} last-reminder DMs`,
            );
          if (sent(`thread:reminder:${approval.id}`) !== 1)
            missingReminders.push(
              `${approval.id}: ${sent(`thread:reminder:${approval.id}`)} thread reminders`,
            );
        }
      }
      const answers = chains.flatMap((chain) =>
        chain.attempts
          .filter((attempt) => attempt.acked)
          .map((attempt) => {
            const posts = (world.responses.get(attempt.responseUrl) ?? []).filter(
              (post) => post.status === 200 && !interim.has(classify(post.text)),
            );
            const ackFinal = interim.has(classify(attempt.ackText)) ? 0 : 1;
            return { label: `${chain.kind} ${chain.userId} ${chain.milestoneId}`, posts, ackFinal };
          }),
      );
      const notOneAnswer = answers
        .filter(({ posts, ackFinal }) => new Set(posts.map((post) => post.text)).size + ackFinal !== 1)
        .map(({ label, posts, ackFinal }) => `${label}: ${posts.length + ackFinal} answers`);
      const reposted = answers.filter(({ posts }) => posts.length > 1).length;
      const firstReminders = [...tally.keys()].filter((key) => key.endsWith(`:${firstReminderMs}`)).length;

      const figures = {
        'duration (s)': Math.round((Date.now() - started) / 1_000),
        ...verdict.figures,
        'first / last reminder DMs, thread reminders': `${firstReminders} / ${[...tally.keys()].filter((key) => key.endsWith(`:${lastReminderMs}`)).length} / ${verdict.figures['thread reminders']}`,
        '/updates, one replica alone': `${singleRate.toFixed(2)}/s`,
        '/updates, three replicas': `${rate.toFixed(2)}/s (${reads} in ${((windowTo - windowFrom) / 1_000).toFixed(1)} s)`,
        'ratio to one replica': (rate / singleRate).toFixed(2),
        'SIGTERMed replica': `exit ${stopped.exit.code} in ${stopped.tookMs} ms`,
        'answers sent again through the same response_url (replacing)': reposted,
        'duplicates carried out after the milestone was funded ("already funded")': fundedMeanwhile.length,
        'replica generations': replicas.map((replica) => replica.generation).join(', '),
      };
      console.log(
        `three replicas:\n${table(figures)}\ncounts (all must be 0):\n${table({
          ...verdict.counts,
          'outcomes not edited exactly once': outcomeEdits.length,
          'requests not answered exactly once': notOneAnswer.length,
          'due reminders not sent once': missingReminders.length,
        })}`,
      );
      for (const replica of replicas) {
        if (replica.errors.size > 0)
          console.log(`${replica.logPath} error lines:\n${table(Object.fromEntries(replica.errors))}`);
      }

      for (const [name, count] of Object.entries(verdict.counts))
        expect
          .soft(
            count,
            `${name}: ${verdict.details[name as keyof typeof verdict.details].slice(0, 5).join('; ')}`,
          )
          .toBe(0);
      expect.soft(outcomeEdits, 'each outcome edited onto its card once').toEqual([]);
      expect.soft(notOneAnswer, 'each request answered once').toEqual([]);
      expect
        .soft(
          missingReminders,
          'the last reminder, by DM and in the thread, for every approval left to expire',
        )
        .toEqual([]);
      expect
        .soft(
          during.every((attempt) => attempt !== undefined),
          'a command sent while a replica drained was acked',
        )
        .toBe(true);
      expect.soft(afterStop.every((attempt) => attempt !== undefined)).toBe(true);
      expect.soft(stopped.exit.code, 'the SIGTERMed replica exits 0').toBe(0);
      expect.soft(stopped.tookMs, 'within 10 s').toBeLessThan(10_000);
      expect.soft(ourApprovals()).toHaveLength(approvals);
      expect(
        rate / singleRate,
        `/updates at ${rate.toFixed(2)}/s, one replica ${singleRate.toFixed(2)}/s`,
      ).toBeLessThanOrEqual(1.5);
    }, 180_000);
  });
}
