import type { Approval } from '../domain/approval.js';
import type { OpenTrainPort } from '../ports/opentrain.js';
import type { ApprovalsPort } from '../ports/store.js';
import { feedPageSize } from './tick-gather.js';

/** Enough to cover a restart, bounded so a long outage cannot turn recovery into a scan of the account. */
const maxPages = 20;
const maxReads = 25;
/** Clocks differ: an approval that ended a little before our own notion of "asking" still counts. */
const skewMs = 60_000;

/**
 * A request that was cut off while asking OpenTrain may have created an approval whose answer never came
 * back, or been handed one already pending (another request's). While that approval is pending, asking again
 * is safe (OpenTrain hands back the same one); once it has ended (declined or expired while the bot was down),
 * asking again would create a second approval nobody asked for. Every ended approval shows up in the feed, so
 * the feed since the attempt began is searched for an approval of this milestone that ended since then: it
 * was pending while this request asked, so it is the one OpenTrain answered (or would have). Approvals
 * already tracked are read from the store. Undefined when there is none: asking is safe.
 */
export async function findOwnApproval(
  deps: {
    readonly opentrain: Pick<OpenTrainPort, 'listUpdates' | 'getApproval'>;
    readonly approvals: Pick<ApprovalsPort, 'get'>;
  },
  milestoneId: string,
  since: Date,
  cursor: string | null,
): Promise<Approval | undefined> {
  let from = cursor;
  let reads = 0;
  for (let page = 0; page < maxPages; page++) {
    const { events, nextCursor, hasMore } = await deps.opentrain.listUpdates(from, feedPageSize);
    for (const event of events) {
      if (event.kind !== 'approval-ended' || event.at.getTime() < since.getTime() - skewMs) continue;
      const tracked = await deps.approvals.get(event.approvalId);
      if (tracked === undefined && reads++ >= maxReads) return undefined;
      const approval = tracked ?? (await deps.opentrain.getApproval(event.approvalId));
      if (approval.milestoneId === milestoneId) return approval;
    }
    if (!hasMore || nextCursor === null || nextCursor === from) return undefined;
    from = nextCursor;
  }
  return undefined;
}
