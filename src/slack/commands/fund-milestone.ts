import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { requestFunding } from '../../approvals/request-funding.js';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { Store } from '../../store/store.js';
import { invalidInputReply, usageReply, workingReply } from '../messages/replies.js';
import { parseFundCommand } from './parse-fund-command.js';

export interface FundCommandDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  /** Starts the background work that calls OpenTrain; must not block. */
  readonly kick: () => void;
}

/**
 * `/fund-milestone`: parse, record the request in the store, ack. Slack gives up on a command after
 * 3 seconds, so OpenTrain is called afterwards by the worker, never before the ack.
 */
export function fundMilestoneCommand(deps: FundCommandDeps) {
  return async ({ command, ack }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const parsed = parseFundCommand(command.text);
    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...usageReply() });
      return;
    }
    if (parsed.kind === 'invalid') {
      await ack({ response_type: 'ephemeral', ...invalidInputReply(parsed.problem) });
      return;
    }
    try {
      await requestFunding(deps, {
        milestoneId: parsed.milestoneId,
        note: parsed.note,
        requester: { userId: command.user_id, teamId: command.team_id ?? null },
        originChannelId: command.channel_id,
        responseUrl: command.response_url,
      });
    } catch (error) {
      deps.log.error({ err: error, milestoneId: parsed.milestoneId }, 'could not record a funding request');
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
