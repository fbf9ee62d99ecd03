import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { Store } from '../../store/store.js';

/**
 * The approval button is a URL button: Slack opens the link itself but still sends block_actions, and shows a
 * warning icon unless it is acked. The click goes to the audit log ("who opened the approval, when").
 */
export function openApprovalAction(deps: { store: Store; clock: Clock; log: Logger }) {
  return async ({
    ack,
    body,
    action,
  }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const approvalId = action.value;
    if (approvalId === undefined || approvalId === '') return;
    const approval = await deps.store.getApproval(approvalId);
    if (approval === undefined) return;
    try {
      await deps.store.appendAudit(
        [
          {
            approvalId,
            milestoneId: approval.milestoneId,
            actor: `slack:${body.user.id}`,
            action: 'link-opened',
          },
        ],
        deps.clock.now(),
      );
    } catch (error) {
      deps.log.warn({ err: error, approvalId }, 'could not audit an approval link click');
    }
  };
}
