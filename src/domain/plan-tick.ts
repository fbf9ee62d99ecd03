import type { ApprovalContext } from './approval.js';
import {
  type Approval,
  actorOf,
  type Requester,
  type TrackedApproval,
  type Transition,
  transitionFromApproval,
  type WorkspaceId,
} from './approval.js';
import type { ContextLookup } from './context.js';
import { contextRetryAt } from './context.js';
import {
  cardEffect,
  dmEffect,
  effectKeys,
  fundEffect,
  homeEffect,
  homesEffect,
  priorities,
  type QueuedEffect,
  threadEffect,
} from './effects.js';
import { type FeedEvent, unfundedMilestones } from './feed.js';
import { dueReminder } from './plan-reminder.js';
import { type Route, routeFor } from './routing.js';

/** An approval read from OpenTrain while gathering a tick. */
export type ApprovalRead =
  | { readonly kind: 'read'; readonly approval: Approval }
  /** 404: the approval is gone, or our token no longer sees it. */
  | { readonly kind: 'gone' }
  /** Refused for good in some other way (a transient failure stops the gathering instead). */
  | { readonly kind: 'unreadable' };

/** One page of the `/updates` feed, with everything the plan needs to know about the approvals it names. */
export interface FeedPageFacts {
  /** The cursor the page was read from, and the one after it. */
  readonly cursor: string | null;
  readonly nextCursor: string | null;
  readonly events: readonly FeedEvent[];
  /** The tracked approvals the page's events name. */
  readonly tracked: readonly TrackedApproval[];
  /** Fresh reads of the approvals whose events need one (confirmed, or a status the event cannot vouch for). */
  readonly reads: Readonly<Record<string, ApprovalRead>>;
  /** The routes of the contracts and jobs of the milestones the page reports unfunded. */
  readonly routes: readonly Route[];
  /**
   * False when a read failed (OpenTrain down) partway: only the events before the failure are here, and the
   * page is neither finished (no autofund) nor passed (the cursor stays; the next tick reads it again).
   */
  readonly complete: boolean;
}

/** Everything one tick gathered: the derive step's output and the plan's only input, besides `now`. */
export interface TickSnapshot {
  readonly workspaceId: WorkspaceId;
  readonly reminderOffsetsMs: readonly number[];
  readonly pages: readonly FeedPageFacts[];
  /** Pending approvals past their expiry, each with a fresh read (OpenTrain flips them to expired on read). */
  readonly lapsed: readonly { readonly approval: TrackedApproval; readonly read: ApprovalRead }[];
  /** Pending approvals within the reminder horizon whose next reminder may be due. */
  readonly reminderCandidates: readonly TrackedApproval[];
  /** Contract lookups retried for cards that still miss their amount and names. */
  readonly contextLookups: readonly { readonly approval: TrackedApproval; readonly lookup: ContextLookup }[];
  /** Cards whose "(in N hours)" went stale. */
  readonly staleCards: readonly Pick<TrackedApproval, 'id' | 'workspaceId'>[];
  /** App Home tabs whose countdowns went stale, of people who opened the tab lately. */
  readonly staleHomes: readonly { readonly workspaceId: WorkspaceId; readonly userId: string }[];
}

/** What a tick does, in the order it does it. Each action is applied in one transaction. */
export type TickAction =
  | {
      readonly kind: 'end';
      readonly approvalId: string;
      readonly transition: Transition;
      readonly effects: readonly QueuedEffect[];
    }
  /** Saved once every action before it (the page's) is applied; a failure replays the page. */
  | { readonly kind: 'advance-cursor'; readonly from: string | null; readonly to: string }
  | {
      readonly kind: 'autofund';
      readonly milestoneId: string;
      readonly route: Pick<Route, 'scope' | 'targetId'>;
      readonly effects: readonly QueuedEffect[];
    }
  | {
      readonly kind: 'remind';
      readonly approvalId: string;
      readonly offsetMs: number;
      readonly effects: readonly QueuedEffect[];
    }
  | {
      readonly kind: 'context-found';
      readonly approvalId: string;
      readonly context: ApprovalContext;
      readonly effects: readonly QueuedEffect[];
    }
  | { readonly kind: 'context-retry'; readonly approvalId: string; readonly retryAt: Date | null }
  /**
   * OpenTrain reports a status outside the four Countersign knows for a pending approval (or stopped doing
   * so: null): shown on its card and Home tabs, and the approval is still followed as pending.
   */
  | {
      readonly kind: 'report-status';
      readonly approvalId: string;
      readonly reportedStatus: string | null;
      readonly source: string;
      readonly effects: readonly QueuedEffect[];
    }
  | { readonly kind: 'refresh-card'; readonly approvalId: string; readonly effects: readonly QueuedEffect[] }
  | { readonly kind: 'refresh-home'; readonly userId: string; readonly effects: readonly QueuedEffect[] };

/**
 * The whole of a tick's policy, with no I/O: which approvals ended (and how we know), which autofund rules
 * fire, which reminders are due, which contexts were found, which countdowns to refresh. An approval ended by
 * one rule is left alone by the later ones.
 */
export function planTick(snapshot: TickSnapshot, now: Date): TickAction[] {
  const actions: TickAction[] = [];
  const ended = new Set<string>();
  const reported = new Map<string, string | null>();
  for (const page of snapshot.pages) actions.push(...planPage(page, ended, reported));
  for (const { approval, read } of snapshot.lapsed) {
    if (ended.has(approval.id) || approval.status !== 'pending') continue;
    const transition = lapsedTransition(approval, read);
    if (transition === undefined) {
      // Still pending past its expiry, under a word Countersign does not know: shown, and read again later.
      const word = read.kind === 'read' ? read.approval.reportedStatus : undefined;
      const report = reportAction(approval, word, 'opentrain:read', reported);
      if (report !== undefined) actions.push(report);
      continue;
    }
    ended.add(approval.id);
    actions.push(endAction(approval, transition));
  }
  for (const approval of snapshot.reminderCandidates) {
    if (ended.has(approval.id)) continue;
    const action = remindAction(approval, snapshot.reminderOffsetsMs, now);
    if (action !== undefined) actions.push(action);
  }
  for (const { approval, lookup } of snapshot.contextLookups) {
    if (ended.has(approval.id)) continue;
    actions.push(contextAction(approval, lookup, now));
  }
  for (const card of snapshot.staleCards) {
    if (ended.has(card.id)) continue;
    const effects = [cardEffect(card.workspaceId, card.id, priorities.countdown)];
    actions.push({ kind: 'refresh-card', approvalId: card.id, effects });
  }
  for (const home of snapshot.staleHomes) {
    const effects = [homeEffect(home.workspaceId, home.userId, priorities.countdown)];
    actions.push({ kind: 'refresh-home', userId: home.userId, effects });
  }
  return actions;
}

function planPage(
  page: FeedPageFacts,
  ended: Set<string>,
  reported: Map<string, string | null>,
): TickAction[] {
  const actions: TickAction[] = [];
  const tracked = new Map(page.tracked.map((approval) => [approval.id, approval]));
  const words = new Map<string, { approval: TrackedApproval; word: string | null; source: string }>();
  for (const event of page.events) {
    if (event.kind !== 'approval-ended') continue;
    const approval = tracked.get(event.approvalId);
    if (approval === undefined || approval.status !== 'pending' || ended.has(approval.id)) continue;
    const read = page.reads[event.approvalId];
    const transition = eventTransition(event, read);
    if (transition === undefined) {
      const word = reportedWord(event, read);
      if (word !== undefined)
        words.set(approval.id, { approval, word, source: `opentrain:event:${event.id}` });
      continue;
    }
    ended.add(approval.id);
    actions.push(endAction(approval, transition));
  }
  // A word is shown only when nothing on the page ended the approval after it, and before the cursor moves.
  for (const { approval, word, source } of words.values()) {
    if (ended.has(approval.id)) continue;
    const report = reportAction(approval, word, source, reported);
    if (report !== undefined) actions.push(report);
  }
  if (!page.complete) return actions;
  actions.push(...autofundActions(page));
  const to = page.nextCursor ?? page.cursor;
  if (to !== null && to !== page.cursor) actions.push({ kind: 'advance-cursor', from: page.cursor, to });
  return actions;
}

/**
 * Declined or expired: the event says all there is to know. Confirmed needs the result (the invoice), so the
 * fresh read decides; when the read is refused for good, what the event says stands.
 */
function eventTransition(
  event: Extract<FeedEvent, { kind: 'approval-ended' }>,
  read: ApprovalRead | undefined,
): Transition | undefined {
  const source = `opentrain:event:${event.id}`;
  const fromEvent: Transition | undefined =
    event.status === undefined
      ? undefined
      : { approvalId: event.approvalId, status: event.status, resolvedAt: event.at, result: null, source };
  if (fromEvent !== undefined && fromEvent.status !== 'confirmed') return fromEvent;
  if (read?.kind === 'read') return transitionFromApproval(read.approval, source);
  return fromEvent;
}

/**
 * What an event that ended nothing says of the approval's status: the fresh read's word (null when it reads
 * plain pending), else the event's own word when OpenTrain refused the read; undefined when nothing is known.
 */
function reportedWord(
  event: Extract<FeedEvent, { kind: 'approval-ended' }>,
  read: ApprovalRead | undefined,
): string | null | undefined {
  if (read === undefined) return undefined;
  if (read.kind === 'read')
    return read.approval.status === 'pending' ? read.approval.reportedStatus : undefined;
  return event.reportedStatus ?? undefined;
}

/** Records the word a pending approval is reported under, when it differs from what its card shows. */
function reportAction(
  approval: TrackedApproval,
  word: string | null | undefined,
  source: string,
  reported: Map<string, string | null>,
): TickAction | undefined {
  if (word === undefined) return undefined;
  const shown = reported.has(approval.id) ? reported.get(approval.id) : approval.reportedStatus;
  if (word === shown) return undefined;
  reported.set(approval.id, word);
  const effects: QueuedEffect[] = [
    cardEffect(approval.workspaceId, approval.id, priorities.change),
    homesEffect(approval.workspaceId, approval.id),
  ];
  return { kind: 'report-status', approvalId: approval.id, reportedStatus: word, source, effects };
}

/** Past expiresAt nothing can be confirmed any more, so an approval we may no longer read has expired. */
function lapsedTransition(approval: TrackedApproval, read: ApprovalRead): Transition | undefined {
  if (read.kind === 'read') return transitionFromApproval(read.approval, 'opentrain:read');
  if (read.kind === 'unreadable') return undefined;
  return {
    approvalId: approval.id,
    status: 'expired',
    resolvedAt: approval.expiresAt,
    result: null,
    source: 'countersign:lapsed-unreadable',
  };
}

/**
 * An approval ended: its card is edited, its thread and its requester are told, Home tabs follow. A decision
 * a person made (confirmed, declined) goes before a lapse nobody acted on: under Slack's limits (chat.update
 * is about 50 a minute) a backlog of expiries, after downtime or at 100,000 pending, never holds up the card
 * a person just confirmed.
 */
function endAction(approval: TrackedApproval, transition: Transition): TickAction {
  const workspace = approval.workspaceId;
  const priority = transition.status === 'expired' ? priorities.routine : priorities.change;
  const effects: QueuedEffect[] = [
    cardEffect(workspace, approval.id, priority),
    threadEffect(workspace, approval.id, 'outcome', priority),
    homesEffect(workspace, approval.id),
  ];
  if (approval.requester.kind === 'slack') {
    const message = { about: 'outcome', status: transition.status } as const;
    effects.push({ ...dmEffect(workspace, approval.id, approval.requester.userId, message), priority });
  }
  return { kind: 'end', approvalId: approval.id, transition, effects };
}

/**
 * Autofund rules: a new unfunded milestone on a routed job or contract gets a funding request of its own,
 * once per milestone. Only milestones reported after the rule was set count, so turning a rule on never
 * replays the account's history.
 */
function autofundActions(page: FeedPageFacts): TickAction[] {
  const actions: TickAction[] = [];
  for (const milestone of unfundedMilestones(page.events)) {
    const route = routeFor(page.routes, milestone);
    if (route === undefined || !route.autoFund || milestone.at < route.updatedAt) continue;
    const requester: Requester = {
      kind: 'system',
      name: `autofund rule for ${route.scope} ${route.targetId}`,
    };
    const effect = fundEffect(effectKeys.autofund(milestone.milestoneId), {
      workspaceId: route.workspaceId,
      via: 'autofund',
      milestoneId: milestone.milestoneId,
      note: null,
      requester,
      actor: actorOf(requester),
      fallbackChannel: null,
      replyTo: null,
      noticeChannelId: route.channelId,
    });
    actions.push({
      kind: 'autofund',
      milestoneId: milestone.milestoneId,
      route: { scope: route.scope, targetId: route.targetId },
      effects: [effect],
    });
  }
  return actions;
}

/** The due reminder DMs the requester; the last one also goes to the card's thread, for the approvers. */
function remindAction(
  approval: TrackedApproval,
  offsetsMs: readonly number[],
  now: Date,
): TickAction | undefined {
  const offsetMs = dueReminder(approval, offsetsMs, now);
  if (offsetMs === undefined) return undefined;
  const effects: QueuedEffect[] = [];
  if (approval.requester.kind === 'slack') {
    const message = { about: 'reminder', offsetMs } as const;
    effects.push(dmEffect(approval.workspaceId, approval.id, approval.requester.userId, message));
  }
  if (offsetMs === offsetsMs.at(-1))
    effects.push(threadEffect(approval.workspaceId, approval.id, 'reminder'));
  return { kind: 'remind', approvalId: approval.id, offsetMs, effects };
}

/** A found context is shown on the card and on Home tabs; a failed lookup is tried again later, or never. */
function contextAction(approval: TrackedApproval, lookup: ContextLookup, now: Date): TickAction {
  if (lookup.kind === 'found' && lookup.context !== null) {
    const effects = [
      cardEffect(approval.workspaceId, approval.id, priorities.routine),
      homesEffect(approval.workspaceId, approval.id),
    ];
    return { kind: 'context-found', approvalId: approval.id, context: lookup.context, effects };
  }
  const retry = lookup.kind === 'failed' && lookup.retry;
  return {
    kind: 'context-retry',
    approvalId: approval.id,
    retryAt: retry ? contextRetryAt(approval.trackedAt, now) : null,
  };
}
