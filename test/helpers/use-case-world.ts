import type { Logger } from 'pino';
import type { EffectContext } from '../../src/delivery/runner.js';
import type { Approval, TerminalStatus, TrackedApproval, WorkspaceId } from '../../src/domain/approval.js';
import {
  cardEffect,
  type EffectKey,
  type EffectKind,
  priorities,
  type QueuedEffect,
} from '../../src/domain/effects.js';
import type { FundingRequest, ReplyTarget } from '../../src/domain/funding.js';
import type { Approver, Route, RouteScope } from '../../src/domain/routing.js';
import type { ClaimedEffect, NewTrackedApproval, Store } from '../../src/ports/store.js';
import type { EffectResult } from '../../src/use-cases/effect-result.js';
import type { UseCaseDeps } from '../../src/use-cases/use-cases.js';
import { anApproval, hours, t0 } from './builders.js';
import { FakeOpenTrain } from './fake-opentrain.js';
import { FakeDirectory, FakeSlack } from './fake-slack.js';
import { createMemoryStore } from './memory-store.js';
import { CountingMetrics, silentLog, TestClock } from './test-clock.js';

/*
 * Everything a use case runs against in a unit test: the in-memory store, fake OpenTrain and Slack, a clock
 * that stands still, a silent log. `ports` is the flat set each use case picks its narrow part from, as the
 * composition root builds it (src/use-cases/use-cases.ts).
 */

export const workspaceId: WorkspaceId = 'T1';
export const alice = { kind: 'slack', userId: 'U0ALICE', teamId: 'T1' } as const;
export const defaultOffsetsMs = [hours(24), hours(1)] as const;

export interface WorldOptions {
  readonly fundChannel?: string;
  readonly reminderOffsetsMs?: readonly number[];
  readonly admins?: readonly string[];
  readonly members?: Record<string, readonly string[]>;
  readonly progressReplyAfterMs?: number;
}

export function aWorld(options: WorldOptions = {}) {
  const clock = new TestClock(t0);
  const store: Store = createMemoryStore();
  const opentrain = new FakeOpenTrain(clock);
  const slack = new FakeSlack(clock);
  const directory = new FakeDirectory(options.members ?? {});
  const metrics = new CountingMetrics();
  const log: Logger = silentLog();
  const admins = new Set(options.admins ?? ['U0ADMIN']);
  const useCaseDeps: UseCaseDeps = {
    store,
    opentrain,
    slack,
    directory,
    clock,
    log,
    workspaceId,
    settings: {
      fundChannel: options.fundChannel,
      reminderOffsetsMs: options.reminderOffsetsMs ?? defaultOffsetsMs,
      ...(options.progressReplyAfterMs === undefined
        ? {}
        : { progressReplyAfterMs: options.progressReplyAfterMs }),
    },
    isAdmin: (userId) => admins.has(userId),
    metrics,
  };
  const ports = {
    approvals: store.approvals,
    outbox: store.outbox,
    routes: store.routes,
    homes: store.homes,
    cursors: store.cursors,
    audit: store.audit,
    opentrain,
    slack,
    directory,
    clock,
    log,
    settings: useCaseDeps.settings,
    workspaceId,
    isAdmin: useCaseDeps.isAdmin,
    metrics,
  };
  return { clock, store, opentrain, slack, directory, metrics, log, useCaseDeps, ports };
}

export type World = ReturnType<typeof aWorld>;
export type Ports = World['ports'];

export const leaseMs = 15_000;

/**
 * Takes the effect off the queue as the runner would (leased to `owner`), with the context that saves its
 * checkpoints; fails the test when it is not claimable now.
 */
export async function claimEffect<K extends EffectKind>(
  world: World,
  key: EffectKey,
  kind: K,
  owner = 'worker-1',
): Promise<{ claimed: ClaimedEffect<K>; context: EffectContext }> {
  const [claimed] = await world.store.outbox.claim({ owner, now: world.clock.now(), leaseMs, limit: 1, key });
  if (claimed === undefined) throw new Error(`${key} is not claimable now`);
  if (claimed.effect.kind !== kind) throw new Error(`${key} is a ${claimed.effect.kind} effect, not ${kind}`);
  const context: EffectContext = {
    checkpoint: (progress) => world.store.outbox.checkpoint(claimed, owner, progress),
  };
  return { claimed: claimed as unknown as ClaimedEffect<K>, context };
}

/** The attempt failed and is due again now (`uncertain`: it may have landed all the same). */
export async function retryNow(
  world: World,
  claimed: Pick<ClaimedEffect, 'id'>,
  options: { uncertain?: boolean; error?: string; owner?: string } = {},
): Promise<void> {
  await world.store.outbox.retry(claimed, options.owner ?? 'worker-1', {
    error: options.error ?? 'failed',
    nextAttemptAt: world.clock.now(),
    uncertain: options.uncertain ?? false,
  });
}

/** The process holding a lease died: once the lease runs out, the effect is free again (marked uncertain). */
export function outliveLease(world: World): void {
  world.clock.advance(leaseMs + 1);
}

export function aReplyTarget(overrides: Partial<ReplyTarget> = {}): ReplyTarget {
  return {
    userId: 'U0ALICE',
    responseUrl: 'https://hooks.slack.com/commands/T1/1/abc',
    requestedAt: t0,
    ...overrides,
  };
}

/** `/fund-milestone M-1001` typed by Alice in #general. */
export function aSlackRequest(overrides: Partial<FundingRequest> = {}): FundingRequest {
  return {
    workspaceId,
    via: 'slack',
    milestoneId: 'M-1001',
    note: null,
    requester: alice,
    actor: 'slack:U0ALICE',
    fallbackChannel: { id: 'C0GENERAL', via: 'invoking-channel' },
    replyTo: aReplyTarget(),
    noticeChannelId: null,
    ...overrides,
  };
}

/** The same request from an upstream system over the API: nobody to reply to. */
export function anUpstreamRequest(overrides: Partial<FundingRequest> = {}): FundingRequest {
  return aSlackRequest({
    via: 'upstream',
    requester: { kind: 'system', name: 'upstream:erp' },
    actor: 'upstream:erp',
    fallbackChannel: { id: 'C0ERP', via: 'requested-channel' },
    replyTo: null,
    ...overrides,
  });
}

/** What an autofund rule on job J-1 asks for: its notices go to the rule's channel. */
export function anAutofundRequest(overrides: Partial<FundingRequest> = {}): FundingRequest {
  return aSlackRequest({
    via: 'autofund',
    requester: { kind: 'system', name: 'autofund rule for job J-1' },
    actor: 'system:autofund rule for job J-1',
    fallbackChannel: null,
    replyTo: null,
    noticeChannelId: 'C0ROUTE',
    ...overrides,
  });
}

/** An admin's route for a job or a contract, saved as `route set` would. */
export async function saveRoute(
  world: World,
  route: {
    scope: RouteScope;
    targetId: string;
    channelId: string;
    approvers?: readonly Approver[];
    autoFund?: boolean;
  },
): Promise<Route> {
  return world.store.routes.save(
    {
      workspaceId,
      label: null,
      approvers: [],
      autoFund: false,
      createdBy: 'U0ADMIN',
      ...route,
    },
    world.clock.now(),
    { approvalId: null, milestoneId: null, actor: 'slack:U0ADMIN', action: 'route-set' },
  );
}

/** Starts tracking an approval as followApproval would (its card effect queued); returns the stored row. */
export async function trackApproval(
  world: World,
  approval: Approval = anApproval(),
  row: Partial<Omit<NewTrackedApproval, 'approval'>> = {},
): Promise<TrackedApproval> {
  const { approval: tracked } = await world.store.approvals.track(
    {
      workspaceId,
      approval,
      requester: alice,
      note: null,
      channelId: 'C0FUND',
      approvers: [],
      context: null,
      contextRetryAt: null,
      ...row,
    },
    world.clock.now(),
    (created) => ({
      approvalId: approval.id,
      milestoneId: approval.milestoneId,
      actor: 'slack:U0ALICE',
      action: created ? 'requested' : 're-requested',
    }),
    (created) => (created ? [cardEffect(workspaceId, approval.id, priorities.change)] : []),
  );
  return tracked;
}

/** OpenTrain reported the approval ended: the store applies it with the card edit and the rest queued. */
export async function endApproval(
  world: World,
  approvalId: string,
  status: TerminalStatus,
  effects: readonly QueuedEffect[] = [cardEffect(workspaceId, approvalId, priorities.change)],
): Promise<TrackedApproval> {
  const ended = await world.store.approvals.end(
    {
      approvalId,
      status,
      resolvedAt: world.clock.now(),
      result: status === 'confirmed' ? { invoiceId: 'INV-1' } : null,
      source: 'opentrain:event:1',
    },
    world.clock.now(),
    effects,
  );
  if (ended === undefined) throw new Error(`${approvalId} was not pending`);
  return ended;
}

/**
 * One attempt of a queued effect, as the runner makes it: claimed, carried out by `handler`, and its result
 * recorded (a retry is due again at once: how long the runner waits is the retry policy's business).
 */
export async function attempt<K extends EffectKind>(
  world: World,
  key: EffectKey,
  kind: K,
  handler: (claimed: ClaimedEffect<K>, context: EffectContext) => Promise<EffectResult>,
): Promise<EffectResult> {
  const owner = 'worker-1';
  const { claimed, context } = await claimEffect(world, key, kind, owner);
  const result = await handler(claimed, context);
  const now = world.clock.now();
  if (result.kind === 'retry')
    await retryNow(world, claimed, { uncertain: result.uncertain, error: result.error });
  else if (result.kind === 'done')
    await world.store.outbox.finish(claimed, owner, 'done', now, { result: result.result });
  else if (result.kind === 'dropped')
    await world.store.outbox.finish(claimed, owner, 'dropped', now, { note: result.reason });
  else await world.store.outbox.finish(claimed, owner, 'failed', now, { note: result.error });
  return result;
}
