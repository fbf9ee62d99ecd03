import {
  approvalIdOf,
  planEvents,
  transitionFromApproval,
  unfundedMilestones,
} from '../approvals/plan-events.js';
import { dueReminder } from '../approvals/plan-reminder.js';
import type { TrackedApproval, Transition } from '../approvals/types.js';
import { OpenTrainError } from '../opentrain/errors.js';
import type { NewEffect } from '../store/store.js';
import type { JobDeps } from './deps.js';
import type { FundPayload } from './effects/fund.js';
import { homeAudience } from './home.js';
import { contextRetryAt, lookupContext } from './track.js';

export const updatesCursorName = 'opentrain-updates';
const pageSize = 100;
/** A feed that keeps saying hasMore without moving its cursor must not pin a tick forever. */
const maxPagesPerTick = 200;
const maxLapsedReadsPerTick = 100;
/** Contract lookups that failed when their approval was tracked, tried again per tick at most. */
const maxContextRetriesPerTick = 10;

export interface PollReport {
  events: number;
  pages: number;
  applied: number;
  approvalReads: number;
  remindersScheduled: number;
  /** Cards and App Home views marked for a new render because their "(in N hours)" went stale. */
  countdownsRefreshed: number;
  autoFundRequests: number;
  /** Phases that failed this tick (the others still ran). */
  failures: string[];
}

/**
 * One poller tick: follow the /updates ledger from the saved cursor, read approvals that lapsed (OpenTrain
 * flips them to expired on read), then schedule due reminders and mark cards whose countdown went stale.
 * OpenTrain calls grow with the number of events and lapsed approvals, never with the number of pending
 * ones. Returns what it did.
 */
export async function pollOnce(deps: JobDeps, onChange: () => void): Promise<PollReport> {
  const report: PollReport = {
    events: 0,
    pages: 0,
    applied: 0,
    approvalReads: 0,
    remindersScheduled: 0,
    countdownsRefreshed: 0,
    autoFundRequests: 0,
    failures: [],
  };
  const log = deps.log.child({ component: 'poller' });

  async function apply(transition: Transition, approval: TrackedApproval): Promise<void> {
    const effects: NewEffect[] = [
      {
        key: `thread:outcome:${approval.id}`,
        kind: 'thread',
        approvalId: approval.id,
        payload: { purpose: 'outcome' },
      },
    ];
    if (approval.requester.kind === 'slack') {
      effects.push({
        key: `outcome:${approval.id}`,
        kind: 'outcome',
        approvalId: approval.id,
        payload: { status: transition.status },
      });
    }
    const updated = await deps.store.recordTransition(transition, deps.clock.now(), effects);
    if (updated === undefined) return;
    report.applied++;
    log.info(
      { approvalId: approval.id, status: transition.status, source: transition.source },
      'approval ended',
    );
    onChange();
  }

  /**
   * Reads the approval for its final state. Only a transient failure stops the phase (the next tick replays
   * it); a read that fails for good must not hold every later event hostage, so it falls back to `ifGone`
   * (a 404: our token no longer sees it) or `ifUnreadable` (anything else), or skips the approval.
   */
  async function readTransition(
    approvalId: string,
    source: string,
    fallbacks: { ifGone: Transition | undefined; ifUnreadable: Transition | undefined },
  ): Promise<Transition | undefined> {
    report.approvalReads++;
    try {
      return transitionFromApproval(await deps.opentrain.getApproval(approvalId), source);
    } catch (error) {
      if (!(error instanceof OpenTrainError) || error.transient) throw error;
      if (error.failure === 'not-found') {
        log.warn({ approvalId }, 'OpenTrain no longer shows this approval to our token');
        return fallbacks.ifGone;
      }
      log.error({ approvalId, failure: error.failure, status: error.status }, 'could not read an approval');
      return fallbacks.ifUnreadable;
    }
  }

  async function followFeed(): Promise<void> {
    let cursor = await deps.store.getCursor(updatesCursorName);
    for (let page = 0; page < maxPagesPerTick; page++) {
      const { events, nextCursor, hasMore } = await deps.opentrain.listUpdates(cursor, pageSize);
      report.pages++;
      report.events += events.length;
      const ids = [...new Set(events.map(approvalIdOf).filter((id): id is string => id !== undefined))];
      const tracked = new Map(
        (await deps.store.getApprovals(ids)).map((approval) => [approval.id, approval]),
      );
      for (const action of planEvents(events, tracked)) {
        const approval = tracked.get(
          action.kind === 'apply' ? action.transition.approvalId : action.approvalId,
        );
        if (approval === undefined) continue;
        if (action.kind === 'apply') {
          await apply(action.transition, approval);
          continue;
        }
        const transition = await readTransition(action.approvalId, `opentrain:event:${action.eventId}`, {
          ifGone: action.fallback,
          ifUnreadable: action.fallback,
        });
        if (transition !== undefined) await apply(transition, approval);
      }
      await autoFund(events);
      // Saved only once every event on the page is applied; a failure above replays the page next tick.
      const advanced = nextCursor ?? cursor;
      if (advanced !== cursor) await deps.store.setCursor(updatesCursorName, advanced, deps.clock.now());
      if (!hasMore || advanced === cursor || events.length === 0) return;
      cursor = advanced;
    }
    log.warn(
      { pages: maxPagesPerTick },
      'stopped following the feed for this tick; it will continue next tick',
    );
  }

  /**
   * autoFund rules: a new unfunded milestone on a routed job or contract gets a funding request of its own,
   * once per milestone. Only milestones reported after the rule was set count, so turning a rule on never
   * replays the account's history.
   */
  async function autoFund(events: Parameters<typeof unfundedMilestones>[0]): Promise<void> {
    for (const milestone of unfundedMilestones(events)) {
      const route =
        (milestone.contractId === null
          ? undefined
          : await deps.store.findRoute('contract', milestone.contractId)) ??
        (milestone.jobId === null ? undefined : await deps.store.findRoute('job', milestone.jobId));
      if (route === undefined || !route.autoFund || milestone.at < route.updatedAt) continue;
      const payload: FundPayload = {
        milestoneId: milestone.milestoneId,
        note: null,
        requester: { kind: 'system', name: `autofund rule for ${route.scope} ${route.targetId}` },
        originChannelId: null,
        responseUrl: null,
        requestedAt: deps.clock.now().toISOString(),
        noticeChannelId: route.channelId,
      };
      const added = await deps.store.enqueueEffects(
        [{ key: `autofund:${milestone.milestoneId}`, kind: 'fund', approvalId: null, payload }],
        deps.clock.now(),
      );
      if (added > 0) {
        report.autoFundRequests++;
        log.info(
          { milestoneId: milestone.milestoneId, route: route.targetId },
          'autofund rule requested funding',
        );
        onChange();
      }
    }
  }

  async function readLapsed(): Promise<void> {
    const lapsed = await deps.store.listLapsedPending(deps.clock.now(), maxLapsedReadsPerTick);
    for (const approval of lapsed) {
      // Past expiresAt nothing can be confirmed any more, so an approval we may no longer read has expired.
      const lapsedFallback: Transition = {
        approvalId: approval.id,
        status: 'expired',
        resolvedAt: approval.expiresAt,
        result: null,
        source: 'countersign:lapsed-unreadable',
      };
      // Anything else unreadable is skipped and tried again next tick, without holding up the others.
      const transition = await readTransition(approval.id, 'opentrain:read', {
        ifGone: lapsedFallback,
        ifUnreadable: undefined,
      });
      if (transition !== undefined) await apply(transition, approval);
    }
  }

  async function scheduleReminders(): Promise<void> {
    const offsets = deps.settings.reminderOffsetsMs;
    const horizon = offsets[0];
    if (horizon === undefined) return;
    const now = deps.clock.now();
    for (const approval of await deps.store.listReminderCandidates(now, horizon)) {
      const offsetMs = dueReminder(approval, offsets, now);
      if (offsetMs === undefined) continue;
      const effects: NewEffect[] = [];
      if (approval.requester.kind === 'slack') {
        effects.push({
          key: `reminder:${approval.id}:${offsetMs}`,
          kind: 'reminder',
          approvalId: approval.id,
          payload: { offsetMs },
        });
      }
      // The last reminder also goes to the card's thread, where the approvers are mentioned.
      if (offsetMs === offsets.at(-1)) {
        effects.push({
          key: `thread:reminder:${approval.id}`,
          kind: 'thread',
          approvalId: approval.id,
          payload: { purpose: 'reminder' },
        });
      }
      if (await deps.store.scheduleReminder(approval.id, offsetMs, effects, now)) {
        report.remindersScheduled++;
        onChange();
      }
    }
  }

  /** Cards still missing their amount and names: a bounded few lookups per tick, each on its own backoff. */
  async function retryContexts(): Promise<void> {
    for (const approval of await deps.store.listContextRetries(deps.clock.now(), maxContextRetriesPerTick)) {
      // One try: the poller comes back later anyway, and a hung OpenTrain must not hold up the tick long.
      const lookup = await lookupContext(deps, approval, 1);
      const now = deps.clock.now();
      if (lookup.kind === 'found' && lookup.context !== null) {
        await deps.store.recordContext(approval.id, { context: lookup.context }, now);
        // App Home lists the milestone's name and amount too.
        await deps.store.markHomesStale(await homeAudience(deps, approval), now);
        onChange();
        continue;
      }
      const retry = lookup.kind === 'failed' && lookup.retry;
      await deps.store.recordContext(
        approval.id,
        { context: null, retryAt: retry ? contextRetryAt(approval.trackedAt, now) : null },
        now,
      );
      // OpenTrain is likely still down: the others wait for the next tick rather than stall this one.
      if (retry) return;
    }
  }

  async function refreshCountdowns(): Promise<void> {
    const now = deps.clock.now();
    report.countdownsRefreshed =
      (await deps.store.refreshCountdowns(now)) + (await deps.store.refreshHomeCountdowns(now));
    if (report.countdownsRefreshed > 0) onChange();
  }

  for (const [name, phase] of [
    ['feed', followFeed],
    ['lapsed', readLapsed],
    ['reminders', scheduleReminders],
    ['context', retryContexts],
    ['countdowns', refreshCountdowns],
  ] as const) {
    try {
      await phase();
    } catch (error) {
      report.failures.push(name);
      const level = error instanceof OpenTrainError && error.transient ? 'warn' : 'error';
      log[level]({ err: error, phase: name }, 'poll phase failed; the next tick retries it');
    }
  }
  return report;
}
