import { setTimeout as sleep } from 'node:timers/promises';
import type { BotProcess } from './bot-process.js';
import type { Rng } from './random.js';
import type { World } from './world.js';

export type Fate = 'confirm' | 'decline' | 'expire';

export interface ApprovalPlan {
  readonly index: number;
  readonly milestoneId: string;
  readonly requester: string;
  readonly fate: Fate;
  /** When the first command is typed, from the start of the run. */
  readonly startMs: number;
  /** A colleague asks for the same milestone a little later. */
  readonly colleague: { readonly userId: string; readonly afterMs: number } | null;
  /** The requester presses Enter twice. */
  readonly doubleSubmitMs: number | null;
  /** How far into the time left before expiry the approver decides (confirm and decline only). */
  readonly decideFraction: number;
}

export interface OutsiderPlan {
  readonly userId: string;
  readonly milestoneId: string;
  readonly startMs: number;
}

/** What a reply says, from its wording (src/slack/messages/replies.ts and refusals.ts). */
export type AnswerKind =
  /** The command acknowledged with no message: its one reply comes through the response_url. */
  | 'acknowledged'
  | 'working'
  | 'slow'
  | 'funded'
  | 'card-delayed'
  | 'card-blocked'
  | 'already-pending'
  | 'ended-confirmed'
  | 'ended-declined'
  | 'ended-expired'
  | 'transient'
  /** The request was cut off while asking and retried too late to ask again safely. */
  | 'unconfirmed'
  | 'requester-refused'
  | 'not-fundable'
  | 'internal-error'
  | 'handler-failed'
  | 'storage-failed'
  | 'other';

const patterns: readonly (readonly [AnswerKind, RegExp])[] = [
  ['acknowledged', /^\s*$/],
  ['working', /Asking OpenTrain to fund/],
  ['slow', /taking longer than usual to record this/],
  ['already-pending', /is already requested/],
  ['card-delayed', /Funding requested \(approval/],
  ['card-blocked', /Funding was requested \(approval/],
  ['funded', /Funding requested for/],
  ['ended-confirmed', /Milestone funded: /],
  ['ended-declined', /was declined\* in OpenTrain/],
  ['ended-expired', /funding request for .* expired\*/],
  ['transient', /OpenTrain is not answering right now/],
  ['unconfirmed', /could not confirm whether OpenTrain recorded/],
  ['requester-refused', /not on the list of people who may request funding/],
  ['not-fundable', /there is nothing to fund|cannot be funded/],
  ['internal-error', /Countersign failed while handling your request/],
  ['handler-failed', /could not handle this command/],
  ['storage-failed', /could not save your request/],
];

export function classify(text: string): AnswerKind {
  return patterns.find(([, pattern]) => pattern.test(text))?.[0] ?? 'other';
}

/** Not an answer yet: the outcome is still to come. */
export const interim: ReadonlySet<AnswerKind> = new Set(['acknowledged', 'working', 'slow']);

export interface Attempt {
  readonly chain: number;
  readonly number: number;
  readonly sentAt: number;
  /** Slack's view: the app answered 2xx within 3 s. */
  readonly acked: boolean;
  readonly ackText: string;
  readonly responseUrl: string;
}

export interface Chain {
  readonly id: number;
  readonly kind: 'original' | 'colleague' | 'double' | 'outsider';
  readonly userId: string;
  readonly milestoneId: string;
  readonly attempts: Attempt[];
  /** How the person stopped: an answer, or giving up after too many tries or too long a wait. */
  end: 'answered' | 'gave-up' | 'waiting';
}

/** What became of a planned decision: made, the approval lapsed first, or no card showed it in time. */
export interface Decision {
  readonly fate: Fate;
  done: 'confirmed' | 'declined' | 'lapsed-first' | 'no-card' | 'none';
}

export interface WorkloadContext {
  readonly world: World;
  readonly bot: BotProcess;
  readonly t0: number;
  /** How long a person waits for an answer before walking away (it is still judged at the end). */
  readonly answerWaitMs: number;
  readonly chains: Chain[];
  readonly decisions: Map<string, Decision>;
}

/** The latest answer the fake took on this response_url that is not interim, if any. */
export function finalAnswer(
  world: World,
  responseUrl: string,
): { kind: AnswerKind; text: string } | undefined {
  const posts = (world.responses.get(responseUrl) ?? []).filter((post) => post.status === 200);
  const last = posts.at(-1);
  if (last === undefined) return undefined;
  const kind = classify(last.text);
  return interim.has(kind) ? undefined : { kind, text: last.text };
}

function milestoneEnded(world: World, milestoneId: string): boolean {
  return world.opentrain
    .snapshot()
    .approvals.some((approval) => approval.milestoneId === milestoneId && approval.status !== 'pending');
}

async function sendOnce(ctx: WorkloadContext, chain: Chain, number: number, note: string): Promise<Attempt> {
  const sentAt = Date.now();
  const result = await ctx.world.slack.sendCommand({
    appUrl: `${ctx.bot.url}/slack/events`,
    text: `${chain.milestoneId} ${note}`,
    userId: chain.userId,
    channelId: ctx.world.channel,
  });
  const acked = result.failure === undefined && result.status >= 200 && result.status < 300;
  const json = result.json as { text?: unknown } | undefined;
  const ackText = typeof json?.text === 'string' ? json.text : result.body;
  const attempt: Attempt = {
    chain: chain.id,
    number,
    sentAt,
    acked,
    ackText,
    responseUrl: result.responseUrl,
  };
  chain.attempts.push(attempt);
  return attempt;
}

/**
 * One person asking for one milestone, as a person would: a command Slack could not deliver (the bot is down)
 * is typed again; an answer saying OpenTrain is not answering is tried again a little later, unless the
 * approval has meanwhile ended; any other answer ends it.
 */
async function runChain(ctx: WorkloadContext, chain: Chain, rng: Rng): Promise<void> {
  const note = rng.pick(['batch ready', 'R&D <3', 'please fund', '']);
  for (let number = 1; number <= 15; number++) {
    const attempt = await sendOnce(ctx, chain, number, note);
    if (!attempt.acked) {
      await sleep(rng.between(300, 1_500));
      continue;
    }
    const ackKind = classify(attempt.ackText);
    if (!interim.has(ackKind)) {
      chain.end = 'answered';
      return;
    }
    const deadline = Date.now() + ctx.answerWaitMs;
    let answer = finalAnswer(ctx.world, attempt.responseUrl);
    while (answer === undefined && Date.now() < deadline) {
      await sleep(100);
      answer = finalAnswer(ctx.world, attempt.responseUrl);
    }
    if (answer === undefined) {
      chain.end = 'gave-up';
      return;
    }
    if (
      answer.kind === 'transient' &&
      chain.kind !== 'outsider' &&
      !milestoneEnded(ctx.world, chain.milestoneId)
    ) {
      await sleep(rng.between(1_000, 3_000));
      continue;
    }
    chain.end = 'answered';
    return;
  }
  chain.end = 'gave-up';
}

function startChain(
  ctx: WorkloadContext,
  kind: Chain['kind'],
  userId: string,
  milestoneId: string,
  rng: Rng,
) {
  const chain: Chain = { id: ctx.chains.length, kind, userId, milestoneId, attempts: [], end: 'waiting' };
  ctx.chains.push(chain);
  return runChain(ctx, chain, rng);
}

async function sleepUntil(at: number): Promise<void> {
  const wait = at - Date.now();
  if (wait > 0) await sleep(wait);
}

/**
 * One approval's life: the request (with any duplicates), then, once every request has its answer, the
 * approver confirms or declines at a random point before expiry, or nobody acts and it expires.
 */
export async function runApproval(ctx: WorkloadContext, plan: ApprovalPlan, rng: Rng): Promise<void> {
  const decision: Decision = { fate: plan.fate, done: 'none' };
  ctx.decisions.set(plan.milestoneId, decision);
  await sleepUntil(ctx.t0 + plan.startMs);
  const chains = [startChain(ctx, 'original', plan.requester, plan.milestoneId, rng.fork('original'))];
  if (plan.doubleSubmitMs !== null) {
    await sleep(plan.doubleSubmitMs);
    chains.push(startChain(ctx, 'double', plan.requester, plan.milestoneId, rng.fork('double')));
  }
  const { colleague } = plan;
  if (colleague !== null) {
    await sleep(colleague.afterMs);
    chains.push(startChain(ctx, 'colleague', colleague.userId, plan.milestoneId, rng.fork('colleague')));
  }
  await Promise.all(chains);
  if (plan.fate === 'expire') return;
  // Approvers act from the card's button: they wait for the card (Slack may be slow), and an approval no card
  // shows is one nobody can find.
  const approval = ctx.world.opentrain
    .snapshot()
    .approvals.find(
      (candidate) => candidate.milestoneId === plan.milestoneId && candidate.status === 'pending',
    );
  if (approval === undefined) return;
  const shown = () =>
    ctx.world.slack
      .messages(ctx.world.channel)
      .some((card) => JSON.stringify(card.blocks).includes(`${approval.id}\``));
  while (!shown() && Date.now() < Date.parse(approval.expiresAt) - 2_000) await sleep(250);
  if (!shown()) {
    decision.done = 'no-card';
    return;
  }
  const leftMs = Date.parse(approval.expiresAt) - Date.now() - 1_500;
  if (leftMs <= 0) return;
  await sleep(plan.decideFraction * leftMs);
  try {
    if (plan.fate === 'confirm') ctx.world.opentrain.confirm(approval.id);
    else ctx.world.opentrain.decline(approval.id);
    decision.done = plan.fate === 'confirm' ? 'confirmed' : 'declined';
  } catch {
    decision.done = 'lapsed-first';
  }
}

export async function runOutsider(ctx: WorkloadContext, plan: OutsiderPlan, rng: Rng): Promise<void> {
  await sleepUntil(ctx.t0 + plan.startMs);
  await startChain(ctx, 'outsider', plan.userId, plan.milestoneId, rng);
}

/** The seeded plan: who asks for what and when, duplicates, and each approval's fate. */
export function planWorkload(
  rng: Rng,
  world: World,
  windowMs: number,
): { approvals: ApprovalPlan[]; outsiders: OutsiderPlan[] } {
  const colleagues = world.requesters.slice(world.milestones.length);
  const approvals = world.milestones.map((milestoneId, index): ApprovalPlan => {
    const r = rng.fork(`plan:${index}`);
    const fate = r.weighted<Fate>([
      [0.4, 'confirm'],
      [0.3, 'decline'],
      [0.3, 'expire'],
    ]);
    return {
      index,
      milestoneId,
      requester: world.requesters[index] ?? '',
      fate,
      startMs: r.between(500, windowMs),
      colleague: r.chance(0.2) ? { userId: r.pick(colleagues), afterMs: r.between(0, 2_000) } : null,
      doubleSubmitMs: r.chance(0.1) ? r.between(0, 400) : null,
      decideFraction: r.next(),
    };
  });
  const outsiders = world.outsiderMilestones.map((milestoneId, index) => ({
    userId: world.outsiders[index] ?? '',
    milestoneId,
    startMs: rng.fork(`outsider:${index}`).between(500, windowMs),
  }));
  return { approvals, outsiders };
}
