import type { RespondFn } from '@slack/bolt';
import type { RouteScope } from '../../approvals/routing.js';
import type { JobDeps } from '../../jobs/deps.js';
import { OpenTrainError } from '../../opentrain/errors.js';
import {
  notAdminReply,
  routeListReply,
  routeRemovedReply,
  routeSavedReply,
  routeTargetUnknownReply,
} from '../messages/admin.js';
import type { Permissions } from '../permissions.js';
import type { Command, RouteTarget } from './parse-command.js';

type RouteCommand = Extract<Command, { kind: 'route-set' | 'route-list' | 'route-remove' }>;

/** `route set|list|remove`: admins manage where approvals go. Runs after the ack, answering through respond(). */
export async function handleRouteCommand(
  deps: JobDeps,
  permissions: Permissions,
  command: RouteCommand,
  userId: string,
  respond: RespondFn,
): Promise<void> {
  const say = (message: { text: string; blocks?: readonly unknown[] }) =>
    respond({ response_type: 'ephemeral', text: message.text, blocks: message.blocks as never });
  if (command.kind === 'route-list') {
    await say(routeListReply(await deps.store.listRoutes(), deps.settings.fundChannel));
    return;
  }
  if (!permissions.isAdmin(userId)) {
    await deps.store.appendAudit(
      [{ approvalId: null, milestoneId: null, actor: `slack:${userId}`, action: 'route-change-refused' }],
      deps.clock.now(),
    );
    await say(notAdminReply(permissions.admins));
    return;
  }
  const now = deps.clock.now();
  if (command.kind === 'route-remove') {
    const removed = await deps.store.removeRoute(command.target, now, {
      approvalId: null,
      milestoneId: null,
      actor: `slack:${userId}`,
      action: 'route-removed',
      detail: { target: command.target.id },
    });
    await say(routeRemovedReply(removed, command.target.id));
    return;
  }
  const resolved = await resolveTarget(deps, command.target);
  if (resolved.kind === 'unknown') {
    await say(routeTargetUnknownReply(command.target.id, resolved.why));
    return;
  }
  const route = await deps.store.saveRoute(
    {
      scope: resolved.scope,
      targetId: command.target.id,
      label: resolved.label,
      channelId: command.channelId,
      approvers: command.approvers,
      autoFund: command.autoFund,
      createdBy: userId,
    },
    now,
    {
      approvalId: null,
      milestoneId: null,
      actor: `slack:${userId}`,
      action: 'route-set',
      detail: {
        scope: resolved.scope,
        target: command.target.id,
        channel: command.channelId,
        approvers: command.approvers,
        autoFund: command.autoFund,
      },
    },
  );
  await say(routeSavedReply(route));
}

type Resolved = { kind: 'ok'; scope: RouteScope; label: string | null } | { kind: 'unknown'; why: string };

/** Asks OpenTrain whether the id is a contract or a job (there is no way to tell from the id alone). */
async function resolveTarget(deps: JobDeps, target: RouteTarget): Promise<Resolved> {
  const options = { timeoutMs: 4_000, retry: { attempts: 2 } };
  try {
    if (target.scope !== 'job') {
      try {
        const contract = await deps.opentrain.getContract(target.id, options);
        return { kind: 'ok', scope: 'contract', label: contract.title ?? null };
      } catch (error) {
        if (
          !(error instanceof OpenTrainError && error.failure === 'not-found') ||
          target.scope === 'contract'
        )
          throw error;
      }
    }
    const contracts = await deps.opentrain.listContracts(target.id, options);
    return {
      kind: 'ok',
      scope: 'job',
      label: contracts.length === 0 ? null : `${contracts.length} contract(s)`,
    };
  } catch (error) {
    if (target.scope !== undefined && !(error instanceof OpenTrainError && error.failure === 'not-found')) {
      // The admin said what it is; OpenTrain being unreachable should not stand in the way.
      return { kind: 'ok', scope: target.scope, label: null };
    }
    if (error instanceof OpenTrainError && error.failure === 'not-found') {
      return { kind: 'unknown', why: `OpenTrain has no job or contract \`${target.id}\` on this account.` };
    }
    return { kind: 'unknown', why: `I could not check \`${target.id}\` with OpenTrain right now.` };
  }
}
