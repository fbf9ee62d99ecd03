import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Clock } from '../../../clock.js';
import { effectKeys } from '../../../domain/effects.js';
import type { FundingRequest } from '../../../domain/funding.js';
import type { Logger } from '../../../logger.js';
import type { UseCases } from '../../../use-cases/use-cases.js';
import type { SlackMessage } from '../../gateway.js';
import { historyReply, routeUsageReply } from '../../messages/admin.js';
import {
  invalidInputReply,
  permissionCheckFailedReply,
  requestRefusedReply,
  usageReply,
} from '../../messages/replies.js';
import type { Permissions } from '../../permissions.js';
import { parseCommand } from './parse-command.js';

export interface CommandDeps {
  readonly useCases: UseCases;
  readonly permissions: Permissions;
  readonly clock: Clock;
  readonly log: Logger;
  /** Posts to a command's response_url (the gateway's, so the message is fitted to Slack's limits). */
  readonly respond: (responseUrl: string, message: SlackMessage) => Promise<void>;
}

/** A verified slash command, as the receiver hands it over (HTTP or Socket Mode). */
export interface CommandRequest {
  /** The command's fields as Slack sent them: validated here, not trusted. */
  readonly command: Record<string, unknown>;
  /** Sends the answer Slack waits for; the first call counts. */
  readonly ack: (response?: unknown) => Promise<void>;
  /** Something unique to this delivery (its signature or envelope id), for keying work when Slack sends no trigger_id. */
  readonly requestId: string | undefined;
}

export type CommandHandler = (request: CommandRequest) => Promise<void>;

/** The fields Countersign reads from a slash command; Slack always sends them, a forged request may not. */
const SlashCommand = z.object({
  text: z.string().default(''),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  team_id: z.string().optional(),
  response_url: z.url().optional(),
  trigger_id: z.string().optional(),
});

/** Leaves room in Slack's 3 seconds for the store write and the network. */
const permissionCheckDeadlineMs = 1_500;

const incomplete: SlackMessage = {
  text: ':warning: Slack sent this command without the details Countersign needs (who typed it, and where), so nothing was sent to OpenTrain. Type it again; if it keeps happening, tell whoever runs Countersign.',
};
const storageFailed: SlackMessage = {
  text: ':warning: Countersign could not save your request (its storage is failing), so nothing was sent to OpenTrain. Try again in a minute, and tell whoever runs Countersign if it keeps happening.',
};

/** Slack sends what a person typed with &, < and > as entities; the note is stored as typed, escaped when shown. */
function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * `/fund-milestone`: verify (the receiver did), parse, call a use case, answer. Slack drops a command that is
 * not acknowledged within 3 seconds, so a funding request is only recorded here: the queue calls OpenTrain.
 */
export function fundMilestoneCommand(deps: CommandDeps): CommandHandler {
  const { useCases } = deps;
  return async ({ command, ack, requestId: deliveryId }) => {
    // With no message, Slack shows nothing: the answer comes through the response_url.
    const reply = (message?: SlackMessage) =>
      message === undefined ? ack() : ack({ response_type: 'ephemeral', ...message });
    const input = SlashCommand.safeParse(command);
    if (!input.success) return reply(incomplete);
    const { user_id: userId, response_url: responseUrl } = input.data;
    const requestId = input.data.trigger_id ?? deliveryId ?? randomUUID();
    const parsed = parseCommand(input.data.text);
    switch (parsed.kind) {
      case 'help':
        return reply(usageReply());
      case 'invalid':
        return reply(invalidInputReply(parsed.problem));
      case 'route-help':
        return reply(routeUsageReply(parsed.problem));
      case 'history': {
        const { subject, entries } = await useCases.history(parsed.id);
        return reply(historyReply(parsed.id, entries, subject));
      }
      case 'route-list':
      case 'route-set':
      case 'route-remove': {
        await ack();
        const replyTo = { userId, responseUrl: responseUrl ?? null, requestedAt: deps.clock.now() };
        const change =
          parsed.kind === 'route-list'
            ? ({ kind: 'list' } as const)
            : parsed.kind === 'route-remove'
              ? ({ kind: 'remove', target: parsed.target } as const)
              : ({
                  kind: 'set',
                  target: parsed.target,
                  channelId: parsed.channelId,
                  approvers: parsed.approvers,
                  autoFund: parsed.autoFund,
                } as const);
        await useCases.manageRoutes(change, {
          workspaceId: useCases.workspaceId,
          userId,
          replyTo,
          requestKey: `route:${requestId}`,
        });
        return;
      }
      case 'fund':
        break;
    }
    const request: FundingRequest = {
      workspaceId: useCases.workspaceId,
      via: 'slack',
      milestoneId: parsed.milestoneId,
      note: parsed.note === null ? null : decodeEntities(parsed.note),
      requester: { kind: 'slack', userId, teamId: input.data.team_id ?? null },
      actor: `slack:${userId}`,
      fallbackChannel: { id: input.data.channel_id, via: 'invoking-channel' },
      replyTo: { userId, responseUrl: responseUrl ?? null, requestedAt: deps.clock.now() },
      noticeChannelId: null,
    };
    await fund(deps, request, requestId, reply);
  };
}

/**
 * A funding request leaves the person one private message. The command is acknowledged with no message
 * when the answer is not known yet: Slack never lets a response_url message replace the acknowledgement's
 * own, so a "working" acknowledgement would stay beside the outcome. The outcome then comes through the
 * response_url from the queue, preceded by a progress line it replaces only when it takes more than a
 * couple of seconds (requestFunding). What is known at once (a refusal) is the acknowledgement itself.
 */
async function fund(
  deps: CommandDeps,
  request: FundingRequest,
  requestId: string,
  reply: (message?: SlackMessage) => Promise<void>,
): Promise<void> {
  const { useCases } = deps;
  const userId = request.replyTo?.userId ?? '';
  const key = effectKeys.fund(requestId);
  // Answer with whatever comes first, the check or the deadline: a cold user-group lookup can be slow.
  const check = deps.permissions.mayRequest(userId);
  let verdict = await Promise.race([check, sleep(permissionCheckDeadlineMs, 'late' as const)]);
  const late = verdict === 'late';
  if (late) {
    // Slack's 3 seconds run out: acknowledge with nothing, and answer once the check is done.
    await reply();
    verdict = await check;
  }
  if (verdict !== 'allowed') {
    const reason = verdict === 'refused' ? 'not an allowed requester' : 'membership check failed';
    await useCases.refuseRequester(userId, request.milestoneId, reason);
    if (late) {
      if (request.replyTo === null) return;
      const kind = verdict === 'refused' ? 'requester-refused' : 'permission-check-failed';
      return useCases.reply(key, request.replyTo, { kind });
    }
    const allowed = {
      users: deps.permissions.requesterUsers,
      usergroups: deps.permissions.requesterUsergroups,
    };
    return reply(verdict === 'refused' ? requestRefusedReply(allowed) : permissionCheckFailedReply());
  }
  try {
    // A replay of the same command finds its request already recorded: it is on its way either way.
    await useCases.requestFunding(key, request);
  } catch (error) {
    deps.log.error({ err: error, milestoneId: request.milestoneId }, 'could not record a funding request');
    if (!late) return reply(storageFailed);
    // Nothing could be queued, so the answer goes straight through the response_url, once.
    const responseUrl = request.replyTo?.responseUrl;
    if (responseUrl == null) return;
    await deps
      .respond(responseUrl, storageFailed)
      .catch((failure: unknown) =>
        deps.log.warn({ err: failure }, 'could not tell the requester their request was not saved'),
      );
    return;
  }
  if (!late) await reply();
}
