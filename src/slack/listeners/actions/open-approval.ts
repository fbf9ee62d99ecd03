import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { UseCases } from '../../../use-cases/use-cases.js';

/**
 * The approval button is a URL button: Slack opens the link itself but still sends block_actions, and shows a
 * warning icon unless it is acked. The click goes to the audit log ("who opened the approval, when").
 */
export function openApprovalAction(useCases: UseCases) {
  return async ({ ack, body, action }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs) => {
    await ack();
    const approvalId = action.value;
    if (typeof approvalId !== 'string' || approvalId === '' || typeof body.user?.id !== 'string') return;
    await useCases.recordClick(approvalId.slice(0, 256), body.user.id);
  };
}
