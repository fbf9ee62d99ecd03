import type { TrackedApproval } from '../domain/approval.js';
import { unfundedMilestones } from '../domain/feed.js';
import type { ApprovalRead, FeedPageFacts } from '../domain/plan-tick.js';
import type { TickDeps } from './poll-tick.js';

/** OpenTrain reads run this many at a time: 1,000 resolutions in a tick must not take 1,000 round trips. */
const readConcurrency = 32;
/** OpenTrain documents 1–200 events per page. */
export const feedPageSize = 200;

/** Runs `work` over `items`, at most `limit` at once, keeping their order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * Reads one approval for its final state. Only a transient failure throws (the page is read again next tick);
 * one refused for good must not hold every later event hostage.
 */
async function readApproval(deps: TickDeps, approvalId: string): Promise<ApprovalRead> {
  try {
    return { kind: 'read', approval: await deps.opentrain.getApproval(approvalId) };
  } catch (error) {
    const refusal = deps.opentrain.explain(error);
    if (refusal === undefined) throw error;
    if (['rate-limited', 'unavailable', 'timeout', 'network'].includes(refusal.failure)) throw error;
    if (refusal.failure === 'not-found') {
      deps.log.warn({ approvalId }, 'OpenTrain no longer shows this approval to our token');
      return { kind: 'gone' };
    }
    deps.log.error(
      { approvalId, failure: refusal.failure, status: refusal.status },
      'could not read an approval',
    );
    return { kind: 'unreadable' };
  }
}

/**
 * The feed from the saved cursor, every page while `hasMore`, each with the tracked approvals it names, fresh
 * reads of those that need one, and the routes of its unfunded milestones. A failure keeps the pages gathered
 * before it: they are applied, and the next tick carries on from there.
 */
export async function gatherFeed(
  deps: TickDeps,
  maxPages: number,
): Promise<{ pages: FeedPageFacts[]; reads: number; error?: unknown }> {
  const pages: FeedPageFacts[] = [];
  let reads = 0;
  try {
    let cursor = await deps.cursors.get(deps.workspaceId, 'opentrain-updates');
    for (let page = 0; page < maxPages; page++) {
      const { events, nextCursor, hasMore } = await deps.opentrain.listUpdates(cursor, feedPageSize);
      const ids = [
        ...new Set(events.flatMap((event) => (event.kind === 'approval-ended' ? [event.approvalId] : []))),
      ];
      const tracked = await deps.approvals.getMany(ids);
      const byId = new Map(tracked.map((approval) => [approval.id, approval]));
      const toRead = events.flatMap((event) =>
        event.kind === 'approval-ended' &&
        byId.get(event.approvalId)?.status === 'pending' &&
        (event.status === undefined || event.status === 'confirmed')
          ? [event.approvalId]
          : [],
      );
      const unique = [...new Set(toRead)];
      let failure: unknown;
      const results = await mapBounded(unique, readConcurrency, (id) =>
        readApproval(deps, id).catch((error: unknown) => {
          failure ??= error;
          return undefined;
        }),
      );
      reads += unique.length;
      const read = new Map(unique.map((id, index) => [id, results[index]]));
      // Events up to the first whose read failed are applied; the page is read again from its start next tick.
      const failedAt = events.findIndex(
        (event) =>
          event.kind === 'approval-ended' &&
          toRead.includes(event.approvalId) &&
          read.get(event.approvalId) === undefined,
      );
      const milestones = unfundedMilestones(events);
      const routes =
        milestones.length === 0 || failedAt >= 0
          ? []
          : await deps.routes.findFor(deps.workspaceId, milestones);
      pages.push({
        cursor,
        nextCursor,
        events: failedAt >= 0 ? events.slice(0, failedAt) : events,
        tracked,
        reads: Object.fromEntries(
          [...read].filter((entry): entry is [string, ApprovalRead] => entry[1] !== undefined),
        ),
        routes,
        complete: failedAt < 0,
      });
      if (failure !== undefined) return { pages, reads, error: failure };
      const advanced = nextCursor ?? cursor;
      if (!hasMore || advanced === cursor || events.length === 0) break;
      cursor = advanced;
    }
  } catch (error) {
    return { pages, reads, error };
  }
  return { pages, reads };
}

/** Pending approvals past their expiry, each read afresh (OpenTrain flips them to expired on read). */
export async function gatherLapsed(
  deps: TickDeps,
  now: Date,
  limit: number,
): Promise<{ items: { approval: TrackedApproval; read: ApprovalRead }[]; reads: number; failed: boolean }> {
  const lapsed = await deps.approvals.listLapsed(now, limit);
  const items: { approval: TrackedApproval; read: ApprovalRead }[] = [];
  // One transient failure keeps what was read before it; the rest wait for the next tick.
  const reads = await mapBounded(lapsed, readConcurrency, async (approval) => {
    try {
      return await readApproval(deps, approval.id);
    } catch {
      return undefined;
    }
  });
  lapsed.forEach((approval, index) => {
    const read = reads[index];
    if (read !== undefined) items.push({ approval, read });
  });
  return { items, reads: lapsed.length, failed: reads.some((read) => read === undefined) };
}
