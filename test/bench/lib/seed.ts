import { Pool } from 'undici';
import type { Approval, Requester, TrackedApproval } from '../../../src/domain/approval.js';
import { countdownRefreshAt } from '../../../src/domain/countdown.js';
import { sandboxIds } from '../../../src/sandbox/slack/default-workspace.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Fakes } from './fakes.js';
import type { StoreTarget } from './store-target.js';

const hourMs = 3_600_000;
/** The bot's default REMINDER_OFFSETS (24h,1h), longest first. */
export const reminderOffsetsMs = [24 * hourMs, hourMs] as const;

export interface SeededCard {
  readonly approvalId: string;
  readonly milestoneId: string;
  readonly channelId: string;
  readonly ts: string;
  readonly requesterId: string;
  readonly expiresAt: number;
}

export interface SeedOptions {
  readonly count: number;
  /** Expiries are spread evenly over (now + from, now + to]; 0 to 72 h by default. */
  readonly expiresFromMs?: number;
  readonly expiresToMs?: number;
  /** Progress lines on stderr for long seeds. */
  readonly say?: (line: string) => void;
}

const requesters = [sandboxIds.alice, sandboxIds.bob, sandboxIds.carol];

/**
 * Where seeded approval i lives: nine in ten in #finance-approvals (Alice, Bob and Carol are in it), one in ten
 * in #project-x (Bob and Dan), requested in turn by Alice, Bob and Carol. Alice sees the first kind, and those
 * of the second she asked for herself.
 */
function placement(i: number): { channelId: string; requesterId: string } {
  return {
    channelId: i % 10 === 9 ? sandboxIds.projectX : sandboxIds.financeApprovals,
    requesterId: requesters[i % requesters.length] ?? sandboxIds.alice,
  };
}

export function visibleTo(userId: string, card: SeededCard): boolean {
  if (card.requesterId === userId) return true;
  if (card.channelId === sandboxIds.financeApprovals)
    return [sandboxIds.alice, sandboxIds.bob, sandboxIds.carol].includes(userId as never);
  return [sandboxIds.bob, sandboxIds.dan].includes(userId as never);
}

/**
 * N pending approvals as a bot that has run for days would have them, written before the bot starts:
 * - in the OpenTrain simulator (`seedApprovals`, expiries spread over the window),
 * - in Slack: each one's card, posted as the bot (chat.postMessage with the bot token, its effect key as
 *   metadata, like the bot's own posts),
 * - in the bot's store, through its own ports, as the bot writes them: `track` (the row, its "requested" audit
 *   entry), `recordCard` (where the card is, the version it shows and when its countdown goes stale),
 *   `recordPermalink`, and `remind` for every reminder offset already passed (so reminders come due as time
 *   goes on, not all at once at start-up).
 * Nothing is enqueued: the cards are up to date. The store is opened (and migrated) here and closed again.
 */
export async function seedPending(
  fakes: Fakes,
  target: StoreTarget,
  options: SeedOptions,
): Promise<SeededCard[]> {
  const say = options.say ?? (() => {});
  const { slack, opentrain } = fakes;
  const started = performance.now();
  const approvals = opentrain.seedApprovals({
    count: options.count,
    expiresFromMs: options.expiresFromMs ?? 0,
    expiresToMs: options.expiresToMs ?? 72 * hourMs,
  });

  // Cards, through the fake's Web API, a few at a time on kept-alive connections.
  const pool = new Pool(slack.origin, { connections: 16, pipelining: 1 });
  const cards: SeededCard[] = new Array(approvals.length);
  let next = 0;
  const postOne = async (): Promise<void> => {
    while (next < approvals.length) {
      const i = next++;
      const approval = approvals[i];
      if (approval === undefined) continue;
      const { channelId, requesterId } = placement(i);
      const response = await pool.request({
        path: '/api/chat.postMessage',
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          authorization: `Bearer ${slack.botToken}`,
        },
        body: JSON.stringify({
          channel: channelId,
          text: `Funding approval ${approval.id} for ${approval.milestoneName} (seeded)`,
          metadata: { event_type: 'countersign_effect', event_payload: { key: `card:${approval.id}` } },
        }),
      });
      const body = (await response.body.json()) as { ok?: boolean; ts?: string; error?: string };
      if (body.ok !== true || body.ts === undefined) throw new Error(`seeding a card failed: ${body.error}`);
      cards[i] = {
        approvalId: approval.id,
        milestoneId: approval.milestoneId,
        channelId,
        ts: body.ts,
        requesterId,
        expiresAt: Date.parse(approval.expiresAt),
      };
    }
  };
  await Promise.all(Array.from({ length: 16 }, postOne));
  await pool.close();
  say(
    `  ${approvals.length} approvals and cards in the fakes (${Math.round(performance.now() - started)} ms)`,
  );

  // The bot's store, through its ports.
  const storeStarted = performance.now();
  const store = await openStore(target.database);
  const writeOne = async (i: number): Promise<void> => {
    const seeded = approvals[i];
    const card = cards[i];
    if (seeded === undefined || card === undefined) return;
    const now = new Date();
    const approval: Approval = {
      id: seeded.id,
      type: 'milestone_fund',
      status: 'pending',
      reportedStatus: null,
      contractId: seeded.contractId,
      milestoneId: seeded.milestoneId,
      jobId: seeded.jobId,
      proposalId: null,
      approvalUrl: seeded.approvalUrl,
      expiresAt: new Date(seeded.expiresAt),
      resolvedAt: null,
      result: null,
      createdAt: new Date(seeded.createdAt),
    };
    const requester: Requester = { kind: 'slack', userId: card.requesterId, teamId: slack.teamId };
    const { approval: tracked } = await store.approvals.track(
      {
        workspaceId: slack.teamId,
        approval,
        requester,
        note: null,
        channelId: card.channelId,
        approvers: [],
        context: {
          milestoneName: seeded.milestoneName,
          milestoneNumber: seeded.milestoneNumber,
          amountUsd: seeded.amountUsd,
          contractTitle: seeded.contractTitle,
          freelancerName: seeded.freelancerName,
        },
        contextRetryAt: null,
      },
      now,
      () => ({
        approvalId: seeded.id,
        milestoneId: seeded.milestoneId,
        actor: `slack:${card.requesterId}`,
        action: 'requested',
        detail: { note: null, channel: card.channelId, via: 'invoking-channel', type: 'milestone_fund' },
      }),
      () => [],
    );
    await store.approvals.recordCard(
      seeded.id,
      {
        channelId: card.channelId,
        ts: card.ts,
        version: (tracked as TrackedApproval).version,
        refreshAt: countdownRefreshAt(approval, now),
      },
      now,
    );
    await store.approvals.recordPermalink(
      seeded.id,
      card.ts,
      `${slack.origin}/archives/${card.channelId}/p${card.ts.replace('.', '')}`,
    );
    const left = approval.expiresAt.getTime() - now.getTime();
    const passed = reminderOffsetsMs.filter((offset) => left <= offset);
    const floor = passed.at(-1);
    if (floor !== undefined) await store.approvals.remind(seeded.id, floor, [], now);
  };
  // SQLite is synchronous underneath: one at a time. PostgreSQL: a few transactions in flight.
  const inFlight = target.kind === 'postgres' ? 8 : 1;
  let cursor = 0;
  let written = 0;
  let lastSaid = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (cursor < approvals.length) {
        await writeOne(cursor++);
        written++;
        if (performance.now() - lastSaid > 10_000) {
          lastSaid = performance.now();
          say(`  ${written} of ${approvals.length} written to the store`);
        }
      }
    }),
  );
  await store.close();
  say(`  ${approvals.length} approvals in the store (${Math.round(performance.now() - storeStarted)} ms)`);
  return cards;
}
