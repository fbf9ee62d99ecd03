import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ApprovalsPort, AuditPort } from '../ports/store.js';

/** Someone clicked an approval's link button: who opened the approval, and when, goes in the audit log. */
export async function recordClick(
  deps: {
    readonly approvals: Pick<ApprovalsPort, 'get'>;
    readonly audit: Pick<AuditPort, 'append'>;
    readonly clock: Clock;
    readonly log: Logger;
  },
  approvalId: string,
  userId: string,
): Promise<void> {
  try {
    const approval = await deps.approvals.get(approvalId);
    if (approval === undefined) return;
    const entry = {
      approvalId,
      milestoneId: approval.milestoneId,
      actor: `slack:${userId}`,
      action: 'link-opened',
    };
    await deps.audit.append([entry], deps.clock.now());
  } catch (error) {
    deps.log.warn({ err: error, approvalId }, 'could not audit an approval link click');
  }
}
