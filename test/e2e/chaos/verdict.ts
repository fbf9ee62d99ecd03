import Database from 'better-sqlite3';
import type { ApprovalView } from '../../../src/sandbox/opentrain/views.js';
import type { FakeMessage } from '../../../src/sandbox/slack/types.js';
import { type AnswerKind, type Chain, classify, finalAnswer, interim } from './workload.js';
import type { World } from './world.js';

/** The numbers the run must bring to zero. */
export const countNames = [
  'wrong card states',
  'doubled cards',
  'doubled DMs',
  'doubled thread replies',
  'doubled reminders',
  'missing outcome messages',
  'wrong outcome messages',
  'extra approvals',
  'wrong replies',
  'lost commands',
  'bot crashes',
] as const;
export type CountName = (typeof countNames)[number];

export interface Verdict {
  readonly counts: Record<CountName, number>;
  /** One line per counted problem, naming the approval, milestone or command. */
  readonly details: Record<CountName, string[]>;
  /** What the run did, for the report. */
  readonly figures: Record<string, number | string>;
}

const pendingTitle = 'Funding approval needed';
const titles = {
  confirmed: 'Milestone funded',
  declined: 'Funding declined',
  expired: 'Funding request expired',
} as const;
const threadWords = {
  confirmed: 'approval confirmed',
  declined: 'approval declined',
  expired: 'approval expired',
} as const;

/** The bot's work still open in its own store: read-only, for knowing when to stop waiting (never for judging). */
export function openWork(dbPath: string): { effects: number; approvals: number } {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 2_000 });
  try {
    const effects = db.prepare("SELECT COUNT(*) AS n FROM effects WHERE state = 'pending'").get() as {
      n: number;
    };
    const approvals = db.prepare("SELECT COUNT(*) AS n FROM approvals WHERE status = 'pending'").get() as {
      n: number;
    };
    return { effects: effects.n, approvals: approvals.n };
  } finally {
    db.close();
  }
}

/** Effects the bot gave up on, for the report. */
export function failedEffects(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 2_000 });
  try {
    const rows = db.prepare("SELECT key, last_error AS error FROM effects WHERE state = 'failed'").all() as {
      key: string;
      error: string | null;
    }[];
    return rows.map((row) => `${row.key}: ${row.error ?? '?'}`);
  } finally {
    db.close();
  }
}

function header(message: FakeMessage): string {
  const first = message.blocks[0] as { type?: string; text?: { text?: string } } | undefined;
  return first?.type === 'header' ? (first.text?.text ?? '') : '';
}

function hasButton(message: FakeMessage): boolean {
  return JSON.stringify(message.blocks).includes('"type":"button"');
}

const keyOf = (message: FakeMessage) => {
  const key = message.metadata?.event_payload.key;
  return typeof key === 'string' ? key : undefined;
};

function terminalStatus(status: string): keyof typeof titles | undefined {
  return status === 'confirmed' || status === 'declined' || status === 'expired' ? status : undefined;
}

const isPointer = (message: FakeMessage) => message.text.includes('posted twice by mistake');

/**
 * Some command for the milestone was answered honestly that its fate is unknown: OpenTrain could not be reached
 * ("try again"), or the request was cut off while asking and retried too late to ask again ("could not confirm").
 */
function honestOutage(world: World, chains: readonly Chain[], milestoneId: string): boolean {
  return chains.some(
    (chain) =>
      chain.milestoneId === milestoneId &&
      chain.attempts.some((attempt) => {
        const kind = finalAnswer(world, attempt.responseUrl)?.kind;
        return kind === 'transient' || kind === 'unconfirmed';
      }),
  );
}

/** Who asked for the milestone, when, and what each command was answered: for reading a failure. */
/**
 * Whether approval `index` of a milestone (oldest first) was asked for again by a person: every earlier one had
 * ended before it was created, and someone typed the command after the last of them ended. Then it is the
 * request working (the milestone was still not funded), not an approval nobody asked for.
 */
function askedAfterEnd(chains: readonly Chain[], list: readonly ApprovalView[], index: number): boolean {
  const approval = list[index];
  if (approval === undefined) return false;
  const created = Date.parse(approval.createdAt);
  const earlier = list.slice(0, index);
  if (earlier.some((previous) => previous.resolvedAt === null || Date.parse(previous.resolvedAt) > created))
    return false;
  const lastEnd = Math.max(...earlier.map((previous) => Date.parse(previous.resolvedAt ?? '')));
  return chains.some(
    (chain) =>
      chain.milestoneId === approval.milestoneId &&
      chain.attempts.some((attempt) => attempt.sentAt >= lastEnd && attempt.sentAt <= created),
  );
}

function timeline(world: World, chains: readonly Chain[], milestoneId: string): string {
  return chains
    .filter((chain) => chain.milestoneId === milestoneId)
    .flatMap((chain) =>
      chain.attempts.map((attempt) => {
        const answer = finalAnswer(world, attempt.responseUrl)?.kind ?? 'no answer';
        const ack = attempt.acked ? classify(attempt.ackText) : 'not delivered';
        return `${chain.kind} ${chain.userId} try ${attempt.number} at ${new Date(attempt.sentAt).toISOString()} ${ack} → ${answer}`;
      }),
    )
    .join(' | ');
}

/** A reply is right when it is true of the approval as OpenTrain has it. */
function replyProblem(
  kind: AnswerKind,
  text: string,
  approvals: readonly ApprovalView[],
  outsider: boolean,
): string | null {
  if (outsider) return kind === 'requester-refused' ? null : `an outsider was answered ${kind}`;
  const ids = approvals.map((approval) => approval.id);
  switch (kind) {
    case 'funded':
    case 'card-delayed':
    case 'transient':
      return null;
    case 'unconfirmed':
      // True unless the feed could have told: an approval of it confirmed or declined is one the bot finds.
      return approvals.every((approval) => approval.status === 'expired')
        ? null
        : `could not confirm, OpenTrain says ${approvals.map((a) => a.status).join(', ')}`;
    case 'already-pending':
      return ids.some((id) => text.includes(`${id}\``))
        ? null
        : `already-pending names another approval than ${ids.join(', ')}`;
    case 'ended-confirmed':
    case 'ended-declined':
    case 'ended-expired': {
      const status = kind.slice('ended-'.length);
      return approvals.some((approval) => approval.status === status)
        ? null
        : `says ${status}, OpenTrain says ${approvals.map((a) => a.status).join(', ') || 'nothing requested'}`;
    }
    default:
      return `answered ${kind}`;
  }
}

function duplicatesByPrefix(world: World, prefixes: readonly string[]): string[] {
  return world.slack
    .metadataDuplicates()
    .filter((entry) => prefixes.some((prefix) => entry.key.startsWith(prefix)))
    .map(
      (entry) =>
        `${entry.key} × ${entry.topLevel + entry.replies} (${entry.messages.map((m) => `${m.channel}/${m.ts}`).join(', ')})`,
    );
}

/**
 * Judges the end state against the truth: OpenTrain's approvals (the simulator) and what Slack shows (the
 * fake). The bot's own store is never asked what happened.
 */
export function judge(world: World, chains: readonly Chain[], exits: number): Verdict {
  const details = Object.fromEntries(countNames.map((name) => [name, [] as string[]])) as Record<
    CountName,
    string[]
  >;
  const truth = world.opentrain.snapshot().approvals;
  const ours = new Set([...world.milestones, ...world.outsiderMilestones]);
  const approvals = truth.filter(
    (approval) => approval.milestoneId !== null && ours.has(approval.milestoneId),
  );
  const byMilestone = new Map<string, ApprovalView[]>();
  for (const approval of approvals) {
    const list = byMilestone.get(approval.milestoneId ?? '') ?? [];
    list.push(approval);
    byMilestone.set(approval.milestoneId ?? '', list);
  }
  const channelMessages = world.slack.messages(world.channel).filter((m) => m.user === world.slack.botUserId);
  const tally = new Map(world.slack.metadataTally().map((entry) => [entry.key, entry]));
  const unseen: string[] = [];

  for (const approval of approvals) {
    const cards = channelMessages.filter(
      (m) => keyOf(m) === `card:${approval.id}` || JSON.stringify(m.blocks).includes(`${approval.id}\``),
    );
    const live = cards.filter((m) => !isPointer(m));
    const status = terminalStatus(approval.status);
    if (status === undefined) {
      details['wrong card states'].push(
        `${approval.id} (${approval.milestoneId}) is still ${approval.status} in OpenTrain`,
      );
      continue;
    }
    const [card] = live;
    if (
      card === undefined &&
      status === 'expired' &&
      honestOutage(world, chains, approval.milestoneId ?? '')
    ) {
      // OpenTrain recorded it while every answer said it could not be reached (a timeout after it committed),
      // and nobody ever saw a link to it: it lapsed unseen. Counted, not a failure.
      unseen.push(approval.id);
      continue;
    }
    if (card === undefined)
      details['wrong card states'].push(`${approval.id} (${approval.milestoneId}, ${status}): no card`);
    else if (header(card) !== titles[status] || hasButton(card)) {
      details['wrong card states'].push(
        `${approval.id} (${approval.milestoneId}, ${status}): card says "${header(card)}"${hasButton(card) ? ' with a live button' : ''}`,
      );
    }
    if (cards.length > 1)
      details['doubled cards'].push(`${approval.id}: ${cards.length} cards (${live.length} live)`);
    const thread = card?.replies ?? [];
    const outcomeReplies = thread.filter((m) => keyOf(m) === `thread:outcome:${approval.id}`);
    const outcomeDm = tally.get(`outcome:${approval.id}`);
    // A card first posted already ended (the approval was found after it ended) says the outcome itself, and
    // the request's answer said it too; one posted while pending must be followed by the outcome messages.
    const firstRevision = card?.history[0] ?? card;
    const postedPending =
      firstRevision !== undefined && header({ ...card, ...firstRevision } as FakeMessage) === pendingTitle;
    if (postedPending && outcomeReplies.length === 0)
      details['missing outcome messages'].push(`${approval.id}: no outcome in the card's thread`);
    if (postedPending && outcomeDm === undefined)
      details['missing outcome messages'].push(`${approval.id}: no outcome DM`);
    for (const reply of outcomeReplies) {
      if (!reply.text.includes(threadWords[status]))
        details['wrong outcome messages'].push(
          `${approval.id} thread: "${reply.text}" (OpenTrain: ${status})`,
        );
    }
    for (const where of outcomeDm?.messages ?? []) {
      const dm = world.slack.message(where.channel, where.ts);
      if (dm !== undefined && !dm.text.startsWith(titles[status])) {
        details['wrong outcome messages'].push(`${approval.id} DM: "${dm.text}" (OpenTrain: ${status})`);
      }
    }
  }
  details['doubled DMs'].push(...duplicatesByPrefix(world, ['outcome:', 'card-arrived:', 'reply:']));
  details['doubled thread replies'].push(...duplicatesByPrefix(world, ['thread:outcome:']));
  details['doubled reminders'].push(...duplicatesByPrefix(world, ['reminder:', 'thread:reminder:']));

  for (const milestoneId of world.milestones) {
    const list = (byMilestone.get(milestoneId) ?? [])
      .filter((approval) => !unseen.includes(approval.id))
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
    if (list.filter((_, index) => index === 0 || !askedAfterEnd(chains, list, index)).length > 1) {
      const which = list
        .map((a) => `${a.id} ${a.status} created ${a.createdAt} resolved ${a.resolvedAt}`)
        .join(', ');
      details['extra approvals'].push(
        `${milestoneId}: ${list.length} approvals (${which}); ${timeline(world, chains, milestoneId)}`,
      );
    }
  }
  for (const milestoneId of world.outsiderMilestones) {
    const count = byMilestone.get(milestoneId)?.length ?? 0;
    if (count > 0)
      details['extra approvals'].push(`${milestoneId} (asked only by outsiders): ${count} approvals`);
  }

  const replyDms = new Map<string, number>();
  for (const [key, entry] of tally) {
    if (!key.startsWith('reply:')) continue;
    for (const where of entry.messages) replyDms.set(where.channel, (replyDms.get(where.channel) ?? 0) + 1);
  }
  for (const chain of chains) {
    const outsider = chain.kind === 'outsider';
    const milestoneApprovals = byMilestone.get(chain.milestoneId) ?? [];
    for (const attempt of chain.attempts) {
      const label = `${chain.kind} ${chain.userId} ${chain.milestoneId} try ${attempt.number}`;
      const answer = finalAnswer(world, attempt.responseUrl);
      const ackKind = classify(attempt.ackText);
      const final =
        answer ??
        (attempt.acked && !interim.has(ackKind) ? { kind: ackKind, text: attempt.ackText } : undefined);
      if (final === undefined) {
        const dm = world.slack.dmChannelOf(chain.userId);
        const byDm = dm !== undefined && (replyDms.get(dm) ?? 0) > 0;
        if (attempt.acked && !byDm)
          details['lost commands'].push(`${label}: acked "${attempt.ackText.slice(0, 60)}", never answered`);
        continue;
      }
      const problem = replyProblem(final.kind, final.text, milestoneApprovals, outsider);
      if (problem !== null) {
        details['wrong replies'].push(`${label}: ${problem}; ${timeline(world, chains, chain.milestoneId)}`);
      }
    }
    if (!outsider && chain.attempts.every((attempt) => !attempt.acked) && milestoneApprovals.length === 0) {
      details['lost commands'].push(
        `${chain.kind} ${chain.userId} ${chain.milestoneId}: ${chain.attempts.length} tries, none got through`,
      );
    }
  }
  if (exits > 0) details['bot crashes'].push(`${exits} generation(s) exited by themselves with an error`);

  const counts = Object.fromEntries(countNames.map((name) => [name, details[name].length])) as Record<
    CountName,
    number
  >;
  const byStatus = (status: string) => approvals.filter((approval) => approval.status === status).length;
  const reminderDms = [...tally.keys()].filter((key) => key.startsWith('reminder:')).length;
  const threadReminders = [...tally.keys()].filter((key) => key.startsWith('thread:reminder:')).length;
  const attempts = chains.flatMap((chain) => chain.attempts);
  const limits = world.slack.rateLimitCounters();
  return {
    counts,
    details,
    figures: {
      approvals: approvals.length,
      confirmed: byStatus('confirmed'),
      declined: byStatus('declined'),
      expired: byStatus('expired'),
      'commands typed': attempts.length,
      'commands acked': attempts.filter((attempt) => attempt.acked).length,
      'commands Slack could not deliver': attempts.filter((attempt) => !attempt.acked).length,
      'duplicate requests (colleague / double submit)': `${chains.filter((c) => c.kind === 'colleague').length} / ${chains.filter((c) => c.kind === 'double').length}`,
      'outsider requests': chains.filter((chain) => chain.kind === 'outsider').length,
      'reminder DMs': reminderDms,
      'thread reminders': threadReminders,
      'Slack 429s (limits and faults)': Object.values(limits).reduce((sum, c) => sum + c.rateLimited, 0),
      'Slack calls inside a Retry-After': Object.values(limits).reduce(
        (sum, c) => sum + c.sentInsideRetryAfter,
        0,
      ),
      'OpenTrain requests': world.opentrain.requests.length,
      'approvals recorded while the answer said OpenTrain was down or unconfirmed, lapsed unseen':
        unseen.length,
      'answers "could not confirm" (retried too late to ask again)': attempts.filter(
        (attempt) => finalAnswer(world, attempt.responseUrl)?.kind === 'unconfirmed',
      ).length,
    },
  };
}
