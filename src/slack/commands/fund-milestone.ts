import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { requestFunding } from '../../approvals/request-funding.js';
import type { JobDeps } from '../../jobs/deps.js';
import { historyReply, routeUsageReply } from '../messages/admin.js';
import {
  invalidInputReply,
  permissionCheckFailedReply,
  requestRefusedReply,
  usageReply,
  workingReply,
} from '../messages/replies.js';
import type { Permissions } from '../permissions.js';
import { parseCommand } from './parse-command.js';
import { handleRouteCommand } from './routes.js';

export interface CommandDeps {
  readonly jobs: JobDeps;
  readonly permissions: Permissions;
  /** Starts the background work that calls OpenTrain; must not block. */
  readonly kick: () => void;
}

/**
 * `/fund-milestone`. Slack gives up on a command after 3 seconds, so everything that may be slow (OpenTrain)
 * happens after the ack: a funding request is recorded in the store and the worker calls OpenTrain.
 */
export function fundMilestoneCommand(deps: CommandDeps) {
  const { store, clock, log } = deps.jobs;
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const parsed = parseCommand(command.text);
    const userId = command.user_id;
    switch (parsed.kind) {
      case 'help':
        await ack({ response_type: 'ephemeral', ...usageReply() });
        return;
      case 'invalid':
        await ack({ response_type: 'ephemeral', ...invalidInputReply(parsed.problem) });
        return;
      case 'route-help':
        await ack({ response_type: 'ephemeral', ...routeUsageReply(parsed.problem) });
        return;
      case 'history': {
        const entries = await store.listAudit({ milestoneId: parsed.milestoneId, limit: 50 });
        await ack({ response_type: 'ephemeral', ...historyReply(parsed.milestoneId, entries) });
        return;
      }
      case 'route-list':
      case 'route-set':
      case 'route-remove':
        await ack();
        await handleRouteCommand(deps.jobs, deps.permissions, parsed, userId, respond);
        return;
      case 'fund':
        break;
    }

    const verdict = await deps.permissions.mayRequest(userId);
    if (verdict !== 'allowed') {
      await store.appendAudit(
        [
          {
            approvalId: null,
            milestoneId: parsed.milestoneId,
            actor: `slack:${userId}`,
            action: 'request-refused',
            detail: {
              reason: verdict === 'refused' ? 'not an allowed requester' : 'membership check failed',
            },
          },
        ],
        clock.now(),
      );
      const reply =
        verdict === 'refused'
          ? requestRefusedReply({
              users: deps.permissions.requesterUsers,
              usergroups: deps.permissions.requesterUsergroups,
            })
          : permissionCheckFailedReply();
      await ack({ response_type: 'ephemeral', ...reply });
      return;
    }
    try {
      await requestFunding(deps.jobs, {
        milestoneId: parsed.milestoneId,
        note: parsed.note,
        requester: { userId, teamId: command.team_id ?? null },
        originChannelId: command.channel_id,
        responseUrl: command.response_url,
      });
    } catch (error) {
      log.error({ err: error, milestoneId: parsed.milestoneId }, 'could not record a funding request');
      await ack({
        response_type: 'ephemeral',
        text: ':warning: Countersign could not save your request (its storage is failing), so nothing was sent to OpenTrain. Try again in a minute, and tell whoever runs Countersign if it keeps happening.',
      });
      return;
    }
    await ack({ response_type: 'ephemeral', ...workingReply(parsed.milestoneId) });
    deps.kick();
  };
}
