import { readFileSync } from 'node:fs';
import type { Approval, Requester, TerminalStatus, TrackedApproval } from '../../../src/domain/approval.js';
import { effectKeys, priorities, type QueuedEffect } from '../../../src/domain/effects.js';
import type { FeedEvent } from '../../../src/domain/feed.js';
import type { ApprovalRead, FeedPageFacts, TickAction, TickSnapshot } from '../../../src/domain/plan-tick.js';
import type { Route } from '../../../src/domain/routing.js';
import { toFeedEvent } from '../../../src/opentrain/port.js';
import { ApprovalEnvelope, UpdatesPage } from '../../../src/opentrain/schema.js';
import { aTrackedApproval, hours, t0 } from '../../helpers/builders.js';

// Builders for planTick's tests, around the recorded OpenTrain answers in test/fixtures/opentrain (its
// README tells what happened before each one).

const fixtures = new URL('../../fixtures/opentrain/', import.meta.url);

/** The recorded JSON body, as OpenTrain sent it. */
export function recordedJson(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`${name}.json`, fixtures), 'utf8'));
}

/** A recorded `/updates` page, read through the adapter's schema and `toFeedEvent`, as the tick gets it. */
export function recordedPage(name: string): {
  events: FeedEvent[];
  nextCursor: string | null;
  hasMore: boolean;
} {
  const page = UpdatesPage.parse(recordedJson(name));
  return { events: page.events.map(toFeedEvent), nextCursor: page.nextCursor, hasMore: page.hasMore };
}

/** A recorded `GET /approvals/{id}` that Countersign's schema accepts. */
export function recordedApproval(name: string): Approval {
  return ApprovalEnvelope.parse(recordedJson(name));
}

export function aRead(name: string): ApprovalRead {
  return { kind: 'read', approval: recordedApproval(name) };
}

/** Which milestone each of Countersign's requests at t0 was for (the recording's cast). */
const requests: Record<string, { milestoneId: string; contractId: string; jobId: string }> = {
  'A-2001': { milestoneId: 'M-1001', contractId: 'C-501', jobId: 'J-100' },
  'A-2002': { milestoneId: 'M-1002', contractId: 'C-502', jobId: 'J-200' },
  ...Object.fromEntries(
    Array.from({ length: 8 }, (_, n) => [
      `A-${2003 + n}`,
      { milestoneId: `M-900${n + 1}`, contractId: 'C-900', jobId: 'J-100' },
    ]),
  ),
};

/** One of the approvals Countersign requested at t0 in the recording, as its store holds it (pending). */
export function requested(approvalId: string, overrides: Partial<TrackedApproval> = {}): TrackedApproval {
  const request = requests[approvalId];
  if (request === undefined) throw new Error(`${approvalId} is not one of Countersign's requests`);
  return aTrackedApproval({
    id: approvalId,
    ...request,
    approvalUrl: `https://app.opentrain.ai/approvals/${approvalId}`,
    expiresAt: new Date(t0.getTime() + hours(72)),
    ...overrides,
  });
}

/**
 * A complete page, as the derive step gathers it: from `cursor`, with the tracked approvals its events name and
 * the reads of those that needed one.
 */
export function aPage(
  name: string,
  cursor: string | null,
  overrides: Partial<FeedPageFacts> = {},
): FeedPageFacts {
  const page = recordedPage(name);
  return {
    cursor,
    nextCursor: page.nextCursor,
    events: page.events,
    tracked: [],
    reads: {},
    routes: [],
    complete: true,
    ...overrides,
  };
}

/**
 * The page as the derive step leaves it when the read of `approvalId` failed (OpenTrain down): the events before
 * the first one that needed that read, and `complete: false`.
 */
export function cutAtFailedRead(page: FeedPageFacts, approvalId: string): FeedPageFacts {
  const failedAt = page.events.findIndex(
    (event) => event.kind === 'approval-ended' && event.approvalId === approvalId,
  );
  if (failedAt < 0) throw new Error(`no event names ${approvalId}`);
  const { [approvalId]: _failed, ...reads } = page.reads;
  return { ...page, events: page.events.slice(0, failedAt), reads, complete: false };
}

export function aSnapshot(overrides: Partial<TickSnapshot> = {}): TickSnapshot {
  return {
    workspaceId: 'T1',
    reminderOffsetsMs: [hours(24), hours(1)],
    pages: [],
    lapsed: [],
    reminderCandidates: [],
    contextLookups: [],
    staleCards: [],
    staleHomes: [],
    ...overrides,
  };
}

export function aRoute(overrides: Partial<Route> & Pick<Route, 'scope' | 'targetId'>): Route {
  return {
    workspaceId: 'T1',
    label: null,
    channelId: 'C0ROUTE',
    approvers: [],
    autoFund: true,
    createdBy: 'slack:U0ADMIN',
    updatedAt: t0,
    ...overrides,
  };
}

// What the actions should be, spelled out effect by effect (not through the planner's own constructors).

const alice: Requester = { kind: 'slack', userId: 'U0ALICE', teamId: 'T1' };

/** An end: the card edited at once, the outcome in its thread, Home tabs, and a DM when a person asked. */
export function anEnd(
  approvalId: string,
  transition: {
    readonly status: TerminalStatus;
    readonly resolvedAt: Date | null;
    readonly result?: Readonly<Record<string, unknown>> | null;
    readonly source: string;
  },
  requester: Requester = alice,
): TickAction {
  // A lapse nobody acted on waits behind the decisions people made.
  const outcomePriority = transition.status === 'expired' ? priorities.routine : priorities.change;
  const effects: QueuedEffect[] = [
    {
      key: effectKeys.card(approvalId),
      workspaceId: 'T1',
      mode: 'rearm',
      priority: outcomePriority,
      effect: { kind: 'card', approvalId },
    },
    {
      key: effectKeys.thread(approvalId, 'outcome'),
      workspaceId: 'T1',
      mode: 'once',
      priority: outcomePriority,
      effect: { kind: 'thread', approvalId, purpose: 'outcome' },
    },
    {
      key: effectKeys.homes(approvalId),
      workspaceId: 'T1',
      mode: 'rearm',
      priority: priorities.routine,
      effect: { kind: 'homes', approvalId },
    },
  ];
  if (requester.kind === 'slack') {
    effects.push({
      key: effectKeys.outcome(approvalId),
      workspaceId: 'T1',
      mode: 'once',
      priority: outcomePriority,
      effect: {
        kind: 'dm',
        approvalId,
        userId: requester.userId,
        message: { about: 'outcome', status: transition.status },
      },
    });
  }
  return {
    kind: 'end',
    approvalId,
    transition: { approvalId, result: null, ...transition },
    effects,
  };
}

/** A status word shown on the card and Home tabs of an approval still followed as pending. */
export function aReport(approvalId: string, reportedStatus: string | null, source: string): TickAction {
  return {
    kind: 'report-status',
    approvalId,
    reportedStatus,
    source,
    effects: [
      {
        key: effectKeys.card(approvalId),
        workspaceId: 'T1',
        mode: 'rearm',
        priority: priorities.change,
        effect: { kind: 'card', approvalId },
      },
      {
        key: effectKeys.homes(approvalId),
        workspaceId: 'T1',
        mode: 'rearm',
        priority: priorities.routine,
        effect: { kind: 'homes', approvalId },
      },
    ],
  };
}

export function anAdvance(from: string | null, to: string): TickAction {
  return { kind: 'advance-cursor', from, to };
}

/** An autofund rule's request: one fund effect, keyed by the milestone, told to the route's channel. */
export function anAutofund(
  milestoneId: string,
  route: Pick<Route, 'scope' | 'targetId' | 'channelId'>,
): TickAction {
  const requester: Requester = { kind: 'system', name: `autofund rule for ${route.scope} ${route.targetId}` };
  return {
    kind: 'autofund',
    milestoneId,
    route: { scope: route.scope, targetId: route.targetId },
    effects: [
      {
        key: effectKeys.autofund(milestoneId),
        workspaceId: 'T1',
        mode: 'once',
        priority: priorities.waiting,
        effect: {
          kind: 'fund',
          request: {
            workspaceId: 'T1',
            via: 'autofund',
            milestoneId,
            note: null,
            requester,
            actor: `system:autofund rule for ${route.scope} ${route.targetId}`,
            fallbackChannel: null,
            replyTo: null,
            noticeChannelId: route.channelId,
          },
        },
      },
    ],
  };
}

/** Table rows as `[label, row]`, so `it.each(named(rows))('%s', …)` names each test by its whole label. */
export function named<T extends { readonly label: string }>(rows: readonly T[]): (readonly [string, T])[] {
  return rows.map((row) => [row.label, row] as const);
}
