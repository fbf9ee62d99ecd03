import { setTimeout as sleep } from 'node:timers/promises';
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { requestFunding } from '../../approvals/request-funding.js';
import type { JobDeps } from '../../jobs/deps.js';
import type { SlackMessage } from '../gateway.js';
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
        const byMilestone = await store.listAudit({ milestoneId: parsed.id, limit: 50 });
        const entries =
          byMilestone.length > 0 ? byMilestone : await store.listAudit({ approvalId: parsed.id, limit: 50 });
        const subject = byMilestone.length > 0 || entries.length === 0 ? 'milestone' : 'approval';
        await ack({ response_type: 'ephemeral', ...historyReply(parsed.id, entries, subject) });
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

    // Answer with whatever comes first: the check, or the deadline. A cold user-group lookup can be slow,
    // and Slack drops a command not acknowledged within 3 seconds.
    let answer: (message: SlackMessage) => Promise<void> = async (message) => {
      await ack({ response_type: 'ephemeral', ...message });
    };
    const check = deps.permissions.mayRequest(userId);
    let verdict = await raceDeadline(check, permissionCheckDeadlineMs);
    if (verdict === 'late') {
      await ack({
        response_type: 'ephemeral',
        text: ':hourglass_flowing_sand: Checking that you may request funding…',
      });
      answer = async (message) => {
        await respond({ response_type: 'ephemeral', text: message.text, blocks: message.blocks as never });
      };
      verdict = await check;
    }
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
      const allowed = {
        users: deps.permissions.requesterUsers,
        usergroups: deps.permissions.requesterUsergroups,
      };
      await answer(verdict === 'refused' ? requestRefusedReply(allowed) : permissionCheckFailedReply());
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
      await answer({
        text: ':warning: Countersign could not save your request (its storage is failing), so nothing was sent to OpenTrain. Try again in a minute, and tell whoever runs Countersign if it keeps happening.',
      });
      return;
    }
    await answer(workingReply(parsed.milestoneId));
    deps.kick();
  };
}

/** Leaves room in Slack's 3 seconds for the store write and the network. */
const permissionCheckDeadlineMs = 1_500;

async function raceDeadline<T>(work: Promise<T>, ms: number): Promise<T | 'late'> {
  const timer = new AbortController();
  try {
    return await Promise.race([work, sleep(ms, 'late' as const, { signal: timer.signal })]);
  } finally {
    timer.abort();
  }
}
