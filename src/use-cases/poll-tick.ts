import type { Clock } from '../clock.js';
import type { WorkspaceId } from '../domain/approval.js';
import { planTick, type TickAction, type TickSnapshot } from '../domain/plan-tick.js';
import { type TickStep, tickSteps } from '../domain/tick-steps.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { OpenTrainPort } from '../ports/opentrain.js';
import type { ApprovalsPort, CursorPort, HomeViewsPort, OutboxPort, RoutesPort } from '../ports/store.js';
import { lookupContext } from './follow-approval.js';
import { gatherFeed, gatherLapsed } from './tick-gather.js';

export const updatesCursorName = 'opentrain-updates';

export interface TickDeps {
  readonly approvals: Pick<
    ApprovalsPort,
    | 'getMany'
    | 'endMany'
    | 'reportStatus'
    | 'listLapsed'
    | 'listDueReminders'
    | 'remind'
    | 'listContextRetries'
    | 'recordContext'
    | 'postponeContext'
    | 'listStaleCountdowns'
    | 'refreshCountdown'
  >;
  readonly outbox: Pick<OutboxPort, 'enqueue'>;
  readonly routes: Pick<RoutesPort, 'findFor'>;
  readonly homes: Pick<HomeViewsPort, 'listStale' | 'clearStale'>;
  readonly cursors: Pick<CursorPort, 'get' | 'advance'>;
  readonly opentrain: Pick<OpenTrainPort, 'listUpdates' | 'getApproval' | 'getContract' | 'explain'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly workspaceId: WorkspaceId;
  readonly settings: {
    readonly reminderOffsetsMs: readonly number[];
    /**
     * How many stale countdowns a tick refreshes, nearest expiry first: Slack allows about 50 chat.update a
     * minute, and outcome edits need their share. The rest wait for the next tick.
     */
    readonly countdownsPerTick?: number;
  };
  readonly metrics?: Pick<Metrics, 'decided'>;
}

export interface TickReport {
  readonly actions: readonly TickAction[];
  /** Actions applied (all of them, unless a phase failed or the run was dry). */
  readonly applied: number;
  /** Phases that failed this tick; the others still ran, and the next tick retries them. */
  readonly failures: readonly string[];
  /** Why each phase failed: an OpenTrain failure name (`unavailable`, …), or `error` for anything else. */
  readonly problems: readonly { readonly phase: string; readonly failure: string; readonly error: unknown }[];
  readonly pages: number;
  readonly events: number;
  readonly approvalReads: number;
}

/**
 * How many approvals one transaction of the act step ends at most: 1,000 resolutions in a tick are a few
 * commits rather than 1,000, and the event loop is free again after each.
 */
export const endsPerTransaction = 200;

/** Bounds that keep one tick short however much is waiting; what is left is taken at the next tick. */
export const tickLimits = {
  pages: 200,
  lapsed: 100,
  reminders: 500,
  contexts: 10,
  countdowns: 500,
  homes: 500,
} as const;

/**
 * One poller tick, in three steps: derive (read the feed from the saved cursor, the approvals it names, the
 * lapsed ones, the due reminders, the stale countdowns), plan (pure: planTick), act (in order, in steps of one
 * transaction each: up to `endsPerTransaction` ended approvals together, any other action on its own; stopping
 * at the first failure so the cursor never passes an unapplied event).
 * With `dry`, nothing is written: the plan is only returned.
 */
export async function pollTick(deps: TickDeps, options: { dry?: boolean } = {}): Promise<TickReport> {
  const problems: Problem[] = [];
  const snapshot = await derive(deps, problems);
  const now = deps.clock.now();
  const actions = planTick(snapshot.facts, now);
  let applied = 0;
  if (options.dry !== true) {
    let sinceYield = 0;
    for (const step of tickSteps(actions, endsPerTransaction)) {
      const kind = step.kind === 'ends' ? 'end' : step.action.kind;
      try {
        applied += await apply(deps, step, now);
      } catch (error) {
        // Our own failure (the store): loud, and the next tick takes it up again.
        deps.log.error({ err: error, action: kind }, 'tick action failed; the next tick takes it up again');
        problems.push({ phase: `act:${kind}`, failure: 'error', error });
        break;
      }
      // SQLite writes never give the event loop back by themselves: let Slack's requests in between batches.
      sinceYield += step.kind === 'ends' ? step.actions.length : 1;
      if (sinceYield >= endsPerTransaction) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
  return {
    actions,
    applied,
    failures: problems.map((problem) => problem.phase),
    problems,
    pages: snapshot.pages,
    events: snapshot.events,
    approvalReads: snapshot.reads,
  };
}

type Problem = TickReport['problems'][number];

/** A failed phase is recorded, not logged: the poller says once that OpenTrain is failing, not every tick. */
function recordProblem(deps: TickDeps, problems: Problem[], phase: string, error: unknown): void {
  const failure = deps.opentrain.explain(error)?.failure ?? 'error';
  if (failure === 'error')
    deps.log.error({ err: error, phase }, 'poll phase failed; the next tick retries it');
  problems.push({ phase, failure, error });
}

async function phase<T>(
  deps: TickDeps,
  problems: Problem[],
  name: string,
  run: () => Promise<T>,
  fallback: T,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    recordProblem(deps, problems, name, error);
    return fallback;
  }
}

async function derive(deps: TickDeps, problems: Problem[]) {
  const now = deps.clock.now();
  const feed = await gatherFeed(deps, tickLimits.pages);
  if (feed.error !== undefined) recordProblem(deps, problems, 'feed', feed.error);
  const lapsed = await phase(deps, problems, 'lapsed', () => gatherLapsed(deps, now, tickLimits.lapsed), {
    items: [],
    reads: 0,
    failed: false,
  });
  // Approvals read before a transient failure are applied; the rest wait for the next tick.
  if (lapsed.failed) problems.push({ phase: 'lapsed', failure: 'unavailable', error: undefined });
  const offsets = deps.settings.reminderOffsetsMs;
  const reminderCandidates =
    offsets.length === 0
      ? []
      : await phase(
          deps,
          problems,
          'reminders',
          () => deps.approvals.listDueReminders(now, offsets, tickLimits.reminders),
          [],
        );
  const contextLookups = await phase(deps, problems, 'context', () => retryContexts(deps, now), []);
  const staleCards = await phase(
    deps,
    problems,
    'countdowns',
    () =>
      deps.approvals.listStaleCountdowns(
        now,
        Math.min(tickLimits.countdowns, deps.settings.countdownsPerTick ?? tickLimits.countdowns),
      ),
    [],
  );
  const staleHomes = await phase(
    deps,
    problems,
    'homes',
    () => deps.homes.listStale(now, tickLimits.homes),
    [],
  );
  const facts: TickSnapshot = {
    workspaceId: deps.workspaceId,
    reminderOffsetsMs: deps.settings.reminderOffsetsMs,
    pages: feed.pages,
    lapsed: lapsed.items,
    reminderCandidates,
    contextLookups,
    staleCards,
    staleHomes,
  };
  const events = feed.pages.reduce((sum, page) => sum + page.events.length, 0);
  return { facts, pages: feed.pages.length, events, reads: feed.reads + lapsed.reads };
}

/** Cards still missing their amount and names: a few lookups per tick; OpenTrain still down stops the rest. */
async function retryContexts(deps: TickDeps, now: Date): Promise<TickSnapshot['contextLookups']> {
  const lookups: TickSnapshot['contextLookups'][number][] = [];
  for (const approval of await deps.approvals.listContextRetries(now, tickLimits.contexts)) {
    // One try: the poller comes back later anyway, and a hung OpenTrain must not hold up the tick long.
    const lookup = await lookupContext(deps, approval, 1);
    lookups.push({ approval, lookup });
    if (lookup.kind === 'failed' && lookup.retry) break;
  }
  return lookups;
}

/** Applies one step, in one transaction; returns how many of the plan's actions it applied. */
async function apply(deps: TickDeps, step: TickStep, now: Date): Promise<number> {
  if (step.kind === 'one') {
    await act(deps, step.action, now);
    return 1;
  }
  const ended = await deps.approvals.endMany(step.actions, now);
  const sources = new Map(step.actions.map((action) => [action.approvalId, action.transition.source]));
  for (const approval of ended) {
    const decidedAt = approval.resolvedAt ?? now;
    deps.metrics?.decided(approval.status, (decidedAt.getTime() - approval.trackedAt.getTime()) / 1_000);
    deps.log.info(
      { approvalId: approval.id, status: approval.status, source: sources.get(approval.id) },
      'approval ended',
    );
  }
  return step.actions.length;
}

/** Applies one planned action other than an end, in one transaction. */
async function act(deps: TickDeps, action: Exclude<TickAction, { kind: 'end' }>, now: Date): Promise<void> {
  switch (action.kind) {
    case 'advance-cursor':
      if (!(await deps.cursors.advance(deps.workspaceId, updatesCursorName, action.from, action.to, now))) {
        throw new Error('the feed cursor moved under this tick (another poller?)');
      }
      return;
    case 'autofund':
      if ((await deps.outbox.enqueue(action.effects, now)) > 0) {
        deps.log.info(
          { milestoneId: action.milestoneId, route: action.route.targetId },
          'autofund rule requested funding',
        );
      }
      return;
    case 'remind':
      await deps.approvals.remind(action.approvalId, action.offsetMs, action.effects, now);
      return;
    case 'context-found':
      await deps.approvals.recordContext(action.approvalId, action.context, action.effects, now);
      return;
    case 'context-retry':
      await deps.approvals.postponeContext(action.approvalId, action.retryAt);
      return;
    case 'refresh-card':
      await deps.approvals.refreshCountdown(action.approvalId, action.effects, now);
      return;
    case 'report-status':
      if (
        await deps.approvals.reportStatus(
          action.approvalId,
          action.reportedStatus,
          action.source,
          now,
          action.effects,
        )
      ) {
        deps.log.info(
          { approvalId: action.approvalId, reportedStatus: action.reportedStatus, source: action.source },
          'OpenTrain reports a status Countersign does not know; still following the approval',
        );
      }
      return;
    case 'refresh-home': {
      const [effect] = action.effects;
      await deps.homes.clearStale(
        effect?.workspaceId ?? deps.workspaceId,
        action.userId,
        action.effects,
        now,
      );
      return;
    }
  }
}
